-- Reporting cycles (issue 19): one row per city x cycle of seeds/reporting_cycles.csv, for every partnership city and
-- every city that uploaded: which requested indicators the city has a value for in the cycle's data years, and from
-- where (a city upload: values, public-space layers or site audits; a city survey: the SPS survey kit or results
-- sent in the survey template; or an official source such as Eurostat or a national statistics office), which are missing, the last submission that counts, and complete / partial / none.
-- A value counts for a cycle when its period starts within the cycle's data years (first_period_year ..
-- last_period_year), whenever it was uploaded; the city's districts count for the city.
with cycles as (
    select
        cycle, opens_on, closes_on, first_period_year, last_period_year,
        trim(unnest(string_split(indicators_requested, ';'))) as indicator_code
    from {{ ref('reporting_cycles') }}
),

cycle_sizes as (
    select cycle, count(distinct indicator_code) as indicators_requested from cycles group by cycle
),

cities as (
    select geo_code as city_code from {{ ref('partnership_cities') }}
    union
    select city_code from {{ ref('stg_city__submission_files') }}
),

city_values as (
    select
        observations.indicator_code,
        coalesce(geographies.parent_geo_code, observations.geo_code) as city_code,
        observations.period_year,
        case
            when observations.source_type in ('city_report', 'city_inventory', 'city_audit') then 'city upload'
            when observations.source_type = 'city_survey'
                or (observations.source_type = 'survey' and observations.submission_id is not null) then 'city survey'
            else 'official source'
        end as channel,
        observations.reported_at
    from {{ ref('fct_observations') }} as observations
    inner join {{ ref('dim_geographies') }} as geographies on observations.geo_code = geographies.geo_code
    where geographies.geo_level in ('city', 'district') and observations.value is not null
),

reported as (
    select
        cycles.cycle,
        city_values.city_code,
        cycles.indicator_code,
        list(distinct city_values.channel order by city_values.channel) as channels,
        max(city_values.reported_at) as last_reported_at
    from cycles
    inner join city_values
        on city_values.indicator_code = cycles.indicator_code
        and city_values.period_year between cycles.first_period_year and cycles.last_period_year
    group by all
),

uploads_in_window as (
    select cycles.cycle, files.city_code, max(files.uploaded_at) as last_uploaded_at
    from (select distinct cycle, opens_on, closes_on from cycles) as cycles
    inner join {{ ref('stg_city__submission_files') }} as files
        on cast(files.uploaded_at as date) between cycles.opens_on and cycles.closes_on
    group by all
),

per_city as (
    select
        cycles.cycle,
        cities.city_code,
        any_value(cycles.opens_on) as opens_on,
        any_value(cycles.closes_on) as closes_on,
        any_value(cycles.first_period_year) as first_period_year,
        any_value(cycles.last_period_year) as last_period_year,
        count(reported.indicator_code) as indicators_reported,
        string_agg(cycles.indicator_code, ', ' order by cycles.indicator_code)
            filter (where list_contains(reported.channels, 'city upload')) as reported_by_city_upload,
        string_agg(cycles.indicator_code, ', ' order by cycles.indicator_code)
            filter (where list_contains(reported.channels, 'city survey')) as reported_by_city_survey,
        string_agg(cycles.indicator_code, ', ' order by cycles.indicator_code)
            filter (where list_contains(reported.channels, 'official source')) as reported_by_official_source,
        string_agg(cycles.indicator_code, ', ' order by cycles.indicator_code)
            filter (where reported.indicator_code is null) as missing_indicators,
        max(reported.last_reported_at) as last_reported_at
    from cycles
    cross join cities
    left join reported
        on reported.cycle = cycles.cycle
        and reported.city_code = cities.city_code
        and reported.indicator_code = cycles.indicator_code
    group by cycles.cycle, cities.city_code
)

select
    per_city.cycle,
    per_city.city_code,
    trim(geographies.geo_name) as city_name,
    coalesce(geographies.is_partnership_city, false) as is_partnership_city,
    per_city.opens_on,
    per_city.closes_on,
    per_city.first_period_year,
    per_city.last_period_year,
    cycle_sizes.indicators_requested,
    per_city.indicators_reported,
    per_city.indicators_reported / cycle_sizes.indicators_requested as share_reported,
    per_city.reported_by_city_upload,
    per_city.reported_by_city_survey,
    per_city.reported_by_official_source,
    per_city.missing_indicators,
    greatest(per_city.last_reported_at, uploads_in_window.last_uploaded_at) as last_submission_at,
    case
        when per_city.indicators_reported = cycle_sizes.indicators_requested then 'complete'
        when per_city.indicators_reported > 0 then 'partial'
        else 'none'
    end as status
from per_city
inner join cycle_sizes on per_city.cycle = cycle_sizes.cycle
left join uploads_in_window on per_city.cycle = uploads_in_window.cycle and per_city.city_code = uploads_in_window.city_code
left join {{ ref('dim_geographies') }} as geographies on per_city.city_code = geographies.geo_code
order by per_city.cycle, per_city.city_code
