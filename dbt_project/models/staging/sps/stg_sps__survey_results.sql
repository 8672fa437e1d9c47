-- One row per estimate sent in the SPS survey template (latest load of the survey_results folder).
-- The values were validated on load (pipelines/sources/survey_template.py), so the casts cannot fail.
select
    trim(indicator_code) as indicator_code,
    trim(geo_code) as geo_code,
    trim(period) as period,
    try_cast(left(trim(period), 4) as integer) as period_year,
    nullif(lower(trim(sex)), '') as sex,
    nullif(trim(age_group), '') as age_group,
    nullif(trim(breakdown), '') as breakdown,
    try_cast(estimate as double) as value,
    try_cast(ci_low as double) as ci_low,
    try_cast(ci_high as double) as ci_high,
    try_cast(sample_size as bigint) as sample_size,
    try_cast(design_effect as double) as design_effect,
    trim(survey_name) as survey_name,
    trim(producer) as producer,
    nullif(trim(population_universe), '') as population_universe,
    nullif(trim(question_wording), '') as question_wording,
    nullif(trim(note), '') as note,
    source_file,
    source_row,
    load_id
from {{ source('raw', 'survey_results') }}
where {{ latest_load('survey_results') }}
