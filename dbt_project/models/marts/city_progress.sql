-- Progress assessment (issue 19; docs/methodology/progress.md): one row per geography x indicator x breakdown x
-- comparability group x assessment window x method. The only place that computes a change, its interval and an
-- assessment: the city profile, Compare cities, the city report and `sps export progress` all read these rows.
--
-- A series is one indicator x geography x sex x age group x breakdown x comparability group (same question, scale,
-- universe, source), ordered by period_year, period. Windows end at the series' latest period and never start
-- before a break in series (flag b): the values before the break are not comparable with the latest one.
--
--   sampled series (perception and victimisation surveys: indicator_family perception | survey; site-audit scores)
--     survey_change_95     every earlier period -> the latest: change, change_se = sqrt(se_from^2 + se_to^2)
--                          (independent samples), its 95 % interval, significant improvement | significant
--                          deterioration | no significant change in the catalogue's desired direction; without a
--                          standard error at either end: not assessable (no uncertainty)
--     target_ci            with a target: the latest value's 95 % interval against the straight path from the
--                          baseline value to the target: on track | off track | cannot tell
--   series without sampling error (police-recorded, registers, city measurements)
--     eurostat_sdg_trend   Eurostat's SDG method: compound annual growth rate over the last 5 years (short-term;
--                          at least 3) and since the baseline year, thresholds +-1 % a year
--     eurostat_sdg_target  with a target: Eurostat's ratio of the actual to the required growth rate
--     open_sdg             Open SDG's progress status (sdg-build ProgressMeasure: 1.5 % / 0.5 % / 0, or the ratio
--                          0.95 / 0.6 / 0 with a target), since the baseline year
--
-- A refresh of city uploads alone rebuilds only the series of the geographies of cities that have sent data
-- (macros/partial_rebuild.sql): a series, its windows and its target belong to one geography.
-- depends_on: {{ ref('stg_city__submissions') }}, {{ ref('stg_city__targets') }}
-- depends_on: {{ ref('stg_city__survey_files') }}, {{ ref('stg_spaces__submissions') }}
{{ config(partial_rebuild='city_geographies') }}
{%- set cities_only = sps_partial_rebuild() %}
{%- set z = 1.959963984540054 %}
{%- set baseline_year = var('progress_baseline_year', 2015) %}
{%- set short_years = var('progress_short_term_years', 5) %}
{%- set short_min_years = var('progress_short_term_min_years', 3) %}
{%- set police_caveat = "police-recorded: a change can reflect reporting and recording practice, not only crime (Eurostat); compare a region or country with itself over time" %}

with observations as (
    -- every value of every series, with the columns the windows below need for each row; they sort all of them
    -- (11 M rows at 100x), so what only the latest value of a series needs is joined to that row alone (latest)
    select
        observations.observation_id,
        concat_ws('|', observations.indicator_code, observations.geo_code, coalesce(observations.sex, '~'),
            coalesce(observations.age_group, '~'), coalesce(observations.breakdown, '~'),
            observations.comparability_group) as series_id,
        observations.period,
        observations.period_year,
        observations.value,
        case when observations.standard_error > 0 then observations.standard_error end as standard_error,
        observations.is_ci_approximate,
        observations.break_in_series,
        observations.quality_note
    from {{ ref('fct_observations') }} as observations
    semi join {{ ref('indicators') }} as indicators on observations.indicator_code = indicators.indicator_code
    where observations.value is not null and observations.period_year is not null
    {%- if cities_only %}
        and split_part(observations.geo_code, ':', 1) in {{ sps_city_data_roots() }}
    {%- endif %}
),

series_details as (
    select
        observations.observation_id,
        observations.indicator_code,
        observations.geo_code,
        observations.sex,
        observations.age_group,
        observations.breakdown,
        observations.comparability_group,
        observations.ci_low,
        observations.ci_high,
        indicators.indicator_family,
        -- sampled: surveys, and site-audit scores with their bootstrap over sites (audit counts are exact)
        indicators.indicator_family in ('perception', 'survey')
            or (indicators.indicator_family = 'safety_audit' and observations.uncertainty_method <> 'not_applicable')
            as is_sampled,
        case when indicators.higher_is_better then 1 else -1 end as direction,
        observations.sex is null and observations.age_group is null and observations.breakdown is null as is_total
    from {{ ref('fct_observations') }} as observations
    inner join {{ ref('indicators') }} as indicators on observations.indicator_code = indicators.indicator_code
    {%- if cities_only %}
    where split_part(observations.geo_code, ':', 1) in {{ sps_city_data_roots() }}
    {%- endif %}
),

