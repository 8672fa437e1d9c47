-- One row per target in force: a city's own (the latest target sheet naming the indicator and area wins) and the
-- catalogue's reference targets (seeds/reference_targets.csv; an empty geo_code means every geography). The
-- progress mart prefers a city's own target to a reference target for the same series.
with city_targets as (
    select
        targets.indicator_code,
        targets.geo_code,
        targets.target_value,
        targets.target_year,
        targets.baseline_year,
        'city' as target_source,
        coalesce(targets.reported_source, 'set by the city') as source,
        targets.note,
        targets.submission_id,
        files.uploaded_at
    from {{ ref('stg_city__targets') }} as targets
    inner join {{ ref('stg_city__submission_files') }} as files on targets.submission_id = files.submission_id
    where targets.indicator_code is not null and targets.geo_code is not null and targets.target_value is not null
      and targets.target_year is not null and targets.baseline_year is not null
    qualify row_number() over (
        partition by targets.indicator_code, targets.geo_code order by targets.submission_id desc, targets.source_row desc
    ) = 1
),

reference_targets as (
    select
        indicator_code,
        nullif(trim(geo_code), '') as geo_code,
        target_value,
        target_year,
        baseline_year,
        'reference' as target_source,
        source,
        note,
        cast(null as varchar) as submission_id,
        cast(null as timestamptz) as uploaded_at
    from {{ ref('reference_targets') }}
)

select * from city_targets
union all by name
select * from reference_targets
