-- One row per geography code that appears in a source but not in the register (e.g. NUTS codes of
-- versions before 2021, cities missing from GISCO): kept, with the level inferred from the code and
-- has_geometry = false, so no observation is dropped for want of a map point.
with observed as (
    select distinct geo_code, 'city' as geo_level from {{ ref('stg_eurostat__urb_percep') }}
    union
    select distinct geo_code,
        case
            when geo_code like 'EU%' or geo_code like 'EA%' then 'eu'
            when length(geo_code) = 2 then 'country'
            when length(geo_code) = 3 then 'nuts1'
            when length(geo_code) = 4 then 'nuts2'
            else 'nuts3'
        end as geo_level
    from {{ ref('int_police_recorded_offences_unioned') }}
    union
    select distinct geo_code, case when geo_code = 'UKC-L' then 'country' else 'nuts1' end as geo_level
    from {{ ref('int_survey_observations_national') }}
    union
    select distinct geo_code,
        case
            when regexp_full_match(geo_code, '[A-Z]{2}[0-9]{3}[A-Z0-9]') then 'city'
            when length(geo_code) = 2 then 'country'
            when length(geo_code) = 3 then 'nuts1'
            when length(geo_code) = 4 then 'nuts2'
            else 'nuts3'
        end as geo_level
    from {{ ref('stg_sps__survey_results') }}
)

select
    observed.geo_code,
    observed.geo_level,
    cast(null as varchar) as geo_name,
    case when observed.geo_level <> 'eu' then left(observed.geo_code, 2) end as country_code,
    case when observed.geo_level = 'nuts3' then observed.geo_code end as nuts3_code,
    case when observed.geo_level in ('nuts1', 'nuts2', 'nuts3') then left(observed.geo_code, 3) end as nuts1_code,
    cast(null as double) as lon,
    cast(null as double) as lat,
    false as has_geometry,
    'inferred from source codes' as register_source,
    'unknown' as name_confidence,
    case
        when observed.geo_level = 'city' then 'City code not in the GISCO 2021 register nor in the geography additions.'
        else 'Code not in NUTS 2021 (probably an earlier NUTS version): no name or geometry.'
    end as register_note
from observed
where observed.geo_code not in (select geo_code from {{ ref('int_geographies_registered') }})
