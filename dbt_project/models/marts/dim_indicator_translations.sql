-- The indicator catalogue in the other languages of SPS Monitor (seeds/indicator_translations.csv): name, unit,
-- definition and caveat of every indicator, beside its code; English stays in dim_indicators. `english_unit` lets
-- readers translate the unit of any published row of the indicator (docs/adr/0023).
select
    t.indicator_code,
    t.language,
    t.name,
    t.unit,
    i.unit as english_unit,
    t.definition,
    t.comparability_caveat
from {{ ref('indicator_translations') }} t
join {{ ref('indicators') }} i using (indicator_code)
