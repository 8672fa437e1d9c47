-- One row per indicator x geography x period x breakdown (sex, age_group, breakdown) x source.
with perception_warnings as (
    select indicator_code, geo_code, period,
        'answers for this question sum to ' || block_sum || ' (expected 100 +/- 2)' as quality_note
    from {{ ref('int_perception_block_checks') }}
    where has_sum_anomaly
),

perception as (
    select
        summed.indicator_code, summed.geo_code, summed.period, summed.period_year, summed.value, summed.flags,
        'survey' as source_type,
        'urb_percep' as source_dataset,
        'urb_percep:' || summed.indicator_code as comparability_group,
        'urb_percep/load-' || summed.load_id || '/' || summed.series_keys || '/' || summed.period as lineage_id,
        perception_warnings.quality_note
    from {{ ref('int_perception_indicators_summed') }} as summed
    left join perception_warnings
        on summed.indicator_code = perception_warnings.indicator_code
        and summed.geo_code = perception_warnings.geo_code
        and summed.period = perception_warnings.period
),

police_recorded as (
    select
        indicator_code, geo_code, period, period_year, value, flags,
        'eurostat' as source_type,
        source_dataset,
        -- Eurostat: police-recorded levels are not comparable across countries (legal systems, recording
        -- rules). The UK has three: England and Wales (UKC-UKL), Scotland (UKM), Northern Ireland (UKN).
        source_dataset || ':' || case
            when geo_code like 'UKM%' then 'UKM'
            when geo_code like 'UKN%' then 'UKN'
            when geo_code like 'UK_%' then 'UKC-L'
            else left(geo_code, 2)
        end as comparability_group,
        source_dataset || '/load-' || load_id || '/' || series_key || '/' || period as lineage_id,
        cast(null as varchar) as quality_note
    from {{ ref('int_police_recorded_rates_mapped') }}
),

stacked as (
    select * from perception
    union all by name
    select * from police_recorded
),

flag_meanings as (
    select
        stacked.lineage_id,
        bool_or(flags.is_break_in_series) as break_in_series,
        bool_or(flags.is_quality_warning) as flag_warning
    from stacked
    inner join {{ ref('flags') }} as flags on contains(coalesce(stacked.flags, ''), flags.flag)
    group by stacked.lineage_id
)

select
    md5(concat_ws('|', stacked.indicator_code, stacked.geo_code, stacked.period, '', '', '', stacked.source_dataset))
        as observation_id,
    stacked.indicator_code,
    stacked.geo_code,
    geographies.geo_level,
    stacked.period,
    stacked.period_year,
    cast(null as varchar) as sex,
    cast(null as varchar) as age_group,
    cast(null as varchar) as breakdown,
    stacked.value,
    indicators.unit,
    cast(null as double) as ci_low,
    cast(null as double) as ci_high,
    cast(null as bigint) as sample_size,
    stacked.flags,
    stacked.source_type,
    stacked.source_dataset,
    cast(null as varchar) as submission_id,
    true as is_official,
    stacked.comparability_group,
    coalesce(flag_meanings.break_in_series, false) as break_in_series,
    stacked.quality_note is not null or coalesce(flag_meanings.flag_warning, false) as has_quality_warning,
    stacked.quality_note,
    stacked.lineage_id
from stacked
inner join {{ ref('indicators') }} as indicators on stacked.indicator_code = indicators.indicator_code
left join (
    select geo_code, geo_level from {{ ref('int_geographies_registered') }}
    union all
    select geo_code, geo_level from {{ ref('int_geographies_observed') }}
) as geographies on stacked.geo_code = geographies.geo_code
left join flag_meanings on stacked.lineage_id = flag_meanings.lineage_id
