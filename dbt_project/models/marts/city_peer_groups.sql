-- One row per city x peer group it belongs to: all cities, same country, same size class, partnership.
-- Cities whose name the register lacks (offline: the Latvian state cities LV002C-LV009C) are in no peer group,
-- so no city is ranked against places a reader cannot name; the Compare page shows them on request.
with cities as (
    select geo_code, country_code, size_class, is_partnership_city
    from {{ ref('dim_geographies') }}
    where geo_level = 'city' and is_named
)

select geo_code, 'all' as peer_group, 'All cities' as peer_group_label from cities
union all
select geo_code, 'country:' || country_code, 'Same country (' || country_code || ')' from cities
where country_code is not null
union all
select geo_code, 'size:' || size_class, 'Same size class (' || size_class || ')' from cities
where size_class is not null
union all
select geo_code, 'partnership', 'Partnership cities (Security in Public Spaces)' from cities
where is_partnership_city