numbered as (
    select
        *,
        row_number() over (partition by series_id order by period_year, period) as position,
        count(*) over (partition by series_id) as periods
    from observations
),

segmented as (
    -- segment_start: the position of the latest break (the first value comparable with the latest one)
    select
        *,
        coalesce(max(position) filter (where break_in_series) over (partition by series_id), 1) as segment_start,
        arg_max(period, position) filter (where break_in_series) over (partition by series_id) as break_period
    from numbered
),

latest as (
    select segmented.*, series_details.* exclude (observation_id)
    from segmented
    inner join series_details on segmented.observation_id = series_details.observation_id
    where segmented.position = segmented.periods and segmented.periods > 1
),

earlier as (
    select segmented.*
    from segmented
    semi join latest on segmented.series_id = latest.series_id
    where segmented.position < segmented.periods
),

targets as (
    -- the target of a total series: the city's own for its area first, else a reference target
    select
        latest.series_id,
        targets.target_value,
        targets.target_year,
        targets.baseline_year,
        targets.target_source,
        targets.source as target_note
    from latest
    inner join {{ ref('int_progress_targets') }} as targets
        on targets.indicator_code = latest.indicator_code
        and (targets.geo_code = latest.geo_code or targets.geo_code is null)
    where latest.is_total
    qualify row_number() over (
        partition by latest.series_id order by targets.geo_code is null, targets.target_source <> 'city'
    ) = 1
),

comparable as (
    -- earlier periods on the latest one's side of any break
    select earlier.*, latest.period_year as latest_year
    from earlier
    inner join latest on earlier.series_id = latest.series_id
    where earlier.position >= earlier.segment_start and earlier.period_year < latest.period_year
),

short_term as (
    select series_id, min(position) as from_position
    from comparable
    where period_year >= latest_year - {{ short_years }}
    group by series_id
    having any_value(latest_year) - min(period_year) >= {{ short_min_years }}
),

since_baseline as (
    select comparable.series_id, min(comparable.position) as from_position
    from comparable
    left join targets on comparable.series_id = targets.series_id
    where comparable.period_year >= coalesce(targets.baseline_year, {{ baseline_year }})
    group by comparable.series_id
),

windows as (
    -- (series, first period, method, window) for every assessment
    select earlier.series_id, earlier.position as from_position, 'survey_change_95' as method, 'wave' as window_kind
    from earlier inner join latest on earlier.series_id = latest.series_id
    where latest.is_sampled
    union all
    select since_baseline.series_id, since_baseline.from_position, 'target_ci', 'target'
    from since_baseline
    inner join latest on since_baseline.series_id = latest.series_id
    semi join targets on since_baseline.series_id = targets.series_id
    where latest.is_sampled
    union all
    select short_term.series_id, short_term.from_position, 'eurostat_sdg_trend', 'short-term'
    from short_term inner join latest on short_term.series_id = latest.series_id
    where not latest.is_sampled
    union all
    select since_baseline.series_id, since_baseline.from_position, 'eurostat_sdg_trend', 'baseline'
    from since_baseline inner join latest on since_baseline.series_id = latest.series_id
    anti join short_term  -- the same window as the last 5 years: one row
        on short_term.series_id = since_baseline.series_id and short_term.from_position = since_baseline.from_position
    where not latest.is_sampled
    union all
    select since_baseline.series_id, since_baseline.from_position, 'eurostat_sdg_target', 'target'
    from since_baseline
    inner join latest on since_baseline.series_id = latest.series_id
    semi join targets on since_baseline.series_id = targets.series_id
    where not latest.is_sampled
    union all
    select since_baseline.series_id, since_baseline.from_position, 'open_sdg', 'baseline'
    from since_baseline inner join latest on since_baseline.series_id = latest.series_id
    where not latest.is_sampled
),

