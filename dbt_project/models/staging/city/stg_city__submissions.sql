-- One row per value row of an accepted city upload (every submission, every version: history is kept).
-- The upload path validated and normalised the values (pipelines/uploads/validate.py); raw keeps them as
-- text, and every cast here is a try_cast whose failures are listed in `uncastable_columns` (tested).
with submitted as (
    select
        trim(submission_id) as submission_id,
        try_cast(trim(source_row) as bigint) as source_row,
        nullif(trim(indicator_code), '') as indicator_code,
        nullif(trim(geo_code), '') as geo_code,
        nullif(trim(parent_geo_code), '') as parent_geo_code,
        nullif(trim(period), '') as period,
        nullif(lower(trim(sex)), '') as sex,
        nullif(trim(age_group), '') as age_group,
        nullif(trim(breakdown), '') as breakdown,
        nullif(trim(value), '') as value_text,
        nullif(trim(unit), '') as unit,
        nullif(trim(ci_low), '') as ci_low_text,
        nullif(trim(ci_high), '') as ci_high_text,
        nullif(trim(sample_size), '') as sample_size_text,
        nullif(trim(source), '') as reported_source,
        nullif(trim(note), '') as note,
        nullif(trim(local_indicator_name), '') as local_indicator_name,
        nullif(trim(local_indicator_unit), '') as local_indicator_unit,
        nullif(trim(local_indicator_description), '') as local_indicator_description,
        loaded_at
    from {{ source('raw', 'city_submissions') }}
    -- Target sheets' rows are targets, not values (stg_city__targets reads them).
    where coalesce(nullif(lower(trim(row_type)), ''), 'value') = 'value'
)

select
    submission_id,
    source_row,
    indicator_code,
    coalesce(indicator_code like 'local:%', false) as is_local_indicator,
    geo_code,
    parent_geo_code,
    period,
    try_cast(left(period, 4) as integer) as period_year,
    sex,
    age_group,
    breakdown,
    try_cast(value_text as double) as value,
    unit,
    try_cast(ci_low_text as double) as ci_low,
    try_cast(ci_high_text as double) as ci_high,
    try_cast(sample_size_text as bigint) as sample_size,
    reported_source,
    note,
    local_indicator_name,
    local_indicator_unit,
    local_indicator_description,
    nullif(concat_ws(', ',
        case when source_row is null then 'source_row' end,
        case when value_text is not null and try_cast(value_text as double) is null then 'value' end,
        case when ci_low_text is not null and try_cast(ci_low_text as double) is null then 'ci_low' end,
        case when ci_high_text is not null and try_cast(ci_high_text as double) is null then 'ci_high' end,
        case when sample_size_text is not null and try_cast(sample_size_text as bigint) is null then 'sample_size' end
    ), '') as uncastable_columns,
    loaded_at
from submitted
