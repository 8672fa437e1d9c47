-- One row per perception indicator x city x wave: the sum of the answer codes the question registry
-- (seeds/perception_question_blocks.csv, is_numerator) counts as the numerator, e.g. strongly + somewhat
-- agree. Published only when every component is present: a missing component is never treated as zero.
with mapping as (
    select indicator_code, indic_ur as source_code, 'PC' as source_unit
    from {{ ref('perception_question_blocks') }}
    where is_numerator
),

expected as (
    select indicator_code, count(*) as component_count
    from mapping
    group by indicator_code
),

components as (
    select
        mapping.indicator_code,
        answers.geo_code,
        answers.period,
        answers.period_year,
        answers.value,
        answers.flag,
        answers.series_key,
        answers.load_id
    from {{ ref('stg_eurostat__urb_percep') }} as answers
    inner join mapping
        on answers.source_code = mapping.source_code
        and answers.source_unit = mapping.source_unit
)

select
    components.indicator_code,
    components.geo_code,
    components.period,
    components.period_year,
    round(sum(components.value), 6) as value,
    {{ merge_flags('components.flag') }} as flags,
    string_agg(components.series_key, '+' order by components.series_key) as series_keys,
    max(components.load_id) as load_id
from components
inner join expected on components.indicator_code = expected.indicator_code
group by components.indicator_code, components.geo_code, components.period, components.period_year
having count(components.value) = max(expected.component_count)
