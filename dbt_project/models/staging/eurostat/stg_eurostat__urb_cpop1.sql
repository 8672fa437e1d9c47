-- Coded city population (live mode only; offline the snapshot has just the label export).
select
    indic_ur as source_code,
    cities as geo_code,
    time_period as period,
    try_cast(left(time_period, 4) as integer) as period_year,
    value,
    flag,
    series_key,
    load_id
from {{ source('raw', 'urb_cpop1') }}
where {{ latest_load('urb_cpop1') }}
