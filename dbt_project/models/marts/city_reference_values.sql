-- One row per city observation x reference value: the national (and regional) survey value of a related
-- indicator for the same reference year (e.g. CSEW 'feel safe walking alone after dark', SDG 16.1.4, for
-- English and Welsh cities' urb_percep night-safety values). Context, labelled as such, not a comparison.
with city_values as (
    select observations.indicator_code, observations.geo_code, observations.period, observations.period_year,
        observations.value, geographies.nuts1_code
    from {{ ref('fct_observations') }} as observations
    inner join {{ ref('dim_geographies') }} as geographies on observations.geo_code = geographies.geo_code
    where observations.geo_level = 'city'
),

reference_values as (
    select indicator_code, geo_code, period, period_year, value, comparability_group
    from {{ ref('fct_observations') }}
    where sex is null and age_group is null and breakdown is null and geo_level in ('country', 'nuts1')
      and source_type in ('survey', 'national_statistics')
)

select
    city_values.indicator_code,
    city_values.geo_code,
    city_values.period,
    city_values.value,
    links.reference_indicator_code,
    reference_values.geo_code as reference_geo_code,
    case when reference_values.geo_code = 'UKC-L' then 'national (England and Wales)' else 'region' end as reference_scope,
    reference_values.period as reference_period,
    reference_values.value as reference_value,
    reference_values.comparability_group as reference_comparability_group,
    links.note
from city_values
inner join {{ ref('reference_indicator_links') }} as links on city_values.indicator_code = links.indicator_code
inner join reference_values
    on reference_values.indicator_code = links.reference_indicator_code
    and reference_values.period_year = city_values.period_year
    and (
        reference_values.geo_code = city_values.nuts1_code
        or (reference_values.geo_code = 'UKC-L' and city_values.nuts1_code between 'UKC' and 'UKL')
    )
