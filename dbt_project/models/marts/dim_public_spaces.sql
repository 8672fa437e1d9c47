-- One row per feature of a city's public-space layers (boundary, district, open_space, street) and inventory
-- period, shape as GeoJSON text in longitude/latitude for the offline map (docs/adr/0007, 0015). Open spaces
-- that were audited carry their latest year's audit figures. No observation holds a geometry: this table does.
with latest_audits as (
    select
        city_code, space_id, period as audit_period,
        audits_day + audits_after_dark as audits,
        safety_score_day, safety_score_after_dark, poor_lighting_after_dark_share
    from {{ ref('stg_spaces__audit_sites') }}
    where space_id is not null
    qualify row_number() over (partition by city_code, space_id order by period desc) = 1
)

select
    features.city_code,
    features.layer,
    features.feature_id,
    features.geo_code,
    features.name,
    features.space_type,
    features.access,
    features.ownership,
    features.is_counted,
    features.area_m2,
    features.area_in_boundary_m2,
    features.period,
    latest_audits.audit_period,
    latest_audits.audits,
    latest_audits.safety_score_day,
    latest_audits.safety_score_after_dark,
    latest_audits.poor_lighting_after_dark_share,
    features.lon,
    features.lat,
    features.geometry_json,
    features.submission_id,
    features.feature_number
from {{ ref('stg_spaces__features') }} as features
left join latest_audits
    on features.layer = 'open_space'
    and features.city_code = latest_audits.city_code
    and features.feature_id = latest_audits.space_id
