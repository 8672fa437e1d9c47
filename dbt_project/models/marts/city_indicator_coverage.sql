-- One row per city x indicator in the catalogue: how many periods have a value, first and last.
with cities as (
    select geo_code from {{ ref('dim_geographies') }} where geo_level = 'city'
)

select
    cities.geo_code,
    indicators.indicator_code,
    -- periods, not rows: a period with values by sex, age and source is one period
    count(distinct observations.period) filter (where observations.value is not null) as periods_with_value,
    min(observations.period) as first_period,
    max(observations.period) as last_period
from cities
cross join {{ ref('indicators') }} as indicators
left join {{ ref('fct_observations') }} as observations
    on cities.geo_code = observations.geo_code
    and indicators.indicator_code = observations.indicator_code
group by cities.geo_code, indicators.indicator_code
