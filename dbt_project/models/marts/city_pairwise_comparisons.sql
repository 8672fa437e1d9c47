-- One row per indicator x period x peer group x ordered pair of cities with a sampling-based interval:
-- the difference, its standard error (unpooled two-proportion test on the effective sample sizes) and
-- whether the two cities differ at the 95 % level. Only observations in the same comparability group
-- are paired; observations without uncertainty are left out (they cannot be tested).
with estimates as (
    select
        observations.indicator_code, observations.period, observations.comparability_group,
        observations.geo_code, observations.value, observations.sample_size, observations.is_ci_approximate,
        observations.sample_size / coalesce(registry.design_effect, 1.0) as effective_n
    from {{ ref('fct_observations') }} as observations
    left join {{ ref('survey_registry') }} as registry
        on observations.survey_id = registry.survey_id
        and observations.indicator_code = registry.indicator_code
        and (registry.wave = observations.period or registry.wave = '*')
    where observations.geo_level = 'city'
      and observations.uncertainty_method in ('wilson', 'published')
      and observations.sex is null and observations.age_group is null and observations.breakdown is null
),

in_groups as (
    select estimates.*, peers.peer_group
    from estimates
    inner join {{ ref('city_peer_groups') }} as peers on estimates.geo_code = peers.geo_code
),

pairs as (
    select
        a.indicator_code, a.period, a.peer_group, a.comparability_group,
        a.geo_code, b.geo_code as other_geo_code,
        a.value, b.value as other_value,
        a.value - b.value as difference,
        100.0 * sqrt((a.value / 100.0) * (1 - a.value / 100.0) / a.effective_n
                   + (b.value / 100.0) * (1 - b.value / 100.0) / b.effective_n) as difference_standard_error,
        a.is_ci_approximate or b.is_ci_approximate as is_approximate
    from in_groups as a
    inner join in_groups as b
        on a.indicator_code = b.indicator_code
        and a.period = b.period
        and a.peer_group = b.peer_group
        and a.comparability_group = b.comparability_group
        and a.geo_code <> b.geo_code
)

select
    *,
    difference / nullif(difference_standard_error, 0) as z_score,
    abs(difference) > 1.959963984540054 * difference_standard_error as is_significant
from pairs
