-- One row per indicator x geography x period x breakdown (sex, age_group, breakdown) x source.
-- A refresh of city uploads alone rebuilds only the cities' own rows (macros/partial_rebuild.sql): each row is made
-- from one source row and lookups (catalogue, registry, flags, geographies) an upload does not change for others.
{{ config(partial_rebuild='city_rows') }}
{%- set cities_only = sps_partial_rebuild() %}
with perception_warnings as (
    select indicator_code, geo_code, period,
        'answers for this question sum to ' || block_sum || ' (expected 100 +/- 2)' as quality_note
    from {{ ref('int_perception_block_checks') }}
    where has_sum_anomaly
),

perception as (
    select
        summed.indicator_code, summed.geo_code, summed.period, summed.period_year, summed.value, summed.flags,
        'survey' as source_type,
        'urb_percep' as source_dataset,
        'urb_percep' as survey_id,
        'urb_percep:' || summed.indicator_code as comparability_group,
        'urb_percep/load-' || summed.load_id || '/' || summed.series_keys || '/' || summed.period as lineage_id,
        perception_warnings.quality_note
    from {{ ref('int_perception_indicators_summed') }} as summed
    left join perception_warnings
        on summed.indicator_code = perception_warnings.indicator_code
        and summed.geo_code = perception_warnings.geo_code
        and summed.period = perception_warnings.period
),

police_recorded as (
    select
        indicator_code, geo_code, period, period_year, value, flags,
        'eurostat' as source_type,
        source_dataset,
        -- Eurostat: police-recorded levels are not comparable across countries (legal systems, recording
        -- rules). The UK has three: England and Wales (UKC-UKL), Scotland (UKM), Northern Ireland (UKN).
        source_dataset || ':' || case
            when geo_code like 'UKM%' then 'UKM'
            when geo_code like 'UKN%' then 'UKN'
            when geo_code like 'UK_%' then 'UKC-L'
            else left(geo_code, 2)
        end as comparability_group,
        source_dataset || '/load-' || load_id || '/' || series_key || '/' || period as lineage_id
    from {{ ref('int_police_recorded_rates_mapped') }}
),

national as (
    select
        indicator_code, geo_code, period, period_year, sex, age_group, breakdown, value, observation_status,
        source_type, source_dataset, survey_id, comparability_group, lineage_id
    from {{ ref('int_survey_observations_national') }}
    where not is_conflicting_key
),

submitted_surveys as (
    -- Results sent in the SPS survey template: their own interval, sample size and design effect.
    select
        indicator_code, geo_code, period, period_year, sex, age_group, breakdown, value,
        ci_low as published_ci_low, ci_high as published_ci_high,
        sample_size as own_sample_size, design_effect as own_design_effect,
        'survey' as source_type,
        'survey_results' as source_dataset,
        source_file as submission_id,
        'survey_results:' || indicator_code || ':' || lower(survey_name) as comparability_group,
        'survey_results/load-' || load_id || '/' || source_file || '/row-' || source_row as lineage_id
    from {{ ref('stg_sps__survey_results') }}
),

city_reports as (
    -- The version in force of every cell a city reported for a catalogue indicator (local indicators live in
    -- city_local_indicator_values). A city's own reporting is comparable only with itself over time.
    select
        indicator_code, geo_code, period, period_year, sex, age_group, breakdown, value,
        ci_low as published_ci_low, ci_high as published_ci_high,
        sample_size as own_sample_size,
        'city_report' as source_type,
        'city_report' as source_dataset,
        submission_id,
        report_version,
        uploaded_at as reported_at,
        'city_report:' || indicator_code || ':' || geo_code as comparability_group,
        lineage_id
    from {{ ref('int_city_submissions_versioned') }}
    where is_latest and not is_local_indicator and value is not null
),

