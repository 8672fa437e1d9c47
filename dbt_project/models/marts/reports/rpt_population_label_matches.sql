-- Data-quality report: every city label of the population export, matched or not, and why not. Labels damaged
-- in the source (U+FFFD) and repaired against the register say what they were repaired to.
select city_label, geo_code, match_method, repaired_as, unmatched_reason, geo_code is not null as is_matched
from {{ ref('int_city_population_label_matches') }}
