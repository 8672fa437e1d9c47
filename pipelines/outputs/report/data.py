"""Everything a city report shows, read from one published version (one read-only connection), as plain
records. All SQL of the report is here, with parameters; nothing here formats text for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.outputs.exports import PeriodRange, sources_of
from pipelines.outputs.report.errors import ReportError

TOTALS = "o.sex is null and o.age_group is null and o.breakdown is null"
# The order the report lists a series' assessments in (city_progress methods, docs/methodology/progress.md).
PROGRESS_METHOD_ORDER = ["survey_change_95", "target_ci", "eurostat_sdg_trend", "eurostat_sdg_target", "open_sdg"]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    result = conn.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@dataclass
class SeriesPoint:
    period: str
    period_year: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    standard_error: float | None
    flags: str | None
    break_in_series: bool


@dataclass
class PeerGroup:
    peer_group: str
    label: str
    rank: int | None
    rank_best: int | None
    rank_worst: int | None
    cities_in_group: int | None
    cities_with_value: int
    median: float | None
    minimum: float | None
    maximum: float | None
    indistinguishable_count: int | None
    is_approximate: bool


@dataclass
class CityValue:
    """The latest value of one indicator × comparability group for the city (totals), with its series."""

    indicator: dict
    comparability_group: str
    latest: dict
    series: list[SeriesPoint]
    previous: SeriesPoint | None
    peers: list[PeerGroup]
    peer_values: list[tuple[str, float]]  # (geo_code, value) of the 'all' group, same period and survey
    peer_medians: dict[int, float]  # period_year -> median of all cities, same survey
    references: list[dict]
    survey: dict | None
    # the series' assessments from the city_progress mart (the one place that computes a change, its interval and
    # an assessment), those ending at the latest period shown and starting within the report's period
    progress: list[dict] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.indicator["indicator_code"]

    @property
    def trend(self) -> dict | None:
        """The assessment of the most recent window: surveys the change since the previous wave, other series
        Eurostat's trend over the shorter window (as the dashboard's scorecard shows it)."""
        candidates = [p for p in self.progress if p["method"] in ("survey_change_95", "eurostat_sdg_trend")]
        return max(candidates, key=lambda p: p["from_period"], default=None)


@dataclass
class CityReportData:
    version: str
    published_at: datetime
    city: dict
    period: PeriodRange | None
    indicators: list[dict]
    values: list[CityValue]
    police_context: list[dict]
    survey_context: list[dict]
    submissions: list[dict]
    area_submissions: list[dict]
    local_indicators: list[dict]
    coverage: list[dict]
    flags: list[dict]
    surveys: list[dict]
    sources: list[dict]
    freshness: dict[str, dict] = field(default_factory=dict)
    public_space: dict | None = None  # the city's 11.7.1 by district and its site audits (pipelines/spaces)

    @property
    def has_own_data(self) -> bool:
        return bool(self.values or self.submissions or self.area_submissions or self.local_indicators)


def load_city_report_data(
    conn: duckdb.DuckDBPyConnection, city_code: str, period: PeriodRange | None
) -> CityReportData:
    version, published_at = conn.execute("select version, published_at from _publication").fetchall()[0]
    code = city_code.strip().upper()
    cities = _rows(
        conn,
        """
        select g.geo_code, coalesce(trim(g.geo_name), g.geo_code) as name, g.country_code,
               coalesce(c.geo_name, g.country_code) as country_name, g.nuts3_code, g.nuts2_code, g.nuts1_code,
               g.population, g.population_year, g.size_class, g.is_partnership_city, g.is_perception_survey_city
        from dim_geographies g
        left join dim_geographies c on c.geo_code = g.country_code and c.geo_level = 'country'
        where g.geo_code = ? and g.geo_level = 'city'""",
        [code],
    )
    if not cities:
        near = conn.execute(
            "select geo_code, trim(geo_name) from dim_geographies where geo_level = 'city' and "
            "(geo_code like ? or geo_name ilike ?) order by geo_code limit 3",
            [code[:2] + "%", f"%{city_code.strip()}%"],
        ).fetchall()
        hint = ", ".join(f"{c} {n}" for c, n in near) or "ES002C Barcelona"
        raise ReportError(
            f"--city {city_code}: not a city code of published version {version} (e.g. {hint}); "
            "`sps export geographies` lists them all"
        )
    city = cities[0]
    window, window_params = (
        ("o.period_year between ? and ?", [period.first_year, period.last_year])
        if period
        else (
            "true",
            [],
        )
    )
    indicators = _rows(conn, "select * from dim_indicators order by indicator_code")
    by_code = {i["indicator_code"]: i for i in indicators}

    series_rows = _rows(
        conn,
        f"""
        select o.* from fct_observations o
        where o.geo_code = ? and {TOTALS} and {window} and o.value is not null
        order by o.indicator_code, o.comparability_group, o.period_year, o.period""",
        [code, *window_params],
    )
    grouped: dict[tuple[str, str], list[dict]] = {}
    for row in series_rows:
        grouped.setdefault((row["indicator_code"], row["comparability_group"]), []).append(row)
    progress_rows: dict[tuple[str, str], list[dict]] = {}
    has_progress = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'city_progress'"
    ).fetchall()
    if has_progress[0][0]:  # a version published before the mart existed has no assessments
        for row in _rows(
            conn,
            f"select * from city_progress o where o.geo_code = ? and {TOTALS}",
            [code],
        ):
            progress_rows.setdefault((row["indicator_code"], row["comparability_group"]), []).append(row)
    values = []
    for (indicator_code, group), rows in grouped.items():
        latest = rows[-1]
        series = [
            SeriesPoint(
                r["period"],
                r["period_year"],
                r["value"],
                r["ci_low"],
                r["ci_high"],
                r["standard_error"],
                r["flags"],
                bool(r["break_in_series"]),
            )
            for r in rows
        ]
        values.append(
            CityValue(
                indicator=by_code[indicator_code],
                comparability_group=group,
                latest=latest,
                series=series,
                previous=series[-2] if len(series) > 1 else None,
                peers=_peer_groups(conn, code, indicator_code, group, latest["period"]),
                peer_values=[
                    (r[0], r[1])
                    for r in conn.execute(
                        f"""select o.geo_code, o.value from fct_observations o
                            where o.indicator_code = ? and o.comparability_group = ? and o.period = ?
                              and o.geo_level = 'city' and {TOTALS} and o.value is not null order by o.value""",
                        [indicator_code, group, latest["period"]],
                    ).fetchall()
                ],
                peer_medians={
                    r[0]: r[1]
                    for r in conn.execute(
                        f"""select o.period_year, median(o.value) from fct_observations o
                            where o.indicator_code = ? and o.comparability_group = ? and o.geo_level = 'city'
                              and {TOTALS} and o.value is not null and {window} group by 1""",
                        [indicator_code, group, *window_params],
                    ).fetchall()
                },
                references=_rows(
                    conn,
                    """
                    select r.*, coalesce(rg.geo_name, r.reference_geo_code) as reference_area,
                           coalesce(ri.indicator_name, r.reference_indicator_code) as reference_indicator_name
                    from city_reference_values r
                    left join dim_geographies rg on rg.geo_code = r.reference_geo_code
                    left join dim_indicators ri on ri.indicator_code = r.reference_indicator_code
                    where r.geo_code = ? and r.indicator_code = ? and r.period = ?
                    order by r.reference_scope desc, r.reference_geo_code""",
                    [code, indicator_code, latest["period"]],
                ),
                survey=next(
                    iter(
                        _rows(
                            conn,
                            "select * from dim_survey_registry where survey_id = ? and indicator_code = ? and wave = ?",
                            [latest["survey_id"], indicator_code, latest["period"]],
                        )
                    ),
                    None,
                )
                if latest["survey_id"]
                else None,
                progress=sorted(
                    (
                        p
                        for p in progress_rows.get((indicator_code, group), [])
                        if p["to_period"] == latest["period"]
                        and (period is None or int(p["from_period"][:4]) >= period.first_year)
                    ),
                    key=lambda p: (PROGRESS_METHOD_ORDER.index(p["method"]), p["from_period"]),
                ),
            )
        )
    values.sort(key=lambda v: (v.indicator["partnership_domain"], v.code, v.comparability_group))

    police = _police_context(conn, code, window, window_params)
    survey_context = _survey_context(conn, code, window, window_params)
    submissions = _rows(
        conn,
        f"""
        select o.*, i.indicator_name from fct_observations o join dim_indicators i using (indicator_code)
        where o.geo_code = ? and (o.source_type = 'city_report' or o.source_dataset = 'survey_results') and {window}
        order by o.indicator_code, o.period_year, o.period, o.sex nulls first, o.age_group nulls first,
                 o.breakdown nulls first""",
        [code, *window_params],
    )
    area_submissions = _rows(
        conn,
        f"""
        select o.indicator_code, i.indicator_name, o.period, o.unit, o.sex, o.age_group, o.breakdown,
               count(*) as areas, min(o.value) as minimum, median(o.value) as median, max(o.value) as maximum,
               max(o.report_version) as report_version, max(o.reported_at) as reported_at
        from fct_observations o join dim_indicators i using (indicator_code)
        where o.geo_code like ? || ':%' and {window}
        group by all
        order by o.indicator_code, o.period, o.sex nulls first, o.age_group nulls first, o.breakdown nulls first""",
        [code, *window_params],
    )
    local = _rows(
        conn,
        f"""
        select d.name as indicator_name, d.unit as indicator_unit, d.description, v.*
        from city_local_indicator_values v join dim_local_indicators d on d.indicator_code = v.indicator_code
        where v.city_code = ? and {window.replace("o.", "v.")}
        order by d.name, v.period_year, v.period, v.geo_code, v.sex nulls first, v.breakdown nulls first""",
        [code, *window_params],
    )
    coverage = _rows(
        conn,
        """
        select i.indicator_code, i.indicator_name, i.indicator_family, i.sdg_targets, i.partnership_domain,
               c.periods_with_value, c.first_period, c.last_period,
               coalesce(r.is_reported, false) as is_reported, r.periods_reported, r.latest_version,
               r.latest_upload_date
        from dim_indicators i
        left join city_indicator_coverage c on c.indicator_code = i.indicator_code and c.geo_code = ?
        left join city_reporting_coverage r on r.indicator_code = i.indicator_code and r.city_code = ?
        order by i.indicator_code""",
        [code, code],
    )
    shown_sources = {v.latest["source_dataset"] for v in values}
    shown_sources |= {p["source_dataset"] for p in police}
    shown_sources |= {p["source_dataset"] for p in survey_context}
    shown_sources |= {r["source_dataset"] for r in submissions}
    reference_groups = [r["reference_comparability_group"] for v in values for r in v.references]
    shown_sources |= {g.split(":", 1)[0] for g in reference_groups if g}
    all_sources = {s["dataset"]: s for s in sources_of(conn)}
    sources = [all_sources[s] for s in sorted(shown_sources) if s in all_sources]
    freshness = {r["source_dataset"]: r for r in _rows(conn, "select * from rpt_source_freshness")}
    flags_used = {f for v in values for p in v.series for f in (p.flags or "") if f.strip()}
    flags_used |= {f for p in police for f in (p["flags"] or "") if f.strip()}
    flags = [f for f in _rows(conn, "select * from dim_flags order by flag") if f["flag"] in flags_used]
    survey_ids = sorted({v.latest["survey_id"] for v in values if v.latest["survey_id"]})
    surveys = _rows(
        conn,
        """
        select survey_id, any_value(survey_name) as survey_name, any_value(producer) as producer,
               string_agg(distinct wave, ', ' order by wave) as waves, any_value(mode) as mode,
               any_value(population_universe) as population_universe, any_value(source_citation) as source_citation
        from dim_survey_registry where survey_id in (select unnest(?::varchar[])) group by survey_id order by 1""",
        [survey_ids],
    )
    return CityReportData(
        version=version,
        published_at=published_at,
        city=city,
        period=period,
        indicators=indicators,
        values=values,
        police_context=police,
        survey_context=survey_context,
        submissions=submissions,
        area_submissions=area_submissions,
        local_indicators=local,
        coverage=coverage,
        flags=flags,
        surveys=surveys,
        sources=sources,
        freshness=freshness,
        public_space=_public_space(conn, code, window, window_params),
    )


def _public_space(conn, code: str, window: str, window_params: list) -> dict | None:
    """SDG 11.7.1 and its companions for the city and its districts (latest inventory period in the window), and
    its site-audit figures by time of day (latest audit year); None when the city sent neither."""
    figures = _rows(
        conn,
        f"""
        select o.indicator_code, o.geo_code, coalesce(g.geo_name, o.geo_code) as area_name, o.geo_level, o.period,
               o.value, o.unit, o.comparability_group, o.quality_note
        from fct_observations o left join dim_geographies g on g.geo_code = o.geo_code
        where o.source_type = 'city_inventory' and (o.geo_code = ? or o.geo_code like ? || ':%') and {window}
        qualify o.period = max(o.period) over ()
        order by o.geo_level, o.geo_code, o.indicator_code""",
        [code, code, *window_params],
    )
    audits = _rows(
        conn,
        f"""
        select o.indicator_code, o.period, o.breakdown, o.value, o.ci_low, o.ci_high, o.sample_size,
               o.comparability_group, o.quality_note
        from fct_observations o
        where o.source_type = 'city_audit' and o.geo_code = ? and {window}
          and o.indicator_code in ('audit_safety_score', 'audit_poor_lighting_after_dark_share', 'audit_count',
                                   'audit_site_count')
          and (o.breakdown is null or o.breakdown like 'time_of_day=%')
        qualify o.period = max(o.period) over ()
        order by o.indicator_code, o.breakdown nulls first""",
        [code, *window_params],
    )
    if not figures and not audits:
        return None
    return {"figures": figures, "audits": audits}


def _peer_groups(conn, code: str, indicator_code: str, group: str, period: str) -> list[PeerGroup]:
    rows = _rows(
        conn,
        f"""
        with members as (
            select p.peer_group, p.peer_group_label from city_peer_groups p where p.geo_code = ?
        ),
        peer_values as (
            select q.peer_group, o.value
            from fct_observations o join city_peer_groups q on q.geo_code = o.geo_code
            where o.indicator_code = ? and o.comparability_group = ? and o.period = ? and o.geo_level = 'city'
              and {TOTALS} and o.value is not null
        )
        select m.peer_group, m.peer_group_label, r.rank, r.rank_best, r.rank_worst, r.cities_in_group,
               r.indistinguishable_count, coalesce(r.is_approximate, false) as is_approximate,
               (select count(*) from peer_values v where v.peer_group = m.peer_group) as cities_with_value,
               (select median(v.value) from peer_values v where v.peer_group = m.peer_group) as median,
               (select min(v.value) from peer_values v where v.peer_group = m.peer_group) as minimum,
               (select max(v.value) from peer_values v where v.peer_group = m.peer_group) as maximum
        from members m
        left join city_rank_intervals r
          on r.geo_code = ? and r.indicator_code = ? and r.period = ? and r.peer_group = m.peer_group
         and r.comparability_group = ?
        order by case when m.peer_group = 'all' then 0 when m.peer_group like 'country:%' then 1
                      when m.peer_group like 'size:%' then 2 else 3 end, m.peer_group""",
        [code, indicator_code, group, period, code, indicator_code, period, group],
    )
    return [
        PeerGroup(
            r["peer_group"],
            r["peer_group_label"],
            r["rank"],
            r["rank_best"],
            r["rank_worst"],
            r["cities_in_group"],
            r["cities_with_value"],
            r["median"],
            r["minimum"],
            r["maximum"],
            r["indistinguishable_count"],
            bool(r["is_approximate"]),
        )
        for r in rows
    ]


def _police_context(conn, code: str, window: str, window_params: list) -> list[dict]:
    """Police-recorded rates around the city (latest period per indicator within the window) in the areas of the
    `city_context_areas` mart: its region from crim_gen_reg and its country from crim_off_cat. A version published
    before that mart existed (after a rollback) has no context section."""
    has_mart = conn.execute(
        "select count(*) from information_schema.tables where table_name = 'city_context_areas'"
    ).fetchall()[0][0]
    if not has_mart:
        return []
    return _rows(
        conn,
        f"""
        with latest as (
            select areas.context, o.*
            from city_context_areas areas
            join fct_observations o on o.geo_code = areas.area_code and o.source_dataset = areas.source_dataset
            where areas.city_code = ? and {TOTALS} and {window} and o.value is not null
            qualify row_number() over (
                partition by areas.context, o.geo_code, o.indicator_code order by o.period_year desc, o.period desc
            ) = 1
        )
        select latest.context, latest.geo_code as area_code, latest.geo_level as area_level,
               coalesce(g.geo_name, latest.geo_code) as area_name, latest.indicator_code, latest.period,
               latest.value, latest.unit, latest.flags, latest.source_dataset, latest.lineage_id
        from latest left join dim_geographies g on g.geo_code = latest.geo_code
        order by latest.indicator_code, latest.context desc, latest.geo_code""",
        [code, *window_params],
    )


def _survey_context(conn, code: str, window: str, window_params: list) -> list[dict]:
    """National and regional survey values (and national statistics) for the city's NUTS 1 region and country
    (for English and Welsh cities also England and Wales), totals of every survey universe, latest period per
    indicator within the window. Context only: never the city's own value."""
    return _rows(
        conn,
        f"""
        with city as (select * from dim_geographies where geo_code = ? and geo_level = 'city'),
        areas as (
            select 'region' as context, nuts1_code as area_code from city where nuts1_code is not null
            union all select 'national', country_code from city
            union all select 'national', 'UKC-L' from city where nuts1_code between 'UKC' and 'UKL'
        ),
        latest as (
            select areas.context, o.* from areas
            join fct_observations o on o.geo_code = areas.area_code
            where o.source_type in ('survey', 'national_statistics') and o.geo_level <> 'city'
              and {TOTALS} and {window} and o.value is not null
            qualify row_number() over (
                partition by o.geo_code, o.indicator_code, o.comparability_group
                order by o.period_year desc, o.period desc
            ) = 1
        )
        select latest.context, latest.geo_code as area_code, latest.geo_level as area_level,
               coalesce(g.geo_name, latest.geo_code) as area_name, latest.indicator_code, i.indicator_name,
               latest.period, latest.value, latest.unit, latest.comparability_group, latest.source_dataset,
               latest.uncertainty_method, latest.ci_low, latest.ci_high
        from latest
        join dim_indicators i on i.indicator_code = latest.indicator_code
        left join dim_geographies g on g.geo_code = latest.geo_code
        order by latest.indicator_code, latest.context desc, latest.geo_code, latest.comparability_group""",
        [code, *window_params],
    )