city_surveys as (
    -- The city's own survey run with the SPS core module (pipelines/surveys/): design-based estimates with their
    -- own logit interval, Taylor-linearised standard error, design effect and unweighted n. Cells suppressed for
    -- n < 30 are not published. City surveys are comparable with each other (sps_core_v1), never with the
    -- urb_percep proxies or national series.
    select
        indicator_code, geo_code, period, period_year, sex, age_group, breakdown, value, flags,
        ci_low as published_ci_low, ci_high as published_ci_high,
        standard_error as own_standard_error,
        sample_size as own_sample_size, design_effect as own_design_effect,
        'city_survey' as source_type,
        'city_survey' as source_dataset,
        survey_id,
        submission_id,
        uploaded_at as reported_at,
        'sps_core_v1' as comparability_group,
        lineage_id,
        note as quality_note
    from {{ ref('int_city_survey_estimates_in_force') }}
    where not is_suppressed
),

public_space as (
    -- SDG 11.7.1 and its companions from a city's public-space inventory, and its site-audit figures
    -- (pipelines/spaces): their own interval (a bootstrap over sites) and uncertainty method, never a Wilson one.
    select
        indicator_code, geo_code, period, period_year, breakdown, value,
        ci_low as published_ci_low, ci_high as published_ci_high,
        standard_error as own_standard_error, uncertainty_method as own_uncertainty_method,
        sample_size as own_sample_size,
        case when source_dataset = 'safety_audits' then 'city_audit' else 'city_inventory' end as source_type,
        source_dataset,
        submission_id,
        reported_at,
        comparability_group,
        note as quality_note,
        has_caveat as own_quality_warning,
        lineage_id
    from {{ ref('stg_spaces__observations') }}
),

stacked as (
    -- (a partial rebuild keeps the official branches for their columns and types, and reads none of their rows)
    select * from perception {{ 'where false' if cities_only }}
    union all by name
    select * from police_recorded {{ 'where false' if cities_only }}
    union all by name
    select * from national {{ 'where false' if cities_only }}
    union all by name
    select * from submitted_surveys {{ 'where false' if cities_only }}
    union all by name
    select * from city_reports
    union all by name
    select * from city_surveys
    union all by name
    select * from public_space
),

flag_meanings as (
    select
        stacked.lineage_id,
        bool_or(flags.is_break_in_series) as break_in_series,
        bool_or(flags.is_quality_warning) as flag_warning
    from stacked
    inner join {{ ref('flags') }} as flags on contains(coalesce(stacked.flags, ''), flags.flag)
    group by stacked.lineage_id
),

with_registry as (
    select
        stacked.*,
        coalesce(stacked.own_sample_size, registry.sample_size) as sample_size,
        coalesce(stacked.own_design_effect, registry.design_effect) as design_effect,
        stacked.own_sample_size is null and registry.is_sample_size_approximate as is_sample_size_approximate,
        registry.survey_id is not null as has_registry_entry,
        registry.survey_name as registry_survey_name,
        registry.wave as registry_wave,
        registry.sample_size_kind as registry_sample_size_kind,
        registry.source_citation as registry_source_citation,
        -- A Wilson interval only for a proportion: the indicator's unit is a percentage.
        case when left(catalogue.unit, 1) = '%' and stacked.own_uncertainty_method is null
            then coalesce(stacked.own_sample_size, registry.sample_size) end
            as proportion_sample_size
    from stacked
    left join {{ ref('survey_registry') }} as registry
        on stacked.survey_id = registry.survey_id
        and stacked.indicator_code = registry.indicator_code
        and (registry.wave = stacked.period or registry.wave = '*')
    left join {{ ref('indicators') }} as catalogue on stacked.indicator_code = catalogue.indicator_code
),

with_method as (
    select
        *,
        case
            when own_uncertainty_method is not null then own_uncertainty_method
            when source_type in ('eurostat', 'national_statistics') then 'not_applicable'
            when source_type = 'city_survey' then 'taylor_linearisation'
            when published_ci_low is not null then 'published'
            when proportion_sample_size is not null then 'wilson'
            else 'none'
        end as uncertainty_method
    from with_registry
),

