-- Data-quality report: one row per urb_percep question block x city x wave whose five answers do not
-- sum to 100 +/- 2 (e.g. TR012C 2009 sums to 127.5 with a repeated value). The observations stay
-- published with has_quality_warning = true.
select question_code, indicator_code, geo_code, period, answers_published, block_sum, answer_values
from {{ ref('int_perception_block_checks') }}
where has_sum_anomaly
