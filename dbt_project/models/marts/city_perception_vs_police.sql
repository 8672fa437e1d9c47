-- Perception versus recorded crime (issue 19): for every city with both, the share of residents feeling safe (a
-- perception or victimisation-survey indicator where more is better) next to the police-recorded rates of its
-- region (crim_gen_reg: its NUTS 3 region, or the nearest NUTS 2 / NUTS 1 parent with values, as city_context_areas
-- defines it), same year or the nearest one within 3 years (the earlier on a tie). Eurostat: police-recorded levels are not
-- comparable across countries, so the ranks are given within the city's country and, for views that must cross
-- borders, as percentiles of all cities (ranks, never levels).
{%- set max_year_gap = 3 %}

with perception as (
    select observations.indicator_code, observations.geo_code, observations.period, observations.period_year,
        observations.value, observations.ci_low, observations.ci_high, observations.comparability_group
    from {{ ref('fct_observations') }} as observations
    inner join {{ ref('indicators') }} as indicators on observations.indicator_code = indicators.indicator_code
    where observations.geo_level = 'city'
      and indicators.indicator_family in ('perception', 'survey') and indicators.higher_is_better
      and observations.indicator_code like 'feel\_safe%' escape '\'  -- shares of residents feeling safe
      and observations.sex is null and observations.age_group is null and observations.breakdown is null
),

police as (
    select areas.city_code, observations.indicator_code, observations.geo_code, observations.geo_level,
        observations.period, observations.period_year, observations.value, observations.comparability_group
    from {{ ref('city_context_areas') }} as areas
    inner join {{ ref('fct_observations') }} as observations
        on observations.geo_code = areas.area_code and observations.source_dataset = areas.source_dataset
    where areas.context = 'region'
      and observations.sex is null and observations.age_group is null and observations.breakdown is null
),

paired as (
    select
        perception.geo_code,
        perception.indicator_code as perception_indicator_code,
        perception.period as perception_period,
        perception.comparability_group as perception_comparability_group,
        perception.value as share_feeling_safe,
        perception.ci_low as share_ci_low,
        perception.ci_high as share_ci_high,
        police.indicator_code as police_indicator_code,
        police.geo_code as region_code,
        police.geo_level as region_level,
        police.period as police_period,
        police.value as police_rate,
        police.comparability_group as police_comparability_group,
        police.period_year - perception.period_year as year_gap
    from perception
    inner join police
        on police.city_code = perception.geo_code
        and abs(police.period_year - perception.period_year) <= {{ max_year_gap }}
    qualify row_number() over (
        partition by perception.geo_code, perception.indicator_code, perception.comparability_group, perception.period,
            police.indicator_code
        order by abs(police.period_year - perception.period_year), police.period_year
    ) = 1
),

with_country as (
    select paired.*, trim(geographies.geo_name) as city_name, geographies.country_code
    from paired
    inner join {{ ref('dim_geographies') }} as geographies on paired.geo_code = geographies.geo_code
)

select
    geo_code,
    city_name,
    country_code,
    perception_indicator_code,
    perception_period,
    perception_comparability_group,
    share_feeling_safe,
    share_ci_low,
    share_ci_high,
    police_indicator_code,
    region_code,
    region_level,
    police_period,
    police_rate,
    police_comparability_group,
    year_gap,
    count(*) over in_country as cities_in_country,
    -- 1 = the most residents feeling safe / the lowest recorded rate
    rank() over (in_country order by share_feeling_safe desc) as rank_feeling_safe_in_country,
    rank() over (in_country order by police_rate) as rank_police_rate_in_country,
    count(*) over everywhere as cities_everywhere,
    round(100 * percent_rank() over (everywhere order by share_feeling_safe), 2) as percentile_feeling_safe,
    round(100 * percent_rank() over (everywhere order by police_rate), 2) as percentile_police_rate
from with_country
window
    -- a country's police data are one comparability group (the UK has three jurisdictions, crim_gen_reg:UKC-L etc.)
    in_country as (partition by perception_indicator_code, perception_comparability_group, perception_period,
        police_indicator_code, police_comparability_group),
    everywhere as (partition by perception_indicator_code, perception_comparability_group, perception_period,
        police_indicator_code)
order by perception_indicator_code, perception_period, police_indicator_code, country_code, geo_code
