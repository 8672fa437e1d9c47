-- One row per estimate of every city survey loaded from the survey store (withdrawn ones too; the intermediate
-- model leaves those out). Values were computed by the upload path (pipelines/surveys/estimate.py); raw keeps
-- text and every cast is a try_cast whose failures are listed in `uncastable_columns` (tested).
with loaded as (
    select
        trim(submission_id) as submission_id,
        source_row,
        nullif(trim(indicator_code), '') as indicator_code,
        nullif(trim(geo_code), '') as geo_code,
        nullif(trim(period), '') as period,
        nullif(trim(sex), '') as sex,
        nullif(trim(age_group), '') as age_group,
        nullif(trim(breakdown), '') as breakdown,
        nullif(trim(value), '') as value_text,
        nullif(trim(ci_low), '') as ci_low_text,
        nullif(trim(ci_high), '') as ci_high_text,
        nullif(trim(se), '') as se_text,
        nullif(trim(df), '') as df_text,
        nullif(trim(deff), '') as deff_text,
        nullif(trim(n_eff), '') as n_eff_text,
        nullif(trim(sample_size), '') as sample_size_text,
        nullif(trim(flags), '') as flags,
        nullif(trim(note), '') as note,
        loaded_at
    from {{ source('raw', 'city_survey_estimates') }}
)

select
    submission_id,
    source_row,
    indicator_code,
    geo_code,
    case when geo_code like '%:%' then split_part(geo_code, ':', 1) end as parent_geo_code,
    period,
    try_cast(left(period, 4) as integer) as period_year,
    sex,
    age_group,
    breakdown,
    try_cast(value_text as double) as value,
    try_cast(ci_low_text as double) as ci_low,
    try_cast(ci_high_text as double) as ci_high,
    try_cast(se_text as double) as standard_error,
    try_cast(df_text as integer) as design_df,
    try_cast(deff_text as double) as design_effect,
    try_cast(n_eff_text as double) as effective_sample_size,
    try_cast(sample_size_text as bigint) as sample_size,
    flags,
    note,
    value_text is null as is_suppressed,
    nullif(concat_ws(', ',
        case when value_text is not null and try_cast(value_text as double) is null then 'value' end,
        case when ci_low_text is not null and try_cast(ci_low_text as double) is null then 'ci_low' end,
        case when ci_high_text is not null and try_cast(ci_high_text as double) is null then 'ci_high' end,
        case when se_text is not null and try_cast(se_text as double) is null then 'se' end,
        case when df_text is not null and try_cast(df_text as integer) is null then 'df' end,
        case when deff_text is not null and try_cast(deff_text as double) is null then 'deff' end,
        case when sample_size_text is not null and try_cast(sample_size_text as bigint) is null then 'sample_size' end
    ), '') as uncastable_columns,
    loaded_at
from loaded
