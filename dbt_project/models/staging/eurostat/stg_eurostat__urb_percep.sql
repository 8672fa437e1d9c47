-- One row per perception item (indic_ur) x city x survey wave, latest load only.
select
    indic_ur as source_code,
    unit as source_unit,
    cities as geo_code,
    time_period as period,
    try_cast(left(time_period, 4) as integer) as period_year,
    value,
    flag,
    series_key,
    load_id,
    source_file,
    source_sha256,
    loaded_at,
    source_last_update
from {{ source('raw', 'urb_percep') }}
where {{ latest_load('urb_percep') }}
