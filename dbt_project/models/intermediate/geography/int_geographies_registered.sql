-- One row per geography known to the register: GISCO cities and NUTS regions, plus the seed additions
-- (cities absent from the GISCO 2021 points, non-NUTS aggregates such as EU27_2020 or UKC-L). A seed city
-- without a name takes its name from Eurostat's CITIES code list when that was loaded (live mode); offline it
-- keeps none and carries its people label (e.g. 'Latvian state city') for the dashboard.
with gisco_cities as (
    select
        geo_code, 'city' as geo_level, city_name as geo_name, country_code, nuts3_code,
        left(nuts3_code, 3) as nuts1_code,
        lon, lat, true as has_geometry, 'GISCO Urban Audit 2021' as register_source,
        'high' as name_confidence, cast(null as varchar) as register_note
    from {{ ref('stg_gisco__cities') }}
),

gisco_nuts as (
    select
        geo_code,
        case nuts_level when 0 then 'country' when 1 then 'nuts1' when 2 then 'nuts2' else 'nuts3' end as geo_level,
        region_name as geo_name, country_code,
        case when nuts_level = 3 then geo_code end as nuts3_code,
        case when nuts_level >= 1 then left(geo_code, 3) end as nuts1_code,
        lon, lat, true as has_geometry, 'GISCO NUTS 2021' as register_source,
        'high' as name_confidence, cast(null as varchar) as register_note
    from {{ ref('stg_gisco__nuts_regions') }}
),

code_list as (
    select geo_code, city_name from {{ ref('stg_eurostat__cities') }}
),

additions as (
    select
        geo_code, geo_level,
        coalesce(nullif(name, ''), (select city_name from code_list where code_list.geo_code = a.geo_code))
            as geo_name,
        nullif(country_code, '') as country_code,
        -- NUTS 3 of a city outside GISCO's 2021 points: the single region that contains it (NUTS 2021
        -- names: LV006 Riga, TR100 Istanbul, UKD33 Manchester...); empty where a city spans several (London).
        nullif(nuts3_code, '') as nuts3_code, nullif(nuts1_code, '') as nuts1_code,
        cast(null as double) as lon, cast(null as double) as lat,
        false as has_geometry,
        case when nullif(name, '') is null and geo_code in (select geo_code from code_list)
            then 'seeds/geography_additions.csv; name from Eurostat code list CITIES'
            else 'seeds/geography_additions.csv' end as register_source,
        case when nullif(name, '') is null and geo_code in (select geo_code from code_list)
            then 'high' else name_confidence end as name_confidence,
        note as register_note,
        nullif(unnamed_label, '') as unnamed_label
    from {{ ref('geography_additions') }} as a
),

stacked as (
    select * from gisco_cities
    union all by name
    select * from gisco_nuts
    union all by name
    select * from additions where geo_code not in (select geo_code from gisco_cities union all select geo_code from gisco_nuts)
)

select * from stacked