pairs as (
    select
        windows.method,
        windows.window_kind,
        latest.series_id,
        latest.indicator_code,
        latest.geo_code,
        latest.sex,
        latest.age_group,
        latest.breakdown,
        latest.comparability_group,
        latest.indicator_family,
        latest.direction,
        first.period as from_period,
        latest.period as to_period,
        first.period_year as from_year,
        latest.period_year as to_year,
        first.value as from_value,
        latest.value as to_value,
        latest.ci_low as to_ci_low,
        latest.ci_high as to_ci_high,
        first.standard_error as from_se,
        latest.standard_error as to_se,
        first.position < latest.segment_start as crosses_break,
        latest.break_period,
        first.is_ci_approximate or latest.is_ci_approximate as is_approximate,
        case when first.standard_error is null then first.period || ': ' || coalesce(first.quality_note, 'no 95 % interval') end
            as from_uncertainty_note,
        case when latest.standard_error is null then latest.period || ': ' || coalesce(latest.quality_note, 'no 95 % interval') end
            as to_uncertainty_note,
        case when windows.method in ('target_ci', 'eurostat_sdg_target')
             or (windows.method = 'open_sdg' and targets.series_id is not null) then targets.target_value end
            as target_value,
        case when windows.method in ('target_ci', 'eurostat_sdg_target')
             or (windows.method = 'open_sdg' and targets.series_id is not null) then targets.target_year end
            as target_year,
        targets.baseline_year as target_baseline_year,
        targets.target_source,
        targets.target_note
    from windows
    inner join latest on windows.series_id = latest.series_id
    inner join earlier as first on windows.series_id = first.series_id and windows.from_position = first.position
    left join targets on windows.series_id = targets.series_id
),

measured as (
    select
        *,
        to_year - from_year as years,
        case when not crosses_break then to_value - from_value end as change,
        case when not crosses_break and from_se is not null and to_se is not null
             then sqrt(from_se ^ 2 + to_se ^ 2) end as change_se,
        -- compound annual growth rate (a share per year); undefined without a positive start or a year between
        case when not crosses_break and from_value > 0 and to_value >= 0 and to_year > from_year
             then power(to_value / from_value, 1.0 / (to_year - from_year)) - 1 end as cagr,
        -- Eurostat and Open SDG replace a target of zero by 0.001 (an exponential path never reaches zero)
        case when target_value = 0 then 0.001 else target_value end as path_target,
        -- Open SDG also replaces a base value of zero by 0.001 (sdg-build ProgressMeasure)
        case when from_value = 0 then 0.001 else from_value end as open_sdg_base
    from pairs
),

assessed as (
    select
        *,
        case when target_value is not null and target_year > from_year and from_value > 0
             then power(path_target / from_value, 1.0 / (target_year - from_year)) - 1 end as required_cagr,
        case when not crosses_break and open_sdg_base > 0 and to_value >= 0 and to_year > from_year
             then power(to_value / open_sdg_base, 1.0 / (to_year - from_year)) - 1 end as open_sdg_cagr,
        case when target_value is not null and target_year > from_year and open_sdg_base > 0
             then power(path_target / open_sdg_base, 1.0 / (target_year - from_year)) - 1 end as open_sdg_required,
        -- target_ci: where the straight path from the baseline value to the target stands in the latest period
        case when target_value is not null and target_year > from_year then
            case when to_year >= target_year then target_value
                 else from_value + (target_value - from_value) * (to_year - from_year) / (target_year - from_year) end
        end as path_value
    from measured
),

