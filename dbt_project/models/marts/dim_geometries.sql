-- One row per region outline the dashboard draws: NUTS 0 (the offline base map) and NUTS 3 (choropleths).
-- Geometry stays GeoJSON text (no spatial extension, no UDFs), so the published file opens anywhere.
select
    geo_code,
    nuts_level,
    geometry_json
from {{ ref('stg_gisco__nuts_outlines') }}
where geo_code is not null
order by nuts_level, geo_code
