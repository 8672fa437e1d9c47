-- One row per geography (city, NUTS region, country, EU aggregate) that the warehouse knows.
with register as (
    select * from {{ ref('int_geographies_registered') }}
    union all by name
    select * from {{ ref('int_geographies_observed') }}
),

latest_population as (
    select geo_code, population, period_year as population_year, population_source
    from {{ ref('int_city_population') }}
    qualify row_number() over (partition by geo_code order by period_year desc) = 1
),

perception_cities as (
    select distinct geo_code from {{ ref('stg_eurostat__urb_percep') }}
)

select
    register.geo_code,
    register.geo_level,
    register.geo_name,
    register.country_code,
    register.nuts3_code,
    -- Parents only from real NUTS codes: a city's (or its district's) from its NUTS 3 region (none for
    -- cities outside GISCO).
    case
        when register.geo_level in ('city', 'district') then left(register.nuts3_code, 4)
        when register.geo_level in ('nuts3', 'nuts2') then left(register.geo_code, 4)
    end as nuts2_code,
    register.nuts1_code,
    -- The city a district belongs to (districts come from city uploads as CITY:district).
    register.parent_geo_code,
    register.lat,
    register.lon,
    register.has_geometry,
    latest_population.population,
    latest_population.population_year,
    latest_population.population_source,
    size_classes.size_class,
    register.geo_code in (select geo_code from {{ ref('partnership_cities') }}) as is_partnership_city,
    register.geo_code in (select geo_code from perception_cities) as is_perception_survey_city,
    register.name_confidence,
    register.register_source,
    register.register_note
from register
left join latest_population on register.geo_code = latest_population.geo_code
left join {{ ref('city_size_classes') }} as size_classes
    on register.geo_level = 'city'
    and latest_population.population between size_classes.min_population and size_classes.max_population
