-- One row per question block (five answer codes) x city x wave: how many answers are published and
-- what they sum to. A complete block should sum to 100 +/- 2; anything else is a data-quality warning
-- (kept and published with a flag, never dropped).
with blocks as (
    select question_code, indicator_code, indic_ur, answer_position
    from {{ ref('perception_question_blocks') }}
),

answers as (
    select blocks.question_code, blocks.indicator_code, blocks.answer_position, stg.geo_code, stg.period, stg.value
    from {{ ref('stg_eurostat__urb_percep') }} as stg
    inner join blocks on stg.source_code = blocks.indic_ur
    where stg.value is not null
)

select
    question_code,
    indicator_code,
    geo_code,
    period,
    count(*) as answers_published,
    round(sum(value), 6) as block_sum,
    list(value order by answer_position) as answer_values,
    count(*) = 5 as is_complete_block,
    count(*) = 5 and abs(sum(value) - 100) > 2 as has_sum_anomaly
from answers
group by question_code, indicator_code, geo_code, period
