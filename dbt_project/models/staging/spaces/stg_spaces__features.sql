-- One row per feature of a city's public-space layers (boundary, district, open_space, street) with its shape as
-- GeoJSON text in longitude/latitude (raw.public_space_features, recomputed at each refresh).
select
    city_code,
    layer,
    feature_id,
    geo_code,
    nullif(name, '') as name,
    space_type,
    access,
    ownership,
    is_counted,
    area_m2,
    area_in_boundary_m2,
    period,
    submission_id,
    feature_number,
    geometry_json,
    lon,
    lat
from {{ source('raw', 'public_space_features') }}
