-- One row per indicator x period with at least one observation: how many observations, and how many of them
-- the overview map draws (city totals as points; crim_gen_reg NUTS 3 totals as areas). The dashboard's
-- indicator lists and period pickers read these few hundred rows instead of counting fct_observations.
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
order by indicator_code, period
