-- One row per ICCS offence x unit x geography x year, latest load only.
select
    iccs as iccs_code,
    unit as source_unit,
    geo as geo_code,
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
from {{ source('raw', 'crim_gen_reg') }}
where {{ latest_load('crim_gen_reg') }}
