-- One row per city x catalogue indicator, for every city that uploaded data and every partnership city: what
-- the city reports itself (the versions in force, the city and its districts together) and when it last did.
with reporting_cities as (
    select city_code from {{ ref('stg_city__submission_files') }}
    union
    select geo_code as city_code from {{ ref('partnership_cities') }}
),

in_force as (
    select *
    from {{ ref('int_city_submissions_versioned') }}
    where is_latest and not is_local_indicator and value is not null
),

per_indicator as (
    select
        city_code,
        indicator_code,
        count(distinct period) as periods_reported,
        min(period) as first_period,
        max(period) as last_period,
        count(distinct geo_code) filter (where geo_code <> city_code) as districts_reported,
        count(*) as values_in_force,
        max(report_version) as latest_version,
        count(distinct submission_id) as submissions_in_force,
        max(uploaded_at) as latest_uploaded_at,
        max(submission_id) as latest_submission_id
    from in_force
    group by city_code, indicator_code
)

select
    reporting_cities.city_code,
    geographies.geo_name as city_name,
    indicators.indicator_code,
    indicators.name as indicator_name,
    coalesce(per_indicator.periods_reported, 0) as periods_reported,
    per_indicator.first_period,
    per_indicator.last_period,
    coalesce(per_indicator.districts_reported, 0) as districts_reported,
    coalesce(per_indicator.values_in_force, 0) as values_in_force,
    per_indicator.latest_version,
    coalesce(per_indicator.submissions_in_force, 0) as submissions_in_force,
    per_indicator.latest_uploaded_at,
    cast(per_indicator.latest_uploaded_at as date) as latest_upload_date,
    per_indicator.latest_submission_id,
    per_indicator.indicator_code is not null as is_reported
from reporting_cities
cross join {{ ref('indicators') }} as indicators
left join per_indicator
    on reporting_cities.city_code = per_indicator.city_code
    and indicators.indicator_code = per_indicator.indicator_code
left join {{ ref('dim_geographies') }} as geographies on reporting_cities.city_code = geographies.geo_code
