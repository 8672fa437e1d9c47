-- One row per audited site and year: where it is, how many audits by day and after dark, and its mean safety
-- score, feeling and poor-lighting share (docs/methodology/safety_audits.md). Sites are chosen by the city.
select
    city_code,
    site_id,
    site_name,
    space_id,
    geo_code,
    period,
    lon,
    lat,
    audits_day,
    audits_after_dark,
    safety_score_day,
    safety_score_after_dark,
    feeling_day,
    feeling_after_dark,
    poor_lighting_after_dark_share,
    submission_id
from {{ ref('stg_spaces__audit_sites') }}
