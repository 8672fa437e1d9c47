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
),

-- Where a geography is drawn. Registered geographies have their GISCO point (Urban Audit 2021 city point, NUTS
-- label point). A city without one is placed, first found: inside its own uploaded boundary
-- (int_city_boundary_points), else at the label point of its NUTS 3 region, else of its NUTS 1 region (a city
-- spanning several NUTS 3 regions: London); the last two are approximate and the map says so. A city with none
-- of these (eight Latvian codes whose names are unknown) has no location and is listed beside the map.
nuts_points as (
    select geo_code, lon, lat from {{ ref('int_geographies_registered') }}
    where register_source = 'GISCO NUTS 2021' and lat is not null
),

located as (
    select
        register.geo_code,
        case
            when register.lat is not null then register.lon
            when register.geo_level = 'city' then coalesce(boundary.lon, nuts3.lon, nuts1.lon)
        end as lon,
        case
            when register.lat is not null then register.lat
            when register.geo_level = 'city' then coalesce(boundary.lat, nuts3.lat, nuts1.lat)
        end as lat,
        case
            when register.lat is not null and register.geo_level = 'city' then 'urban_audit_point'
            when register.lat is not null then 'nuts_label_point'
            when register.geo_level <> 'city' then null
            when boundary.lat is not null then 'city_boundary'
            when nuts3.lat is not null then 'nuts3_label_point'
            when nuts1.lat is not null then 'nuts1_label_point'
        end as location_source
    from register
    left join {{ ref('int_city_boundary_points') }} as boundary on register.geo_code = boundary.geo_code
    left join nuts_points as nuts3 on register.nuts3_code = nuts3.geo_code
    left join nuts_points as nuts1 on register.nuts1_code = nuts1.geo_code
),

-- where a missing city name would have come from: Eurostat's code list when it was loaded, else the snapshot
name_gap as (
    select case when exists (select 1 from {{ ref('stg_eurostat__cities') }})
        then 'Eurostat''s code list' else 'the snapshot' end as source
)

select
    register.geo_code,
    register.geo_level,
    register.geo_name,
    -- The name people read: the register's name, or a label saying what the place is and that its name is
    -- missing ('Latvian state city, LV002C — name not in the snapshot'), never a bare code.
    coalesce(
        nullif(trim(register.geo_name), ''),
        case
            when register.unnamed_label is not null
                then register.unnamed_label || ', ' || register.geo_code || ' — name not in ' || name_gap.source
            when register.geo_level = 'city' then 'City ' || register.geo_code || ' — name not in ' || name_gap.source
            when register.geo_level = 'district'
                then 'District ' || substr(register.geo_code, length(register.parent_geo_code) + 2) || ' of '
                    || coalesce(nullif(trim(parents.geo_name), ''), register.parent_geo_code)
            when register.geo_level in ('nuts1', 'nuts2', 'nuts3') and register.geo_code like '%Z'
                then 'Extra-Regio ' || register.geo_code || ' (statistics not attributed to a region)'
            when register.geo_level in ('nuts1', 'nuts2', 'nuts3')
                then 'Region ' || register.geo_code || ' (code not in NUTS 2021)'
            else register.geo_code
        end
    ) as display_name,
    nullif(trim(register.geo_name), '') is not null as is_named,
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
    located.lat,
    located.lon,
    register.has_geometry,
    located.location_source,
    coalesce(located.location_source in ('nuts3_label_point', 'nuts1_label_point'), false)
        as is_location_approximate,
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
left join located on register.geo_code = located.geo_code
cross join name_gap
left join register as parents on register.parent_geo_code = parents.geo_code
left join latest_population on register.geo_code = latest_population.geo_code
left join {{ ref('city_size_classes') }} as size_classes
    on register.geo_level = 'city'
    and latest_population.population between size_classes.min_population and size_classes.max_population
