-- One row per accepted public-space or audit upload (raw.public_space_submissions, append-only register).
select
    submission_id,
    city_code,
    kind,
    try_cast(uploaded_at as timestamptz) as uploaded_at,
    original_filename,
    sha256,
    period,
    try_cast(item_count as bigint) as item_count,
    warnings_json,
    inbox_path,
    loaded_at
from {{ source('raw', 'public_space_submissions') }}
