-- One row per city-local indicator: its name, unit and description as the city's latest upload gave them
-- (an upload that leaves them empty does not erase what an earlier one said).
with local_rows as (
    select * from {{ ref('int_city_submissions_versioned') }} where is_local_indicator
),

latest_row as (
    select indicator_code, city_code, unit, uploaded_at
    from local_rows
    qualify row_number() over (partition by indicator_code order by submission_id desc, source_row desc) = 1
),

latest_named as (
    select indicator_code, local_indicator_name, local_indicator_unit, local_indicator_description
    from local_rows
    where local_indicator_name is not null
    qualify row_number() over (partition by indicator_code order by submission_id desc, source_row desc) = 1
),

first_reported as (
    select indicator_code, min(uploaded_at) as first_reported_at, count(distinct submission_id) as submissions
    from local_rows
    group by indicator_code
)

select
    latest_row.city_code,
    latest_row.indicator_code,
    coalesce(latest_named.local_indicator_name, split_part(latest_row.indicator_code, ':', 3)) as name,
    coalesce(latest_named.local_indicator_unit, latest_row.unit) as unit,
    latest_named.local_indicator_description as description,
    first_reported.first_reported_at,
    latest_row.uploaded_at as last_reported_at,
    first_reported.submissions
from latest_row
left join latest_named on latest_row.indicator_code = latest_named.indicator_code
left join first_reported on latest_row.indicator_code = first_reported.indicator_code
