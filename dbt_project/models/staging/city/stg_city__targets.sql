-- One row per target a city stated in a target sheet (pipelines/uploads/targets.py: rows with row_type = target;
-- the target year is stored in `period`, the target value in `value`, already in the catalogue's unit). Every
-- submission is kept; int_progress_targets keeps the one in force.
select
    trim(submission_id) as submission_id,
    try_cast(trim(source_row) as bigint) as source_row,
    nullif(trim(indicator_code), '') as indicator_code,
    nullif(trim(geo_code), '') as geo_code,
    try_cast(trim(value) as double) as target_value,
    try_cast(left(trim(period), 4) as integer) as target_year,
    try_cast(trim(baseline_year) as integer) as baseline_year,
    nullif(trim(unit), '') as unit,
    nullif(trim(source), '') as reported_source,
    nullif(trim(note), '') as note,
    loaded_at
from {{ source('raw', 'city_submissions') }}
where lower(trim(row_type)) = 'target'
