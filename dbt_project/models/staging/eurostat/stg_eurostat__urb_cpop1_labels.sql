-- City population from the old explorer export, keyed by city LABEL (matched to codes downstream).
select
    cities as city_label,
    case indic_ur
        when 'Population on the 1st of January, total' then 'total'
        when 'Population on the 1st of January, male' then 'male'
        when 'Population on the 1st of January, female' then 'female'
        when 'Population on the 1st of January, 0-4 years, total' then 'age_0_4_total'
        when 'Population on the 1st of January, 0-4 years, male' then 'age_0_4_male'
    end as population_measure,
    indic_ur as source_measure_label,
    time_period as period,
    try_cast(time_period as integer) as period_year,
    value,
    flag,
    series_key,
    load_id
from {{ source('raw', 'urb_cpop1_labels') }}
where {{ latest_load('urb_cpop1_labels') }}
