-- One row per geography that is not a city (district, NUTS region, country, EU) x indicator x source dataset:
-- the latest total (no breakdown) value. The city profile's regional and national context reads these rows
-- instead of ranking every period of fct_observations for each area on every page view.
with latest as (
    -- arg_max over a narrow projection, then the winners' rows: a window ranking every row with all its
    -- columns took 7.5 s at 100x, this 1 s (benchmarks/findings.py). observation_id is unique (tested).
    -- Ties on the period (ONS publishes some series for two age scopes, told apart by comparability_group)
    -- go to the comparability group that sorts last, the same one on every build.
    select arg_max(observation_id, (period_year, period, comparability_group)) as observation_id
    from {{ ref('fct_observations') }}
    where geo_level <> 'city' and sex is null and age_group is null and breakdown is null
    group by geo_code, indicator_code, source_dataset
)

select
    observation_id,
    indicator_code,
    geo_code,
    geo_level,
    period,
    period_year,
    value,
    unit,
    ci_low,
    ci_high,
    sample_size,
    standard_error,
    uncertainty_method,
    flags,
    observation_status,
    source_type,
    source_dataset,
    comparability_group,
    break_in_series,
    has_quality_warning,
    quality_note,
    lineage_id
from {{ ref('fct_observations') }}
semi join latest using (observation_id)
order by geo_code, indicator_code, source_dataset
