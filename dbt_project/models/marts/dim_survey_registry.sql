-- One row per survey x wave x indicator: who asked what, of whom, how, and with which sample
-- (seeds/survey_registry.csv). Carried to observations through survey_id and period.
select * from {{ ref('survey_registry') }}
