-- One row per withdrawn city survey: when and by which token. The audit trail; estimates of these surveys leave
-- every mart.
select
    trim(submission_id) as submission_id,
    upper(trim(city_code)) as city_code,
    nullif(trim(token_id), '') as token_id,
    try_cast(withdrawn_at as timestamptz) as withdrawn_at,
    loaded_at
from {{ source('raw', 'city_survey_withdrawals') }}