labelled as (
    select
        *,
        case method
            when 'survey_change_95' then case
                when crosses_break then 'not assessable (break in series)'
                when change_se is null then 'not assessable (no uncertainty)'
                when abs(change) > {{ z }} * change_se then
                    case when change * direction > 0 then 'significant improvement' else 'significant deterioration' end
                else 'no significant change' end
            when 'target_ci' then case
                when to_ci_low is null or to_ci_high is null then 'not assessable (no uncertainty)'
                when path_value is null then 'not assessable (no value before the target year)'
                when direction > 0 and to_ci_low >= path_value then 'on track'
                when direction < 0 and to_ci_high <= path_value then 'on track'
                when direction > 0 and to_ci_high < path_value then 'off track'
                when direction < 0 and to_ci_low > path_value then 'off track'
                else 'cannot tell' end
            when 'eurostat_sdg_trend' then case
                when cagr is null then 'not assessable (zero or negative start value)'
                when 100 * direction * cagr >= 1 then 'significant progress'
                when 100 * direction * cagr >= 0 then 'moderate progress'
                when 100 * direction * cagr > -1 then 'moderate movement away'
                else 'significant movement away' end
            when 'eurostat_sdg_target' then case
                when direction * (to_value - target_value) >= 0 then 'target met'
                when cagr is null or required_cagr is null then 'not assessable (zero or negative start value)'
                when direction * required_cagr <= 0 then 'movement away from the target'
                when cagr / required_cagr >= 0.95 then 'significant progress towards the target'
                when cagr / required_cagr >= 0.6 then 'moderate progress towards the target'
                when cagr / required_cagr >= 0 then 'insufficient progress towards the target'
                else 'movement away from the target' end
            when 'open_sdg' then case
                when target_value is not null and direction * (to_value - target_value) >= 0 then 'target achieved'
                when open_sdg_cagr is null then 'not available'
                when target_value is not null then case
                    when open_sdg_required is null or open_sdg_required = 0 then 'not available'
                    when direction * open_sdg_cagr / abs(open_sdg_required) >= 0.95 then 'substantial progress'
                    when direction * open_sdg_cagr / abs(open_sdg_required) >= 0.6 then 'moderate progress'
                    when direction * open_sdg_cagr / abs(open_sdg_required) >= 0 then 'limited progress'
                    else 'deterioration' end
                when direction * open_sdg_cagr >= 0.015 then 'substantial progress'
                when direction * open_sdg_cagr >= 0.005 then 'moderate progress'
                when direction * open_sdg_cagr >= 0 then 'limited progress'
                else 'deterioration' end
        end as assessment
    from assessed
)

select
    indicator_code,
    geo_code,
    sex,
    age_group,
    breakdown,
    comparability_group,
    from_period,
    to_period,
    from_value,
    to_value,
    -- rounded to 6 decimals: the inputs have at most 4, so this only drops floating-point noise (79.0 - 72.4)
    round(change, 6) as change,
    round(change_se, 6) as change_se,
    round(change - {{ z }} * change_se, 6) as change_ci_low,
    round(change + {{ z }} * change_se, 6) as change_ci_high,
    round(100 * case when method = 'open_sdg' then open_sdg_cagr else cagr end, 6) as annual_growth_rate,
    target_value,
    cast(target_year as integer) as target_year,
    assessment,
    method,
    nullif(concat_ws('; ',
        case window_kind
            when 'short-term' then 'window: the last {{ short_years }} years (Eurostat short-term)'
            when 'baseline' then 'window: since the baseline year ' || coalesce(target_baseline_year, {{ baseline_year }})
                || case when from_year <> coalesce(target_baseline_year, {{ baseline_year }})
                        then ' (first comparable value ' || from_period || ')' else '' end
            when 'target' then 'target set by ' || case when target_source = 'city' then 'the city' else 'the catalogue' end
                || coalesce(' (' || target_note || ')', '') || ', baseline year ' || target_baseline_year
                || case when from_year <> target_baseline_year then ' (first comparable value ' || from_period || ')' else '' end
        end,
        case when crosses_break then 'break in series in ' || break_period || ': values before it are not comparable' end,
        case when method in ('survey_change_95', 'target_ci') and not crosses_break then from_uncertainty_note end,
        case when method in ('survey_change_95', 'target_ci') and not crosses_break then to_uncertainty_note end,
        case when method in ('survey_change_95', 'target_ci') and is_approximate and change_se is not null
             then 'interval approximate: it rests on the survey''s nominal sample size' end,
        case when method = 'target_ci' and path_value is not null and to_ci_low is not null
             then 'path value ' || round(path_value, 2) || ' in ' || to_period || ', latest 95 % interval '
                  || round(to_ci_low, 2) || ' to ' || round(to_ci_high, 2) end,
        case when method = 'eurostat_sdg_target' and required_cagr is not null
             then 'required growth rate ' || round(100 * required_cagr, 2) || ' % a year' end,
        case when indicator_family = 'police_recorded' then '{{ police_caveat }}' end
    ), '') as note
from labelled
