-- HOOK for the public-space work (pipelines/spaces/, issue 22 "Every city on the map"): one row per city that
-- uploaded its own boundary, with a point inside it (lon, lat in EPSG:4326; the centroid, or a point on the
-- surface for a concave boundary) and the submission it came from. dim_geographies places a city without an
-- Urban Audit 2021 point there before falling back to its NUTS region's label point (location_source =
-- 'city_boundary'). Empty until city boundaries are loaded: replace this select with the boundary model.
select
    cast(null as varchar) as geo_code,
    cast(null as double) as lon,
    cast(null as double) as lat,
    cast(null as varchar) as boundary_source
where false
