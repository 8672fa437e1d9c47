-- One row per city-local indicator (local:<CITY>:<slug>) x geography x period x breakdown: the version in
-- force. Local indicators are the city's own, outside the catalogue, so they stay out of fct_observations.
select
    versioned.city_code,
    versioned.indicator_code,
    versioned.geo_code,
    versioned.parent_geo_code,
    versioned.period,
    versioned.period_year,
    versioned.sex,
    versioned.age_group,
    versioned.breakdown,
    versioned.value,
    versioned.unit,
    versioned.ci_low,
    versioned.ci_high,
    versioned.sample_size,
    versioned.reported_source,
    versioned.note,
    versioned.submission_id,
    versioned.report_version,
    versioned.uploaded_at as reported_at,
    versioned.lineage_id
from {{ ref('int_city_submissions_versioned') }} as versioned
where versioned.is_latest and versioned.is_local_indicator and versioned.value is not null
