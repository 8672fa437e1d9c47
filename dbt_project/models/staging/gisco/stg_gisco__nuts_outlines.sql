-- One row per NUTS 2021 region outline (1:60 million): countries (level 0) and NUTS 3 regions, with the
-- geometry as GeoJSON text in longitude/latitude (EPSG:4326), as GISCO publishes it.
select
    nuts_id as geo_code,
    coalesce(try_cast(levl_code as integer), 0) as nuts_level,
    geometry_json
from {{ source('raw', 'gisco_nuts_outlines_0') }}
where {{ latest_load('gisco_nuts_outlines_0') }}

union all

select
    nuts_id as geo_code,
    coalesce(try_cast(levl_code as integer), 3) as nuts_level,
    geometry_json
from {{ source('raw', 'gisco_nuts_outlines_3') }}
where {{ latest_load('gisco_nuts_outlines_3') }}
