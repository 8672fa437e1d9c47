-- One row per observation of a city or of a city's district: exactly the rows of fct_observations for those
-- geographies, stored in city order. The city pages (profile, compare, map points) read this ~1 % of the fact
-- table instead of scanning all of it; nothing is computed here.
select
    observation_id,
    indicator_code,
    geo_code,
    geo_level,
    period,
    period_year,
    sex,
    age_group,
    breakdown,
    value,
    unit,
    ci_low,
    ci_high,
    sample_size,
    standard_error,
    uncertainty_method,
    is_ci_approximate,
    flags,
    observation_status,
    source_type,
    source_dataset,
    survey_id,
    submission_id,
    report_version,
    reported_at,
    is_official,
    comparability_group,
    break_in_series,
    has_quality_warning,
    quality_note,
    lineage_id
from {{ ref('fct_observations') }}
where geo_level in ('city', 'district')
order by geo_code, indicator_code, period_year, period, source_dataset
