-- One row per indicator x period with at least one observation: how many observations, how many of them the
-- overview map draws (city totals as points; crim_gen_reg NUTS 3 totals as areas), and how many total values each
-- geography level of each country has (the police view's periods, countries and levels). The dashboard's indicator
-- lists, period pickers and country pickers read these few hundred rows instead of scanning fct_observations: at
-- 100x the two scans this replaces took 90-120 ms of every first view of a police-recorded indicator.
with counts as (
    select
        indicator_code,
        period,
        count(*) as observations,
        count(*) filter (
            where geo_level = 'city' and sex is null and age_group is null and breakdown is null
        ) as map_city_values,
        count(*) filter (
            where geo_level = 'nuts3' and source_dataset = 'crim_gen_reg'
                and sex is null and age_group is null and breakdown is null
        ) as map_nuts3_values
    from {{ ref('fct_observations') }}
    group by indicator_code, period
),

level_counts as (
    select
        observations.indicator_code,
        observations.period,
        observations.geo_level,
        geographies.country_code,
        count(*) as places
    from {{ ref('fct_observations') }} as observations
    left join {{ ref('dim_geographies') }} as geographies using (geo_code)
    where observations.sex is null and observations.age_group is null and observations.breakdown is null
    group by all
),

totals_by_level as (
    select
        indicator_code,
        period,
        list(
            {'geo_level': geo_level, 'country_code': country_code, 'places': places}
            order by geo_level, country_code nulls first
        ) as totals_by_level
    from level_counts
    group by indicator_code, period
)

select
    counts.indicator_code,
    counts.period,
    counts.observations,
    counts.map_city_values,
    counts.map_nuts3_values,
    coalesce(
        totals_by_level.totals_by_level,
        []::struct(geo_level varchar, country_code varchar, places bigint)[]
    ) as totals_by_level
from counts
left join totals_by_level using (indicator_code, period)
order by counts.indicator_code, counts.period
