-- One row per source dataset x ICCS offence x geography x year: count (NR) and rate (P_HTHAB) for every
-- offence category in the two crime datasets, mapped to an indicator or not.
select
    offences.source_dataset,
    offences.iccs_code,
    iccs.label as offence_label,
    offences.geo_code,
    offences.period,
    offences.period_year,
    max(offences.value) filter (where offences.source_unit = 'NR') as offences_count,
    max(offences.value) filter (where offences.source_unit = 'P_HTHAB') as offences_per_100k,
    {{ merge_flags('offences.flag') }} as flags
from {{ ref('int_police_recorded_offences_unioned') }} as offences
left join {{ ref('iccs_categories') }} as iccs on offences.iccs_code = iccs.iccs_code
group by all
