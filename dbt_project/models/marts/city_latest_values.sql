-- One row per city x indicator x source dataset: the latest published total (no breakdown) value,
-- with its rank among the cities reporting it in the same period and comparability group (same question,
-- scale and universe; 1 = best, polarity-aware). Different surveys are never ranked together.
with city_totals as (
    select observations.*
    from {{ ref('fct_observations') }} as observations
    where observations.geo_level = 'city'
      and observations.sex is null and observations.age_group is null and observations.breakdown is null
),

latest as (
    select * from city_totals
    qualify row_number() over (
        partition by indicator_code, geo_code, comparability_group order by period_year desc, period desc
    ) = 1
)

select
    latest.indicator_code,
    latest.geo_code,
    latest.source_dataset,
    latest.comparability_group,
    latest.period,
    latest.value,
    latest.unit,
    latest.flags,
    latest.has_quality_warning,
    rank() over (
        partition by latest.indicator_code, latest.comparability_group, latest.period
        order by case when indicators.higher_is_better then -latest.value else latest.value end
    ) as rank_in_period,
    count(*) over (partition by latest.indicator_code, latest.comparability_group, latest.period) as cities_in_period
from latest
inner join {{ ref('indicators') }} as indicators on latest.indicator_code = indicators.indicator_code
