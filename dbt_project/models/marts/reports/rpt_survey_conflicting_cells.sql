-- Data-quality report: source cells that share one key (indicator, area, period, breakdown, series) but
-- carry different values. They are not published in fct_observations; each is listed here with its line.
select indicator_code, geo_code, period, sex, age_group, breakdown, source_dataset, value, lineage_id
from {{ ref('int_survey_observations_national') }}
where is_conflicting_key
