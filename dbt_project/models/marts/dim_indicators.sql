-- One row per indicator in the catalogue (seeds/indicators.csv).
select
    indicator_code,
    name as indicator_name,
    definition,
    unit,
    higher_is_better,
    sdg_targets,
    partnership_domain,
    indicator_family,
    source_notes,
    comparability_caveat
from {{ ref('indicators') }}
