-- One row per catalogue indicator x geography x year x source dataset: the per-100 000 rate of the
-- mapped ICCS offence. Offences the two datasets code differently stay different indicators.
select
    mapping.indicator_code,
    offences.source_dataset,
    offences.iccs_code,
    offences.geo_code,
    offences.period,
    offences.period_year,
    offences.value,
    offences.flag as flags,
    offences.series_key,
    offences.load_id
from {{ ref('int_police_recorded_offences_unioned') }} as offences
inner join {{ ref('indicator_source_map') }} as mapping
    on offences.source_dataset = mapping.source_dataset
    and offences.iccs_code = mapping.source_code
    and offences.source_unit = mapping.source_unit
where offences.value is not null
