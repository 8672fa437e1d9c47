-- One row per city x context area: the areas whose police-recorded rates put a city in context. Its region
-- from crim_gen_reg (the NUTS 3 region, or the nearest NUTS 2 / NUTS 1 parent that has values) and its country
-- from crim_off_cat (for UK cities also the jurisdiction Eurostat reports: England and Wales 'UKC-L', or the
-- NUTS 1 of Scotland / Northern Ireland). The city profile joins these to area_latest_values, the city report
-- to fct_observations within its period window: one definition of "around the city" for both.
with cities as (
    select geo_code as city_code, country_code, nuts1_code, nuts2_code, nuts3_code
    from {{ ref('dim_geographies') }}
    where geo_level = 'city'
),

regional_areas as (
    select distinct geo_code from {{ ref('fct_observations') }} where source_dataset = 'crim_gen_reg'
),

candidates as (
    select city_code, 1 as preference, nuts3_code as area_code, 'nuts3' as area_level from cities
    union all select city_code, 2, nuts2_code, 'nuts2' from cities
    union all select city_code, 3, nuts1_code, 'nuts1' from cities
),

region as (
    select candidates.city_code, candidates.area_code
    from candidates
    join {{ ref('dim_geographies') }} as area
        on area.geo_code = candidates.area_code and area.geo_level = candidates.area_level
    semi join regional_areas on regional_areas.geo_code = candidates.area_code
    qualify row_number() over (partition by candidates.city_code order by candidates.preference) = 1
),

areas as (
    select city_code, 'region' as context, area_code, 'crim_gen_reg' as source_dataset from region
    union select city_code, 'national', country_code, 'crim_off_cat' from cities where country_code is not null
    union select city_code, 'national', 'UKC-L', 'crim_off_cat' from cities where nuts1_code between 'UKC' and 'UKL'
    union select city_code, 'national', nuts1_code, 'crim_off_cat' from cities where nuts1_code is not null
)

select city_code, context, area_code, source_dataset
from areas
order by city_code, context desc, area_code
