-- One row per version of every cell a city reported (catalogue and local indicators): which upload said
-- what, when, and whether it is still the version in force. Nothing a city sent is ever dropped from here.
select
    versioned.city_code,
    versioned.indicator_code,
    versioned.is_local_indicator,
    versioned.geo_code,
    versioned.parent_geo_code,
    versioned.period,
    versioned.sex,
    versioned.age_group,
    versioned.breakdown,
    versioned.submission_id,
    versioned.source_row,
    versioned.report_version,
    versioned.is_latest,
    lead(versioned.submission_id) over (
        partition by versioned.city_code, versioned.indicator_code, versioned.geo_code, versioned.period,
            versioned.sex, versioned.age_group, versioned.breakdown
        order by versioned.submission_id, versioned.source_row
    ) as superseded_by_submission_id,
    versioned.uploaded_at,
    versioned.original_filename,
    versioned.sha256,
    versioned.upload_format,
    versioned.value,
    versioned.unit,
    versioned.ci_low,
    versioned.ci_high,
    versioned.sample_size,
    versioned.reported_source,
    versioned.note,
    versioned.lineage_id
from {{ ref('int_city_submissions_versioned') }} as versioned
