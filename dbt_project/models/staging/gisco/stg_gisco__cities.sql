-- One row per Urban Audit 2021 city (URAU_CATG = C) with its label point.
select
    urau_code as geo_code,
    trim(urau_name) as city_name,
    cntr_code as country_code,
    nuts3_2021 as nuts3_code,
    fua_code,
    try_cast(area_sqm as double) as area_sqm,
    city_cptl is not null and city_cptl <> '' as is_capital,
    lon,
    lat,
    load_id
from {{ source('raw', 'gisco_cities') }}
where {{ latest_load('gisco_cities') }}
  and urau_catg = 'C'
