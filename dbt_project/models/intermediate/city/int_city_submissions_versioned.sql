-- One row per submitted row of every city upload, history kept: each cell (city x indicator x geography x
-- period x sex x age group x breakdown) numbered by the submissions that reported it, in submission_id order
-- (ids sort by upload time; 1 = first report). is_latest marks the version in force; superseded versions
-- stay here and in the submission_history mart.
with submitted_rows as (
    select * from {{ ref('stg_city__submissions') }}
),

submissions as (
    select * from {{ ref('stg_city__submission_files') }}
),

joined as (
    select
        submissions.city_code,
        submitted_rows.submission_id,
        submitted_rows.source_row,
        submitted_rows.indicator_code,
        submitted_rows.is_local_indicator,
        submitted_rows.geo_code,
        submitted_rows.parent_geo_code,
        submitted_rows.period,
        submitted_rows.period_year,
        submitted_rows.sex,
        submitted_rows.age_group,
        submitted_rows.breakdown,
        submitted_rows.value,
        submitted_rows.unit,
        submitted_rows.ci_low,
        submitted_rows.ci_high,
        submitted_rows.sample_size,
        submitted_rows.reported_source,
        submitted_rows.note,
        submitted_rows.local_indicator_name,
        submitted_rows.local_indicator_unit,
        submitted_rows.local_indicator_description,
        submissions.uploaded_at,
        submissions.original_filename,
        submissions.sha256,
        submissions.upload_format,
        submitted_rows.loaded_at
    from submitted_rows
    inner join submissions on submitted_rows.submission_id = submissions.submission_id
)

select
    *,
    cast(dense_rank() over (
        partition by city_code, indicator_code, geo_code, period, sex, age_group, breakdown
        order by submission_id
    ) as integer) as report_version,
    -- The last row of the last submission wins (a submission never repeats a cell: the upload checks keys).
    row_number() over (
        partition by city_code, indicator_code, geo_code, period, sex, age_group, breakdown
        order by submission_id desc, source_row desc
    ) = 1 as is_latest,
    'city_report/' || submission_id || '/row-' || source_row as lineage_id
from joined
