-- One row per city x year: total population on 1 January. The coded series (live mode) wins over
-- the label-matched export (snapshot).
with coded as (
    select geo_code, period_year, value as population, flag, 'urb_cpop1' as population_source
    from {{ ref('stg_eurostat__urb_cpop1') }}
    where source_code = 'DE1001V' and value is not null
),

matched as (
    select matches.geo_code, labels.period_year, labels.value as population, labels.flag,
        'urb_cpop1 (label export, matched by name)' as population_source
    from {{ ref('stg_eurostat__urb_cpop1_labels') }} as labels
    inner join {{ ref('int_city_population_label_matches') }} as matches
        on labels.city_label = matches.city_label
    where matches.geo_code is not null
      and labels.population_measure = 'total'
      and labels.value is not null
      and matches.geo_code not in (select geo_code from coded)
)

select * from coded
union all
select * from matched
