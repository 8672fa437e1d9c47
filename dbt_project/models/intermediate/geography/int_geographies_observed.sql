-- One row per geography code that appears in a source but not in the register (e.g. NUTS codes of
-- versions before 2021, cities missing from GISCO, districts of a city reported in its uploads): kept, with
-- the level inferred from the code and has_geometry = false, so no observation is dropped for want of a
-- map point.
with city_submitted as (
    -- Codes in city uploads: a code with a parent (CITY:district) is a district of that city; the parent of
    -- the latest submission wins should two submissions disagree.
    select geo_code, parent_geo_code
    from {{ ref('stg_city__submissions') }}
    where geo_code is not null
    qualify row_number() over (partition by geo_code order by submission_id desc, source_row desc) = 1
),

space_districts as (
    -- Districts a city sent as its public-space districts layer: a name and a point (pipelines/spaces).
    -- A name several districts of a city share (València's district 17 in four parts) gets the code appended.
    select
        geo_code, parent_geo_code, lon, lat,
        case when count(*) over (partition by parent_geo_code, name) > 1 then name || ' (' || feature_id || ')'
            else name end as name
    from (
        select geo_code, city_code as parent_geo_code, feature_id, name, lon, lat
        from {{ ref('stg_spaces__features') }}
        where layer = 'district'
        qualify row_number() over (partition by geo_code order by period desc nulls last, submission_id desc) = 1
    ) as latest_districts
),

observed as (
    select distinct geo_code, 'city' as geo_level, cast(null as varchar) as parent_geo_code, 1 as preference
    from {{ ref('stg_eurostat__urb_percep') }}
    union
    select distinct geo_code,
        case
            when geo_code like 'EU%' or geo_code like 'EA%' then 'eu'
            when length(geo_code) = 2 then 'country'
            when length(geo_code) = 3 then 'nuts1'
            when length(geo_code) = 4 then 'nuts2'
            else 'nuts3'
        end as geo_level,
        cast(null as varchar) as parent_geo_code,
        2 as preference
    from {{ ref('int_police_recorded_offences_unioned') }}
    union
    select distinct geo_code, case when geo_code = 'UKC-L' then 'country' else 'nuts1' end as geo_level,
        cast(null as varchar) as parent_geo_code, 3 as preference
    from {{ ref('int_survey_observations_national') }}
    union
    select distinct geo_code,
        case
            when regexp_full_match(geo_code, '[A-Z]{2}[0-9]{3}[A-Z0-9]') then 'city'
            when length(geo_code) = 2 then 'country'
            when length(geo_code) = 3 then 'nuts1'
            when length(geo_code) = 4 then 'nuts2'
            else 'nuts3'
        end as geo_level,
        cast(null as varchar) as parent_geo_code,
        4 as preference
    from {{ ref('stg_sps__survey_results') }}
    union
    select geo_code,
        case
            when parent_geo_code is not null then 'district'
            when regexp_full_match(geo_code, '[A-Z]{2}[0-9]{3}[A-Z0-9]') then 'city'
            when length(geo_code) = 2 then 'country'
            when length(geo_code) = 3 then 'nuts1'
            when length(geo_code) = 4 then 'nuts2'
            else 'nuts3'
        end as geo_level,
        parent_geo_code,
        5 as preference
    from city_submitted
    union
    -- Districts of a city survey (CITY:district)
    select distinct geo_code, 'district' as geo_level, parent_geo_code, 6 as preference
    from {{ ref('int_city_survey_estimates_in_force') }}
    where parent_geo_code is not null
    union
    select geo_code, 'district' as geo_level, parent_geo_code, 7 as preference
    from space_districts
    union
    select distinct geo_code, case when parent_geo_code is null then 'city' else 'district' end as geo_level,
        parent_geo_code, 8 as preference
    from {{ ref('stg_spaces__observations') }}
),

one_per_code as (
    -- A code seen by several sources keeps the level the first of them gives it.
    select * from observed
    qualify row_number() over (partition by geo_code order by preference) = 1
),

parents as (
    select geo_code, nuts3_code, nuts1_code from {{ ref('int_geographies_registered') }}
),

code_list as (
    select geo_code, city_name from {{ ref('stg_eurostat__cities') }}
)

select
    one_per_code.geo_code,
    one_per_code.geo_level,
    -- a district from a city's public-space districts layer, or a city code seen in a source but not in the
    -- register named from Eurostat's code list when loaded
    coalesce(space_districts.name, case when one_per_code.geo_level = 'city' then code_list.city_name end)
        as geo_name,
    case
        when one_per_code.geo_level = 'district' then left(one_per_code.parent_geo_code, 2)
        when one_per_code.geo_level <> 'eu' then left(one_per_code.geo_code, 2)
    end as country_code,
    case
        when one_per_code.geo_level = 'nuts3' then one_per_code.geo_code
        when one_per_code.geo_level = 'district' then parents.nuts3_code
    end as nuts3_code,
    case
        when one_per_code.geo_level in ('nuts1', 'nuts2', 'nuts3') then left(one_per_code.geo_code, 3)
        when one_per_code.geo_level = 'district' then parents.nuts1_code
    end as nuts1_code,
    one_per_code.parent_geo_code,
    space_districts.lon,
    space_districts.lat,
    false as has_geometry,
    case
        when one_per_code.preference = 5 then 'city submissions'
        when one_per_code.preference = 6 then 'city surveys'
        when one_per_code.preference in (7, 8) then 'public-space uploads'
        else 'inferred from source codes'
    end as register_source,
    case
        when space_districts.name is not null then 'high'
        when code_list.city_name is not null and one_per_code.geo_level = 'city' then 'high'
        else 'unknown'
    end as name_confidence,
    case
        when space_districts.geo_code is not null
            then 'District of ' || one_per_code.parent_geo_code || ' from its public-space districts layer '
                || '(outline in dim_public_spaces).'
        when one_per_code.geo_level = 'district' and one_per_code.preference = 6
            then 'District of ' || one_per_code.parent_geo_code || ' in a city survey: no name or geometry.'
        when one_per_code.geo_level = 'district'
            then 'District of ' || one_per_code.parent_geo_code || ' reported in a city upload: no name or geometry.'
        when one_per_code.geo_level = 'city' then 'City code not in the GISCO 2021 register nor in the geography additions.'
        else 'Code not in NUTS 2021 (probably an earlier NUTS version): no name or geometry.'
    end as register_note
from one_per_code
left join parents on one_per_code.parent_geo_code = parents.geo_code
left join space_districts on one_per_code.geo_code = space_districts.geo_code
left join code_list on one_per_code.geo_code = code_list.geo_code
where one_per_code.geo_code not in (select geo_code from {{ ref('int_geographies_registered') }})
