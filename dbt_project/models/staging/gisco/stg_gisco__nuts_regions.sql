-- One row per NUTS 2021 region (levels 0-3) with its label point.
select
    nuts_id as geo_code,
    try_cast(levl_code as integer) as nuts_level,
    trim(coalesce(name_latn, nuts_name)) as region_name,
    cntr_code as country_code,
    lon,
    lat,
    load_id
from {{ source('raw', 'gisco_nuts') }}
where {{ latest_load('gisco_nuts') }}
