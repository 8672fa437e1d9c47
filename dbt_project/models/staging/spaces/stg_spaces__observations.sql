-- One row per public-space (SDG 11.7.1 and companions) or site-audit figure of a city, as pipelines/spaces/load.py
-- recomputed it from the public-space inbox at this refresh (raw.public_space_observations). Already typed by
-- the loader; empty text is null.
select
    indicator_code,
    geo_code,
    nullif(parent_geo_code, '') as parent_geo_code,
    period,
    try_cast(left(period, 4) as integer) as period_year,
    nullif(breakdown, '') as breakdown,
    value,
    unit,
    ci_low,
    ci_high,
    standard_error,
    uncertainty_method,
    sample_size,
    comparability_group,
    nullif(note, '') as note,
    coalesce(has_caveat, false) as has_caveat,
    submission_id,
    lineage_id,
    city_code,
    source_dataset,
    try_cast(reported_at as timestamptz) as reported_at
from {{ source('raw', 'public_space_observations') }}
