-- One row per geography that is not a city (district, NUTS region, country, EU) x indicator x source dataset:
-- the latest total (no breakdown) value. The city profile's regional and national context reads these rows
-- instead of ranking every period of fct_observations for each area on every page view.
with totals as (
    select *
    from {{ ref('fct_observations') }}
    where geo_level <> 'city' and sex is null and age_group is null and breakdown is null
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
from totals
qualify row_number() over (
    partition by geo_code, indicator_code, source_dataset order by period_year desc, period desc
) = 1
order by geo_code, indicator_code, source_dataset