with_notes as (
    -- Every row without an interval says why (issue 19): the reason comes from the survey registry when the
    -- survey has an entry (its sample-size kind and citation), otherwise from what the submitter gave. It is added
    -- to the row's quality note but does not make the row a quality warning.
    select
        *,
        case when uncertainty_method = 'none' then
            'No 95 % interval: ' || case
                when has_registry_entry then
                    'the survey registry gives no sample size for ' || registry_survey_name
                    || case when registry_wave = '*' then '' else ', wave ' || registry_wave end
                    || ' (sample size: ' || coalesce(registry_sample_size_kind, 'unknown')
                    || coalesce('; ' || registry_source_citation, '') || '), and the source publishes no interval'
                when sample_size is not null then
                    'a sample size is given but the value is not a percentage, so no interval is computed'
                when source_type = 'city_report' then 'the city reported neither an interval nor a sample size'
                when source_dataset = 'survey_results' then
                    'the survey results give neither an interval nor a sample size'
                else 'the source publishes no interval and no sample size is known'
            end || '.'
        end as uncertainty_note
    from with_method
),

geographies as (
    select geo_code, geo_level from {{ ref('int_geographies_registered') }}
    union all
    select geo_code, geo_level from {{ ref('int_geographies_observed') }}
)

select
    md5(concat_ws('|', obs.indicator_code, obs.geo_code, obs.period, coalesce(obs.sex, ''), coalesce(obs.age_group, ''),
        coalesce(obs.breakdown, ''), obs.source_dataset, obs.comparability_group)) as observation_id,
    obs.indicator_code,
    obs.geo_code,
    geographies.geo_level,
    obs.period,
    obs.period_year,
    obs.sex,
    obs.age_group,
    obs.breakdown,
    obs.value,
    indicators.unit,
    -- A city survey row without its own interval (every answer alike) gets none: no Wilson interval is made up.
    coalesce(obs.published_ci_low, case when obs.source_type <> 'city_survey' then
        round({{ wilson_bound('obs.value', 'obs.proportion_sample_size', 'obs.design_effect', 'low') }}, 4) end)
        as ci_low,
    coalesce(obs.published_ci_high, case when obs.source_type <> 'city_survey' then
        round({{ wilson_bound('obs.value', 'obs.proportion_sample_size', 'obs.design_effect', 'high') }}, 4) end)
        as ci_high,
    cast(obs.sample_size as bigint) as sample_size,
    -- Standard error in the value's unit: a city survey's own (Taylor linearisation), else from the published
    -- interval, else from the effective sample.
    case
        when obs.own_uncertainty_method is not null then obs.own_standard_error
        when obs.source_type = 'city_survey' then obs.own_standard_error
        when obs.published_ci_low is not null
            then (obs.published_ci_high - obs.published_ci_low) / (2 * 1.959963984540054)
        when obs.proportion_sample_size > 0 and obs.value between 0 and 100
            then 100.0 * sqrt((obs.value / 100.0) * (1 - obs.value / 100.0)
                              / (obs.proportion_sample_size / coalesce(obs.design_effect, 1.0)))
    end as standard_error,
    obs.uncertainty_method,
    coalesce(obs.published_ci_low is null and obs.proportion_sample_size is not null
        and obs.is_sample_size_approximate, false)
        as is_ci_approximate,
    obs.flags,
    obs.observation_status,
    obs.source_type,
    obs.source_dataset,
    obs.survey_id,
    obs.submission_id,
    cast(obs.report_version as integer) as report_version,
    cast(obs.reported_at as timestamptz) as reported_at,
    -- City reports, surveys, inventories and audits are the city's own figures, not official statistics.
    obs.source_type not in ('city_report', 'city_survey', 'city_inventory', 'city_audit') as is_official,
    obs.comparability_group,
    coalesce(flag_meanings.break_in_series, false) as break_in_series,
    coalesce(obs.own_quality_warning, obs.quality_note is not null) or coalesce(flag_meanings.flag_warning, false)
        as has_quality_warning,
    nullif(concat_ws('; ', obs.quality_note, obs.uncertainty_note), '') as quality_note,
    obs.lineage_id
from with_notes as obs
inner join {{ ref('indicators') }} as indicators on obs.indicator_code = indicators.indicator_code
left join geographies on obs.geo_code = geographies.geo_code
left join flag_meanings on obs.lineage_id = flag_meanings.lineage_id
