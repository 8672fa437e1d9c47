-- One row per audited site and year: audits and mean figures by day and after dark, a point for the map
-- (raw.public_space_audit_sites, recomputed at each refresh).
select
    city_code,
    site_id,
    nullif(site_name, '') as site_name,
    nullif(space_id, '') as space_id,
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
from {{ source('raw', 'public_space_audit_sites') }}
