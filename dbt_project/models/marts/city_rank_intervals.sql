-- One row per indicator x period x peer group x city: its rank by value (1 = best, polarity-aware) and
-- the range of ranks the samples allow (best = 1 + cities significantly better, worst = cities in the
-- group - cities significantly worse), plus the cities statistically indistinguishable from it. One
-- ranking per comparability group: different surveys are never ranked together.
with pairs as (
    select pairs.*, indicators.higher_is_better
    from {{ ref('city_pairwise_comparisons') }} as pairs
    inner join {{ ref('indicators') }} as indicators on pairs.indicator_code = indicators.indicator_code
),

per_city as (
    select
        indicator_code, period, peer_group, comparability_group, geo_code,
        any_value(value) as value,
        any_value(higher_is_better) as higher_is_better,
        count(*) + 1 as cities_in_group,
        count(*) filter (where is_significant and (other_value > value) = higher_is_better) as significantly_better,
        count(*) filter (where is_significant and (other_value < value) = higher_is_better) as significantly_worse,
        count(*) filter (where (other_value > value) = higher_is_better and other_value <> value) as strictly_better,
        list(other_geo_code order by other_geo_code) filter (where not is_significant) as indistinguishable_from,
        bool_or(is_approximate) as is_approximate
    from pairs
    group by indicator_code, period, peer_group, comparability_group, geo_code
)

select
    indicator_code, period, peer_group, comparability_group, geo_code, value, cities_in_group,
    strictly_better + 1 as rank,
    significantly_better + 1 as rank_best,
    cities_in_group - significantly_worse as rank_worst,
    indistinguishable_from,
    len(indistinguishable_from) as indistinguishable_count,
    is_approximate
from per_city
