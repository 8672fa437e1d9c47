-- One row per successful load of a source file.
select load_id, dataset as source_dataset, source_file, source_sha256, source_last_update, origin, row_count, loaded_at
from {{ source('raw', '_loads') }}
