-- One row per source dataset: the latest ingest attempt and the load currently in use.
with latest_attempt as (
    select * from {{ ref('stg_warehouse__source_status') }}
    qualify row_number() over (partition by source_dataset order by checked_at desc) = 1
),

latest_load as (
    select * from {{ ref('stg_warehouse__source_loads') }}
    qualify row_number() over (partition by source_dataset order by load_id desc) = 1
)

select
    latest_attempt.source_dataset,
    latest_attempt.status as last_attempt_status,
    latest_attempt.message as last_attempt_message,
    latest_attempt.checked_at as last_checked_at,
    latest_load.load_id,
    latest_load.source_file,
    latest_load.source_sha256,
    latest_load.source_last_update,
    latest_load.origin,
    latest_load.row_count,
    latest_load.loaded_at
from latest_attempt
left join latest_load on latest_attempt.source_dataset = latest_load.source_dataset
