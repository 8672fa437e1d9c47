-- The estimates of the city surveys in force (int_city_surveys_in_force), with their lineage to the submission.
-- Suppressed cells (n < 30) are kept here with is_suppressed; fct_observations publishes only the others.
select
    estimates.*,
    surveys.city_code,
    surveys.uploaded_at,
    surveys.survey_name,
    surveys.weighting,
    surveys.achieved_n,
    'sps_core_v1/' || estimates.submission_id as survey_id,
    'city_survey/' || estimates.submission_id || '/row-' || estimates.source_row as lineage_id
from {{ ref('stg_city__survey_estimates') }} as estimates
inner join {{ ref('int_city_surveys_in_force') }} as surveys on estimates.submission_id = surveys.submission_id
