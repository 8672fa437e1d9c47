-- One row per accepted city upload (the metadata.json of its inbox folder).
select
    trim(submission_id) as submission_id,
    upper(trim(city_code)) as city_code,
    nullif(trim(token_id), '') as token_id,
    try_cast(uploaded_at as timestamptz) as uploaded_at,
    nullif(trim(original_filename), '') as original_filename,
    lower(trim(sha256)) as sha256,
    nullif(trim(format), '') as upload_format,
    mapping_json,
    row_count,
    warnings_json,
    coalesce(try_cast(json_array_length(warnings_json) as integer), 0) as warning_count,
    inbox_path,
    loaded_at
from {{ source('raw', 'city_submission_files') }}
