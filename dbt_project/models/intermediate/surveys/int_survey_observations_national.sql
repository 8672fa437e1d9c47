-- One row per published ONS SDG cell with a value: England and Wales (UKC-L) or an English region /
-- Wales (NUTS 1), mapped to a catalogue indicator through seeds/survey_series_map.csv. Sex and age are
-- named columns; every other disaggregation stays in `breakdown`; totals leave all three empty. The
-- series' population universe (e.g. adults 16 to 59) is part of the comparability group (and so of the
-- observation key), so series with different universes are never mixed.
with cells as (
    select * from {{ ref('stg_ons__sdg_11_7_2') }}
    union all by name
    select * from {{ ref('stg_ons__sdg_16_1_1') }}
    union all by name
    select * from {{ ref('stg_ons__sdg_16_1_3') }}
    union all by name
    select * from {{ ref('stg_ons__sdg_16_1_4') }}
),

mapped as (
    select cells.*, series_map.indicator_code, series_map.survey_id, series_map.universe
    from cells
    inner join {{ ref('survey_series_map') }} as series_map
        on cells.source_dataset = series_map.source_dataset
        and coalesce(cells.series, '') = coalesce(series_map.series, '')
),

keyed as (
select
    mapped.indicator_code,
    coalesce(by_code.nuts1_code, by_name.nuts1_code, 'UKC-L') as geo_code,
    mapped.period,
    mapped.period_year,
    lower(mapped.sex) as sex,
    mapped.age as age_group,
    mapped.breakdown,
    mapped.value,
    mapped.observation_status,
    mapped.survey_id,
    mapped.universe,
    case when mapped.survey_id = 'csew' then 'survey' else 'national_statistics' end as source_type,
    mapped.source_dataset,
    mapped.source_dataset || ':' || mapped.indicator_code || ':' || mapped.universe as comparability_group,
    mapped.source_dataset || '/load-' || mapped.load_id || '/row-' || mapped.source_row || '/' || mapped.period
        as lineage_id
from mapped
left join {{ ref('ons_region_nuts1') }} as by_code on mapped.ons_geocode = by_code.ons_geocode
left join {{ ref('ons_region_nuts1') }} as by_name
    on mapped.ons_geocode is null and mapped.region_name = by_name.region_name
where mapped.value is not null
)

-- A source that publishes two different values for one key (e.g. ONS 16-1-1 has two 2012/13 totals)
-- cannot say which is right: both are kept out of the marts and listed in rpt_survey_conflicting_cells.
select *, count(*) over (
    partition by indicator_code, geo_code, period, sex, age_group, breakdown, source_dataset, comparability_group
) > 1 as is_conflicting_key
from keyed
