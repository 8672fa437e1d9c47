-- One row per accepted city survey (the metadata.json of its store folder): who sent it, when, for which period,
-- its survey facts (design.yml) and the survey registry rows the upload made. No microdata.
select
    trim(submission_id) as submission_id,
    upper(trim(city_code)) as city_code,
    nullif(trim(token_id), '') as token_id,
    try_cast(uploaded_at as timestamptz) as uploaded_at,
    nullif(trim(original_filename), '') as original_filename,
    lower(trim(sha256)) as sha256,
    nullif(trim(format), '') as upload_format,
    nullif(trim(module), '') as module,
    trim(period) as period,
    survey_json,
    design_json,
    json_extract_string(survey_json, '$.name') as survey_name,
    json_extract_string(design_json, '$.weighting') as weighting,
    achieved_n,
    estimate_rows,
    registry_json,
    store_path,
    loaded_at
from {{ source('raw', 'city_survey_files') }}
