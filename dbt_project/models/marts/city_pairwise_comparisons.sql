-- One row per indicator x period x peer group x ordered pair of cities with a sampling-based interval:
-- the difference, its standard error (unpooled: sqrt(se_a^2 + se_b^2), each se from the published
-- interval or the effective sample size) and whether the two cities differ at the 95 % level. Only
-- observations in the same comparability group are paired; observations without uncertainty are left
-- out (they cannot be tested).
with estimates as (
    select indicator_code, period, comparability_group, geo_code, value, standard_error, is_ci_approximate
    from {{ ref('fct_observations') }}
    where geo_level = 'city'
      and standard_error is not null
      and sex is null and age_group is null and breakdown is null
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
        sqrt(a.standard_error ^ 2 + b.standard_error ^ 2) as difference_standard_error,
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
