-- One row per survey x wave x indicator: who asked what, of whom, how, and with which sample
-- (seeds/survey_registry.csv), plus one row per indicator of every city survey in force, made from its upload
-- (design.yml's survey facts, the questionnaire, the achieved sample and design effect; pipelines/surveys/submit.py).
-- Carried to observations through survey_id and period.
with uploaded as (
    select surveys.submission_id, entry
    from {{ ref('int_city_surveys_in_force') }} as surveys,
        unnest(cast(surveys.registry_json as json[])) as registry(entry)
),

city_surveys as (
    select
        json_extract_string(entry, '$.survey_id') as survey_id,
        json_extract_string(entry, '$.wave') as wave,
        json_extract_string(entry, '$.indicator_code') as indicator_code,
        json_extract_string(entry, '$.survey_name') as survey_name,
        json_extract_string(entry, '$.producer') as producer,
        json_extract_string(entry, '$.population_universe') as population_universe,
        json_extract_string(entry, '$.mode') as mode,
        json_extract_string(entry, '$.question_wording') as question_wording,
        json_extract_string(entry, '$.response_scale') as response_scale,
        json_extract_string(entry, '$.numerator_answers') as numerator_answers,
        nullif(json_extract_string(entry, '$.deviation_from_sdg'), '') as deviation_from_sdg,
        try_cast(json_extract_string(entry, '$.sample_size') as integer) as sample_size,
        json_extract_string(entry, '$.sample_size_kind') as sample_size_kind,
        false as is_sample_size_approximate,
        try_cast(json_extract_string(entry, '$.design_effect') as double) as design_effect,
        json_extract_string(entry, '$.reference_period') as reference_period,
        json_extract_string(entry, '$.source_citation') as source_citation
    from uploaded
)

select * from {{ ref('survey_registry') }}
union all by name
select * from city_surveys
