-- One row per ingest attempt.
select dataset as source_dataset, checked_at, status, message, source_file, source_sha256, source_last_update, origin, load_id
from {{ source('raw', '_source_status') }}
