-- Data-quality report: every city label of the population export, matched or not, and why not.
select city_label, geo_code, match_method, unmatched_reason, geo_code is not null as is_matched
from {{ ref('int_city_population_label_matches') }}
