"""Every SQL statement the dashboard runs, in one place, with parameters (never formatted values).

Reads only published versions, read-only, so a refresh can run (and publish) while analysts read. One
read-only connection stays open per published file (opening one costs ~18 ms and starts with a cold cache);
each query runs on its own cursor, so threads (one per browser session) never share a cursor. A page asks
for `current_published()` once and passes that version to every query, so it never mixes two versions; the
next page view reads the CURRENT pointer again and so picks up a new publication.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboards.frames import pairs
from pipelines.settings import load_settings
from pipelines.versions.serving import serving_version
from pipelines.versions.store import open_version


@dataclass(frozen=True)
class Published:
    version: str
    path: str
    problem: str | None = None  # why the version CURRENT names is not the one served (damaged); None if it is
    banner: str = ""
    named: str | None = None  # the version CURRENT names


def current_published() -> Published:
    """The version to serve: CURRENT, verified once per process (sha256 against its manifest), or the newest
    intact kept version when CURRENT is damaged (with the banner to show)."""
    serving = serving_version(load_settings().published_dir)
    return Published(serving.version, str(serving.path), serving.problem, serving.banner(), serving.named)


TOTALS = "sex is null and age_group is null and breakdown is null"
# indicator_period_counts.totals_by_level computed from fct_observations (the mart's own SQL, in one select)
_TOTALS_BY_LEVEL = f"""(
        select indicator_code, period,
               list({{'geo_level': geo_level, 'country_code': country_code, 'places': places}}
                    order by geo_level, country_code nulls first) as totals_by_level
        from (select o.indicator_code, o.period, o.geo_level, g.country_code, count(*) as places
              from fct_observations o left join dim_geographies g using (geo_code)
              where o.{TOTALS.replace(" and ", " and o.")} group by all)
        group by indicator_code, period)"""
# Marts made for the dashboard (dbt_project/models/marts/dashboard/) and the same rows computed from
# fct_observations, used for a version published before the mart existed (after a rollback): slower, same answer.
_MART_FALLBACKS = {
    "indicator_period_counts": f"""(
        select c.*, coalesce(t.totals_by_level, []) as totals_by_level
        from (select indicator_code, period, count(*) as observations,
                     count(*) filter (where geo_level = 'city' and {TOTALS}) as map_city_values,
                     count(*) filter (where geo_level = 'nuts3' and source_dataset = 'crim_gen_reg' and {TOTALS})
                         as map_nuts3_values
              from fct_observations group by indicator_code, period) c
        left join {_TOTALS_BY_LEVEL} t using (indicator_code, period))""",
    "area_latest_values": f"""(
        select * from fct_observations where geo_level <> 'city' and {TOTALS}
        qualify row_number() over (
            partition by geo_code, indicator_code, source_dataset
            order by period_year desc, period desc, comparability_group desc) = 1)""",
    "city_observations": "(select * from fct_observations where geo_level in ('city', 'district'))",
}
_MART_NAMES = re.compile(r"\b(" + "|".join(_MART_FALLBACKS) + r")\b")
# Columns added to a table after versions were published with it: such a version is read through a select that
# derives them (same meaning, less polish). Keyed by table; the marker is "<table>.<column>" in the version's names.
_COLUMN_FALLBACKS = {
    "dim_geographies": (
        "dim_geographies.display_name",
        "(select *, coalesce(geo_name, geo_code) as display_name, geo_name is not null as is_named "
        "from dim_geographies)",
    ),
    "indicator_period_counts": (
        "indicator_period_counts.totals_by_level",
        f"""(select c.*, coalesce(t.totals_by_level, []) as totals_by_level from indicator_period_counts c
             left join {_TOTALS_BY_LEVEL} t using (indicator_code, period))""",
    ),
}
_COLUMN_TABLES = re.compile(r"\b(" + "|".join(_COLUMN_FALLBACKS) + r")\b")

# Open connections with the tables of their file, newest last, keyed by the file's path and identity (a file is
# never rewritten under the same name, but keying by inode and mtime too makes that an assumption nothing relies on).
_OPEN_VERSIONS = 3  # the current version plus the ones a page started before a publish may still be reading
_connections: OrderedDict[tuple[str, int, int], tuple[duckdb.DuckDBPyConnection, frozenset[str]]] = OrderedDict()
_connections_lock = threading.Lock()


def _cursor(published: Published) -> tuple[duckdb.DuckDBPyConnection, frozenset[str]]:
    """A new cursor on the one open read-only connection to `published` (opened on first use), and the names
    of the tables in that version."""
    try:
        stat = os.stat(published.path)
        key = (published.path, stat.st_ino, stat.st_mtime_ns)
    except FileNotFoundError:
        key = None
    with _connections_lock:
        if key is None:  # pruned since the page started: still readable if it is open, else duckdb says so
            key = next((k for k in reversed(_connections) if k[0] == published.path), (published.path, -1, -1))
        opened = _connections.get(key)
        if opened is None:
            conn = open_version(Path(published.path))  # read-only; its table files' metadata stays cached
            tables = frozenset(
                name for (name,) in conn.execute("select table_name from information_schema.tables").fetchall()
            )
            tables |= frozenset(  # "<table>.<column>" markers for the columns _COLUMN_FALLBACKS may derive
                f"{table}.{column}"
                for table, column in conn.execute(
                    "select table_name, column_name from duckdb_columns() where table_name in (select unnest(?))",
                    [list(_COLUMN_FALLBACKS)],
                ).fetchall()
            )
            opened = _connections[key] = (conn, tables)
            while len(_connections) > _OPEN_VERSIONS:
                # dropped, not closed: closing would close the cursors other threads are reading with; the
                # file is released when the last of them is garbage-collected
                _connections.popitem(last=False)
        else:
            _connections.move_to_end(key)
        return opened[0].cursor(), opened[1]


def _query(published: Published, sql: str, params: list | None = None) -> pd.DataFrame:
    cursor, tables = _cursor(published)
    with cursor:
        if not tables.issuperset(_MART_FALLBACKS):
            sql = _MART_NAMES.sub(lambda m: m[1] if m[1] in tables else _MART_FALLBACKS[m[1]], sql)
        missing = {t for t, (marker, _) in _COLUMN_FALLBACKS.items() if t in tables and marker not in tables}
        if missing:
            sql = _COLUMN_TABLES.sub(lambda m: _COLUMN_FALLBACKS[m[1]][1] if m[1] in missing else m[1], sql)
        return cursor.execute(sql, params or []).df()


def indicators(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select i.*, coalesce(c.observations, 0) as observations
        from dim_indicators i
        left join (
            select indicator_code, sum(observations)::bigint as observations
            from indicator_period_counts group by indicator_code
        ) c using (indicator_code)
        order by i.indicator_family, i.indicator_code""",
    )


def periods_for(published: Published, indicator_code: str) -> list[str]:
    frame = _query(
        published,
        "select period from indicator_period_counts where indicator_code = ? order by period desc",
        [indicator_code],
    )
    return frame["period"].tolist()


def city_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select g.display_name as city, o.geo_code, g.country_code as country, o.value, o.ci_low, o.ci_high,
               o.sample_size, o.uncertainty_method, o.is_ci_approximate, o.unit, o.flags,
               o.has_quality_warning, o.quality_note, o.source_dataset, o.period,
               g.is_partnership_city, g.size_class, o.comparability_group, o.lineage_id,
               o.standard_error, o.source_type, g.is_named
        from city_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = 'city'
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.value desc, o.geo_code""",
        [indicator_code, period],
    )


def city_group_counts(published: Published, indicator_code: str) -> pd.DataFrame:
    """Per period and comparability group: how many cities (and named cities) have a total value. The Compare
    page opens on the period and group with the most cities, so one city's own report never becomes the view."""
    return _query(
        published,
        """
        select o.period, o.comparability_group, count(distinct o.geo_code) as cities,
               count(distinct o.geo_code) filter (where g.is_named) as named_cities
        from city_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.geo_level = 'city'
          and o.sex is null and o.age_group is null and o.breakdown is null
        group by all
        order by named_cities desc, cities desc, o.period desc, o.comparability_group""",
        [indicator_code],
    )


def area_periods(published: Published, indicator_code: str, geo_levels: tuple[str, ...]) -> list[str]:
    """Periods with a total value at one of `geo_levels` (e.g. the NUTS levels), newest first."""
    frame = _query(
        published,
        """
        select distinct period from (
            select period, unnest(totals_by_level) as t from indicator_period_counts where indicator_code = ?)
        where list_contains(?, t.geo_level)
        order by period desc""",
        [indicator_code, list(geo_levels)],
    )
    return frame["period"].tolist()


def country_series(published: Published, indicator_code: str, source_dataset: str) -> pd.DataFrame:
    """Every country's total values of one indicator from one source, over time (each country against its past)."""
    return _query(
        published,
        """
        select g.display_name as country_name, o.geo_code, o.period, o.period_year, o.value, o.unit, o.flags,
               o.break_in_series, o.source_dataset, o.lineage_id
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.source_dataset = ? and o.geo_level = 'country'
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.geo_code, o.period_year, o.period""",
        [indicator_code, source_dataset],
    )


def region_values(published: Published, indicator_code: str, period: str, geo_level: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select g.display_name as region, o.geo_code, g.country_code as country, o.value,
               o.unit, o.flags, o.observation_status, o.uncertainty_method, o.source_dataset, o.period,
               o.comparability_group, o.lineage_id, g.nuts3_code, g.nuts2_code, g.nuts1_code
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = ?
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.source_dataset, o.value desc, o.geo_code""",
        [indicator_code, period, geo_level],
    )


def region_values_by_level(
    published: Published, indicator_code: str, period: str, geo_levels: tuple[str, ...], country: str | None = None
) -> dict[str, pd.DataFrame]:
    """`region_values` for several levels at once: one scan of the observations instead of one per level (a page
    showing three NUTS levels ran three, ~20-30 ms each at 100x). Each frame holds the rows and values
    `region_values` gives for its level, in its order (a column empty in one level may hold NaN where
    `region_values` gives None: the pages test with `pd.isna`). With `country`, only that country's regions (the
    police view shows one country at a time: at 100x a level holds ~12 000 regions of every country, ~100 ms to
    read into a frame, where one country's are a few hundred)."""
    frame = _query(
        published,
        """
        select g.display_name as region, o.geo_code, g.country_code as country, o.value,
               o.unit, o.flags, o.observation_status, o.uncertainty_method, o.source_dataset, o.period,
               o.comparability_group, o.lineage_id, g.nuts3_code, g.nuts2_code, g.nuts1_code, o.geo_level
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and list_contains(?, o.geo_level)
          and o.sex is null and o.age_group is null and o.breakdown is null
          and (?::varchar is null or g.country_code = ?)
        order by o.geo_level, o.source_dataset, o.value desc, o.geo_code""",
        [indicator_code, period, list(geo_levels), country, country],
    )
    levels = frame.pop("geo_level")
    return {level: frame[(levels == level).to_numpy()].reset_index(drop=True) for level in geo_levels}


def region_countries(
    published: Published, indicator_code: str, period: str, geo_levels: tuple[str, ...]
) -> pd.DataFrame:
    """How many regions of each level each country has a value for (the rows `region_values` would give, counted):
    the police view's country and level choices, without reading every region's row."""
    return _query(
        published,
        """
        select t.country_code as country, t.geo_level, t.places as regions
        from (select unnest(totals_by_level) as t from indicator_period_counts where indicator_code = ? and period = ?)
        where list_contains(?, t.geo_level) and t.country_code is not null
        order by country, t.geo_level""",
        [indicator_code, period, list(geo_levels)],
    )


def comparisons_with(published: Published, indicator_code: str, period: str, geo_code: str) -> pd.DataFrame:
    """Every other city of the 'all' peer group and whether it differs from `geo_code` at 95 %."""
    return _query(
        published,
        """
        select other_geo_code as geo_code, is_significant, difference, z_score
        from city_pairwise_comparisons
        where indicator_code = ? and period = ? and geo_code = ? and peer_group = 'all'""",
        [indicator_code, period, geo_code],
    )


def rank_interval(published: Published, indicator_code: str, period: str, geo_code: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select rank, rank_best, rank_worst, cities_in_group, indistinguishable_count, is_approximate
        from city_rank_intervals
        where indicator_code = ? and period = ? and geo_code = ? and peer_group = 'all'""",
        [indicator_code, period, geo_code],
    )


def reference_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    return _query(
        published,
        """
        select r.geo_code, g.display_name as city, r.value as city_value, r.reference_scope,
               rg.display_name as reference_area, r.reference_period,
               r.reference_value, r.reference_indicator_code, r.note
        from city_reference_values r
        join dim_geographies g on g.geo_code = r.geo_code
        left join dim_geographies rg on rg.geo_code = r.reference_geo_code
        where r.indicator_code = ? and r.period = ?
        order by r.geo_code, r.reference_scope""",
        [indicator_code, period],
    )


def survey_registry(published: Published) -> pd.DataFrame:
    return _query(published, "select * from dim_survey_registry order by survey_id, wave, indicator_code")


def source_freshness(published: Published) -> pd.DataFrame:
    return _query(published, "select * from rpt_source_freshness order by source_dataset")


def block_anomalies(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select a.question_code, a.geo_code, g.display_name as city, a.period, a.block_sum,
               array_to_string(a.answer_values, ' / ') as answers
        from rpt_perception_block_anomalies a left join dim_geographies g using (geo_code)
        order by a.period, a.geo_code""",
    )


def population_label_matches(published: Published) -> pd.DataFrame:
    return _query(published, "select * from rpt_population_label_matches order by is_matched, city_label")


def population_label_shares(published: Published) -> dict:
    """How many population labels matched a city code by name, and how many more after repairing the labels
    damaged in the source ('repaired'; 'wildcard' in versions published before it was called so)."""
    frame = _query(
        published,
        """select count(*) as labels, count(*) filter (where is_matched) as matched,
                  count(*) filter (where is_matched and match_method in ('repaired', 'wildcard')) as repaired
           from rpt_population_label_matches""",
    )
    labels, matched, repaired = (int(v) for v in frame.iloc[0])
    if not labels:
        return {}
    return {"labels": labels, "matched": matched, "repaired": repaired, "matched_before_repair": matched - repaired}


def geographies_without_geometry(published: Published) -> pd.DataFrame:
    """Cities absent from the GISCO register, with where the overview map places them (location_source)."""

    def sql(location: str) -> str:  # `location` is one of the two column expressions below, never a value
        return f"""
        select geo_code, display_name, geo_level, name_confidence, {location} as map_location, register_note
        from dim_geographies where not has_geometry and geo_level = 'city' order by geo_code"""

    try:
        return _query(published, sql("location_source"))
    except duckdb.BinderException:  # a version published before locations were (after a rollback)
        return _query(published, sql("cast(null as varchar)"))


def place_names(published: Published, city: str) -> dict[str, str]:
    """geo_code -> name of a city and of its districts known to the register (the upload page's picker); empty
    when the register does not know the city."""
    frame = _query(
        published,
        """select geo_code, display_name from dim_geographies where geo_code = ? or parent_geo_code = ?
           order by geo_code = ? desc, geo_code""",
        [city, city, city],
    )
    return pairs(frame, "geo_code", "display_name")


def peer_group_members(published: Published, peer_group: str) -> list[str]:
    frame = _query(
        published, "select geo_code from city_peer_groups where peer_group = ? order by geo_code", [peer_group]
    )
    return frame["geo_code"].tolist()


def city_directory(published: Published) -> pd.DataFrame:
    return _query(
        published,
        """
        select geo_code, display_name as city, country_code, size_class, is_partnership_city, is_named,
               nuts3_code, nuts2_code, nuts1_code
        from dim_geographies where geo_level = 'city' order by city""",
    )


def city_rank_in_group(published: Published, indicator_code: str, period: str, geo_code: str, peer_group: str):
    return _query(
        published,
        """
        select rank, rank_best, rank_worst, cities_in_group, indistinguishable_count, is_approximate
        from city_rank_intervals
        where indicator_code = ? and period = ? and geo_code = ? and peer_group = ?""",
        [indicator_code, period, geo_code, peer_group],
    )


def city_series(published: Published, indicator_code: str, geo_codes: tuple[str, ...]) -> pd.DataFrame:
    return _query(
        published,
        """
        select g.display_name as city, o.geo_code, o.period, o.period_year, o.value, o.ci_low,
               o.ci_high, o.unit, o.flags, o.break_in_series, o.has_quality_warning, o.source_dataset,
               o.comparability_group, o.lineage_id
        from city_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.geo_code in (select unnest(?::varchar[]))
          and o.sex is null and o.age_group is null and o.breakdown is null
        order by o.geo_code, o.period_year""",
        [indicator_code, list(geo_codes)],
    )


def reference_series(published: Published, indicator_code: str, geo_codes: tuple[str, ...]) -> pd.DataFrame:
    return _query(
        published,
        """
        select r.geo_code, r.period, r.reference_scope,
               coalesce(rg.display_name, r.reference_geo_code) as reference_area, r.reference_period, r.reference_value
        from city_reference_values r left join dim_geographies rg on rg.geo_code = r.reference_geo_code
        where r.indicator_code = ? and r.geo_code in (select unnest(?::varchar[]))""",
        [indicator_code, list(geo_codes)],
    )


def all_observations(published: Published) -> pd.DataFrame:
    return _query(published, "select * from fct_observations order by indicator_code, geo_code, period, source_dataset")


# --- Overview map (views/overview_map.py)

MAP_TOTALS = "o.sex is null and o.age_group is null and o.breakdown is null"


def map_indicators(published: Published) -> pd.DataFrame:
    """Indicators with something to map: city values (points) or crim_gen_reg NUTS 3 rates (choropleth)."""
    return _query(
        published,
        """
        select i.indicator_code, i.indicator_name, i.unit, i.indicator_family, i.source_notes,
               i.comparability_caveat,
               sum(c.map_city_values)::bigint as city_values, sum(c.map_nuts3_values)::bigint as nuts3_values
        from dim_indicators i join indicator_period_counts c using (indicator_code)
        where c.map_city_values > 0 or c.map_nuts3_values > 0
        group by all order by i.indicator_family, i.indicator_code""",
    )


def map_periods(published: Published, indicator_code: str) -> list[str]:
    frame = _query(
        published,
        "select period from indicator_period_counts where indicator_code = ? "
        "and (map_city_values > 0 or map_nuts3_values > 0) order by period desc",
        [indicator_code],
    )
    return frame["period"].tolist()


def map_city_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    """Every city value of one indicator and period (totals), with where the map draws it: its own point, or
    the label point of its NUTS region (location_source; dim_geographies), or nowhere (lat null)."""

    def sql(location: str) -> str:  # `location` is one of the two column expressions below, never a value
        return f"""
        select g.display_name as name, o.geo_code, 'city' as geo_level,
               g.country_code as country, o.period, o.value, o.unit, o.ci_low, o.ci_high, o.flags,
               o.source_dataset, o.comparability_group, g.has_geometry, g.lat, g.lon, {location},
               g.nuts3_code, g.nuts1_code, o.lineage_id
        from city_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = 'city' and {MAP_TOTALS}
        order by o.value desc, o.geo_code"""

    try:
        return _query(published, sql("g.location_source"), [indicator_code, period])
    except duckdb.BinderException:  # a version published before locations were (after a rollback): points only
        fallback = "case when g.has_geometry and g.lat is not null then 'urban_audit_point' end as location_source"
        return _query(published, sql(fallback), [indicator_code, period])


def map_nuts3_values(published: Published, indicator_code: str, period: str) -> pd.DataFrame:
    """crim_gen_reg NUTS 3 values of one indicator and period, and whether a NUTS 2021 outline exists."""
    return _query(
        published,
        f"""
        select g.display_name as name, o.geo_code, 'nuts3' as geo_level,
               coalesce(g.country_code, left(o.geo_code, 2)) as country, o.period, o.value, o.unit,
               o.ci_low, o.ci_high, o.flags, o.source_dataset, o.comparability_group,
               o.geo_code in (select geo_code from dim_geometries where nuts_level = 3) as has_geometry,
               g.lat, g.lon, o.lineage_id
        from fct_observations o join dim_geographies g using (geo_code)
        where o.indicator_code = ? and o.period = ? and o.geo_level = 'nuts3'
          and o.source_dataset = 'crim_gen_reg' and {MAP_TOTALS}
        order by o.value desc, o.geo_code""",
        [indicator_code, period],
    )


def nuts_outlines(published: Published, nuts_level: int) -> pd.DataFrame:
    """NUTS 2021 outlines (GeoJSON text) of one level: 0 is the offline base map, 3 the choropleth."""
    return _query(
        published,
        "select geo_code, geometry_json from dim_geometries where nuts_level = ? order by geo_code",
        [nuts_level],
    )


# --- City profile (scorecard) page: pages/city_profile.py -------------------------------------------------------


def city_profile_cities(published: Published) -> pd.DataFrame:
    """Every city of the register with its country, NUTS parents, size and how many indicators have a value."""
    return _query(
        published,
        """
        select g.geo_code, g.display_name as city, g.country_code,
               coalesce(c.geo_name, g.country_code) as country_name, g.nuts3_code, g.nuts2_code, g.nuts1_code,
               g.population, g.population_year, g.population_source, g.size_class, g.is_partnership_city,
               g.is_perception_survey_city, g.name_confidence, g.register_note,
               coalesce(l.indicators_with_value, 0) as indicators_with_value
        from dim_geographies g
        left join dim_geographies c on c.geo_code = g.country_code and c.geo_level = 'country'
        left join (
            select geo_code, count(distinct indicator_code) as indicators_with_value
            from city_latest_values group by geo_code
        ) l on l.geo_code = g.geo_code
        where g.geo_level = 'city'
        order by city, g.geo_code""",
    )


def has_table(published: Published, name: str) -> bool:
    """Whether the published version has a table (a version published before it existed, after a rollback, has not)."""
    cursor, tables = _cursor(published)
    cursor.close()
    return name in tables


PROGRESS_COLUMNS = (
    "indicator_code varchar, geo_code varchar, sex varchar, age_group varchar, breakdown varchar, "
    "comparability_group varchar, from_period varchar, to_period varchar, from_value double, to_value double, "
    "change double, change_se double, change_ci_low double, change_ci_high double, annual_growth_rate double, "
    "target_value double, target_year integer, assessment varchar, method varchar, note varchar"
)


def _progress_source(published: Published) -> str:
    """The city_progress mart, or no rows of its shape in a version published before it existed: progress is never
    computed here (the mart is the one place that computes changes and assessments)."""
    if has_table(published, "city_progress"):
        return "city_progress"
    columns = ", ".join(f"null::{c.split()[1]} as {c.split()[0]}" for c in PROGRESS_COLUMNS.split(", "))
    return f"(select {columns} where false)"


# Where a progress row's two values come from, for the downloads ("units, sources, flags and lineage are on every
# row"): the total observation of the series at each end of the window (a series is one indicator x geography x
# comparability group, and its totals hold one value per period there).
_PROGRESS_ENDS_COLUMNS = (
    "to_obs.source_dataset, from_obs.lineage_id as from_lineage_id, to_obs.lineage_id as to_lineage_id"
)


def _progress_ends(published: Published) -> str:
    """The joins that give a progress row (alias p, totals) its end observations (from_obs, to_obs)."""
    observations = "city_observations" if has_table(published, "city_observations") else "fct_observations"
    return "\n".join(
        f"""left join {observations} {end}_obs on {end}_obs.indicator_code = p.indicator_code
            and {end}_obs.geo_code = p.geo_code and {end}_obs.comparability_group = p.comparability_group
            and {end}_obs.period = p.{end}_period
            and {end}_obs.sex is null and {end}_obs.age_group is null and {end}_obs.breakdown is null"""
        for end in ("from", "to")
    )


def city_profile_scorecard(published: Published, geo_code: str) -> pd.DataFrame:
    """One row per indicator x comparability group with a value for the city: the latest total value (from
    city_latest_values) with its interval, quality, lineage, the whole series (for a sparkline) and the assessment
    of its most recent window from city_progress (surveys: the change since the previous wave and its test; series
    without sampling error: Eurostat's trend over the shorter window). Different surveys are never chained."""
    return _query(
        published,
        f"""
        with progress as (
            select p.indicator_code, p.comparability_group, p.from_period, p.from_value, p.change, p.change_se,
                   p.change_ci_low, p.change_ci_high, p.annual_growth_rate, p.assessment, p.method, p.note
            from {_progress_source(published)} p
            where p.geo_code = ? and p.sex is null and p.age_group is null and p.breakdown is null
              and p.method in ('survey_change_95', 'eurostat_sdg_trend')
            qualify row_number() over (
                partition by p.indicator_code, p.comparability_group order by p.from_period desc) = 1
        ),
        series as (
            select o.*,
                   list(o.value) over (
                       partition by o.indicator_code, o.comparability_group order by o.period_year, o.period
                       rows between unbounded preceding and unbounded following) as history_values,
                   list(o.period) over (
                       partition by o.indicator_code, o.comparability_group order by o.period_year, o.period
                       rows between unbounded preceding and unbounded following) as history_periods
            from city_observations o
            where o.geo_code = ? and o.sex is null and o.age_group is null and o.breakdown is null
        )
        select i.indicator_name, l.indicator_code, i.indicator_family, i.higher_is_better, i.sdg_targets,
               i.definition, i.comparability_caveat, l.period, l.value, l.unit, s.ci_low, s.ci_high,
               s.sample_size, s.standard_error, s.uncertainty_method, s.is_ci_approximate,
               p.from_period as previous_period, p.from_value as previous_value, p.change, p.change_se,
               p.change_ci_low, p.change_ci_high, p.annual_growth_rate, p.assessment, p.method as progress_method,
               p.note as progress_note, s.flags, s.break_in_series, s.has_quality_warning,
               s.quality_note, s.is_official, s.source_type, s.source_dataset, s.survey_id, s.submission_id,
               l.comparability_group, s.lineage_id, s.history_values, s.history_periods, h.reported_source
        from city_latest_values l
        join series s
          on s.indicator_code = l.indicator_code and s.comparability_group = l.comparability_group
         and s.period = l.period
        join dim_indicators i on i.indicator_code = l.indicator_code
        left join progress p on p.indicator_code = l.indicator_code and p.comparability_group = l.comparability_group
        left join submission_history h on h.lineage_id = s.lineage_id and s.source_type = 'city_report'
        where l.geo_code = ?
        order by i.indicator_family, l.indicator_code, l.comparability_group""",
        [geo_code, geo_code, geo_code],
    )


def city_profile_ranks(published: Published, geo_code: str) -> pd.DataFrame:
    """One row per latest value x peer group of the city: its rank and rank interval (city_rank_intervals),
    or none, with the number of cities of the group that have a value in the same period and survey."""
    return _query(
        published,
        """
        with latest as (
            select indicator_code, comparability_group, period, geo_code from city_latest_values where geo_code = ?
        ),
        groups as (select peer_group, peer_group_label from city_peer_groups where geo_code = ?),
        counts as (  -- cities of each of the city's peer groups with a total value in the same series and period
            select q.peer_group, o.indicator_code, o.comparability_group, o.period,
                   count(distinct o.geo_code) as cities_with_value
            from city_observations o
            join city_peer_groups q on q.geo_code = o.geo_code
            join latest l on l.indicator_code = o.indicator_code and l.comparability_group = o.comparability_group
             and l.period = o.period
            where q.peer_group in (select peer_group from groups)
              and o.geo_level = 'city' and o.sex is null and o.age_group is null and o.breakdown is null
            group by all
        )
        select l.indicator_code, l.comparability_group, l.period, p.peer_group, p.peer_group_label,
               r.rank, r.rank_best, r.rank_worst, r.cities_in_group, r.indistinguishable_count, r.is_approximate,
               coalesce(c.cities_with_value, 0) as cities_with_value
        from latest l
        cross join groups p
        left join city_rank_intervals r
          on r.indicator_code = l.indicator_code and r.period = l.period and r.peer_group = p.peer_group
         and r.geo_code = l.geo_code
        left join counts c
          on c.peer_group = p.peer_group and c.indicator_code = l.indicator_code
         and c.comparability_group = l.comparability_group and c.period = l.period
        order by l.indicator_code, l.comparability_group,
                 case when p.peer_group = 'all' then 0 when p.peer_group like 'country:%' then 1
                      when p.peer_group like 'size:%' then 2 else 3 end""",
        [geo_code, geo_code],
    )


POLICE_CONTEXT_COLUMNS = [
    "context", "area_code", "area_level", "area_name", "indicator_name", "indicator_code", "period", "value", "unit",
    "flags", "observation_status", "has_quality_warning", "quality_note", "source_dataset", "lineage_id",
]  # fmt: skip


def city_profile_police_context(published: Published, geo_code: str) -> pd.DataFrame:
    """Police-recorded rates around a city, latest period per indicator, in the areas of the `city_context_areas`
    mart: its region from crim_gen_reg (the NUTS 3 region, or the nearest NUTS 2 / NUTS 1 parent that has values,
    labelled) and its country from crim_off_cat (for UK cities the jurisdiction Eurostat reports). Empty for a
    version published before that mart existed (after a rollback)."""
    cursor, tables = _cursor(published)
    cursor.close()
    if "city_context_areas" not in tables:
        return pd.DataFrame(columns=POLICE_CONTEXT_COLUMNS)
    return _query(
        published,
        """
        select areas.context, latest.geo_code as area_code, latest.geo_level as area_level,
               coalesce(g.display_name, latest.geo_code) as area_name, i.indicator_name, latest.indicator_code,
               latest.period, latest.value, latest.unit, latest.flags, latest.observation_status,
               latest.has_quality_warning, latest.quality_note, latest.source_dataset, latest.lineage_id
        from city_context_areas areas
        join area_latest_values latest
          on latest.geo_code = areas.area_code and latest.source_dataset = areas.source_dataset
        join dim_indicators i on i.indicator_code = latest.indicator_code
        left join dim_geographies g on g.geo_code = latest.geo_code
        where areas.city_code = ?
        order by areas.context desc, latest.geo_code, i.indicator_name""",
        [geo_code],
    )


def city_profile_reference_values(published: Published, geo_code: str) -> pd.DataFrame:
    """National / regional survey values linked to the city's values (city_reference_values): context only."""
    return _query(
        published,
        """
        select i.indicator_name, r.indicator_code, r.period, r.value as city_value,
               coalesce(ri.indicator_name, r.reference_indicator_code) as reference_indicator,
               r.reference_indicator_code, r.reference_scope, r.reference_geo_code,
               coalesce(rg.display_name, r.reference_geo_code) as reference_area, r.reference_period,
               r.reference_value, r.reference_comparability_group, r.note
        from city_reference_values r
        join dim_indicators i on i.indicator_code = r.indicator_code
        left join dim_indicators ri on ri.indicator_code = r.reference_indicator_code
        left join dim_geographies rg on rg.geo_code = r.reference_geo_code
        where r.geo_code = ?
        order by r.indicator_code, r.period, r.reference_scope, r.reference_geo_code""",
        [geo_code],
    )


def city_profile_submissions(published: Published, geo_code: str) -> pd.DataFrame:
    """Every value of the city from submitted files: survey results in the SPS template, city reports and the
    estimates of the city's own survey (the survey kit's microdata)."""
    return _query(
        published,
        """
        select o.submission_id, o.report_version, o.reported_at, i.indicator_name, o.indicator_code, o.geo_code,
               o.period, o.sex, o.age_group, o.breakdown,
               o.value, o.unit, o.ci_low, o.ci_high, o.sample_size, o.uncertainty_method, o.is_ci_approximate,
               o.flags, o.break_in_series, o.has_quality_warning, o.quality_note, o.is_official, o.source_type,
               o.source_dataset, o.survey_id, o.comparability_group, o.lineage_id
        from city_observations o
        join dim_indicators i on i.indicator_code = o.indicator_code
        where o.geo_code in (select ? union all select geo_code from dim_geographies where parent_geo_code = ?)
          and (o.source_dataset = 'survey_results' or o.source_type in ('city_report', 'city_survey'))
        order by o.submission_id, o.indicator_code, o.period, o.sex nulls first, o.age_group nulls first,
                 o.breakdown nulls first""",
        [geo_code, geo_code],
    )


def city_profile_local_indicators(published: Published, geo_code: str) -> pd.DataFrame:
    """The city's own local indicators (never ranked against other cities), version in force."""
    return _query(
        published,
        """
        select d.name as indicator_name, v.indicator_code, v.geo_code, v.period, v.sex, v.age_group, v.breakdown,
               v.value, v.unit, d.description, v.report_version, v.reported_at, v.submission_id, v.lineage_id
        from city_local_indicator_values v
        join dim_local_indicators d on d.indicator_code = v.indicator_code
        where v.city_code = ?
        order by d.name, v.period, v.geo_code, v.sex nulls first, v.breakdown nulls first""",
        [geo_code],
    )


def city_profile_coverage(published: Published, geo_code: str) -> pd.DataFrame:
    """Every catalogue indicator for the city (city_indicator_coverage) with its family, to list the gaps."""
    return _query(
        published,
        """
        select c.indicator_code, i.indicator_name, i.indicator_family, i.sdg_targets, i.unit,
               c.periods_with_value, c.first_period, c.last_period
        from city_indicator_coverage c
        join dim_indicators i on i.indicator_code = c.indicator_code
        where c.geo_code = ?
        order by i.indicator_family, i.indicator_name""",
        [geo_code],
    )


def indicator_translations(published: Published) -> pd.DataFrame:
    """The indicator catalogue in every language (dim_indicator_translations, seeds/indicator_translations.csv);
    empty for a version published before translations existed (the pages then show the catalogue's English)."""
    if not has_table(published, "dim_indicator_translations"):
        return pd.DataFrame(columns=["indicator_code", "language", "name", "unit", "english_unit"])
    return _query(
        published,
        "select indicator_code, language, name, unit, english_unit, definition, comparability_caveat "
        "from dim_indicator_translations",
    )


def flag_meanings(published: Published) -> pd.DataFrame:
    return _query(
        published, "select flag, meaning, is_break_in_series, is_quality_warning from dim_flags order by flag"
    )


def coverage_matrix(published: Published) -> pd.DataFrame:
    """Cities x indicators: number of periods with a value (cities with at least one value)."""
    return _query(
        published,
        """
        select g.display_name as city, c.geo_code, c.indicator_code, c.periods_with_value
        from city_indicator_coverage c join dim_geographies g using (geo_code)
        where c.geo_code in (select geo_code from city_indicator_coverage group by 1 having sum(periods_with_value) > 0)
        order by city, c.indicator_code""",
    )


def health_report(published: Published) -> dict:
    """The health report built with this published version (absent in versions published before it existed)."""
    conn, tables = _cursor(published)
    with conn:
        if "_health" not in tables:
            return {}
        status, markdown, report_json = conn.execute("select status, markdown, report_json from _health").fetchall()[0]
    return {"status": status, "markdown": markdown, "report_json": report_json}


def source_labels(published: Published) -> dict[str, str]:
    """source dataset -> "provider, title (code; licence)" as the version records its sources (`_sources`)."""
    conn, tables = _cursor(published)
    with conn:
        if "_sources" not in tables:  # a version published before sources were recorded: codes only
            return {}
        rows = conn.execute("select source_dataset, title, provider, licence from _sources").fetchall()
    return {code: f"{provider}, {title} ({code}; {licence})" for code, title, provider, licence in rows}


def revisions(published: Published) -> pd.DataFrame:
    """Every value revised, added or removed between consecutive published versions (newest first)."""
    conn, tables = _cursor(published)
    with conn:
        if "revisions" not in tables:
            return pd.DataFrame()
        return conn.execute(
            """select to_version, from_version, change, indicator_code, geo_code, period, sex, age_group, breakdown,
                      old_value, new_value, source_type, source_dataset, old_submission_id, new_submission_id
               from revisions order by to_version desc, change, indicator_code, geo_code, period"""
        ).df()


def city_own_data(published: Published, geo_code: str) -> pd.DataFrame:
    """One row when the city has values of its own (its observations, its areas' reports or its local indicators),
    i.e. when a city report can be made; no row otherwise. Cheap, so the page need not build the report to know.
    A city's values and its districts' are all in city_observations (~1 % of fct_observations: at 100x a scan of
    the fact table took ~50 ms of every city's first view), as are its public-space and audit figures below."""
    return _query(
        published,
        """
        select 1 as has_own_data
        where exists (select 1 from city_observations where geo_code = ?)
           or exists (select 1 from city_observations o join dim_geographies g on g.geo_code = o.geo_code
                      where g.parent_geo_code = ?)
           or exists (select 1 from city_local_indicator_values where city_code = ?)
        """,
        [geo_code, geo_code, geo_code],
    )


# --- Progress, reporting cycles, perception vs recorded crime (issue 19) -------------------------------------------


def city_profile_progress(published: Published, geo_code: str) -> pd.DataFrame:
    """Every progress assessment of the city's own total series (city_progress), with the indicator's name."""
    return _query(
        published,
        f"""
        select i.indicator_name, i.unit, i.higher_is_better, i.sdg_targets, p.*, {_PROGRESS_ENDS_COLUMNS}
        from {_progress_source(published)} p
        join dim_indicators i using (indicator_code)
        {_progress_ends(published)}
        where p.geo_code = ? and p.sex is null and p.age_group is null and p.breakdown is null
        order by i.indicator_family, p.indicator_code, p.comparability_group,
                 case p.method when 'survey_change_95' then 0 when 'target_ci' then 1 when 'eurostat_sdg_trend' then 2
                      when 'eurostat_sdg_target' then 3 else 4 end, p.from_period desc""",
        [geo_code],
    )


def progress_windows(published: Published, indicator_code: str) -> pd.DataFrame:
    """The windows with city assessments of one indicator (totals): comparability group, method, from -> to, and how
    many cities, most cities first. Compare cities' progress mode offers them."""
    return _query(
        published,
        f"""
        select p.comparability_group, p.method, p.from_period, p.to_period, count(*) as cities,
               count(*) filter (where p.change_se is not null or p.method not in ('survey_change_95', 'target_ci'))
                   as assessable
        from {_progress_source(published)} p
        join dim_geographies g on g.geo_code = p.geo_code
        where p.indicator_code = ? and g.geo_level = 'city'
          and p.sex is null and p.age_group is null and p.breakdown is null
        group by all
        order by assessable desc, cities desc, p.to_period desc, p.from_period desc""",
        [indicator_code],
    )


def progress_for_cities(
    published: Published, indicator_code: str, comparability_group: str, method: str, from_period: str, to_period: str
) -> pd.DataFrame:
    """Every city's assessment of one indicator over one window and method (totals)."""
    return _query(
        published,
        f"""
        select coalesce(trim(g.geo_name), p.geo_code) as city, p.geo_code, g.country_code as country,
               g.is_partnership_city, g.size_class, p.from_period, p.to_period, p.from_value, p.to_value, p.change,
               p.change_se, p.change_ci_low, p.change_ci_high, p.annual_growth_rate, p.target_value, p.target_year,
               p.assessment, p.method, p.comparability_group, p.note, i.unit, {_PROGRESS_ENDS_COLUMNS}
        from {_progress_source(published)} p
        join dim_geographies g on g.geo_code = p.geo_code
        join dim_indicators i on i.indicator_code = p.indicator_code
        {_progress_ends(published)}
        where p.indicator_code = ? and p.comparability_group = ? and p.method = ? and p.from_period = ?
          and p.to_period = ? and g.geo_level = 'city'
          and p.sex is null and p.age_group is null and p.breakdown is null
        order by p.change desc nulls last, p.geo_code""",
        [indicator_code, comparability_group, method, from_period, to_period],
    )


def cycle_status(published: Published) -> pd.DataFrame:
    """Every city x reporting cycle (city_cycle_status); empty in a version published before it existed."""
    if not has_table(published, "city_cycle_status"):
        return pd.DataFrame()
    return _query(published, "select * from city_cycle_status order by cycle, status, share_reported, city_code")


def perception_police_choices(published: Published) -> pd.DataFrame:
    """The perception indicator x period x police offence combinations with at least one city."""
    if not has_table(published, "city_perception_vs_police"):
        return pd.DataFrame()
    return _query(
        published,
        """
        select v.perception_indicator_code, pi.indicator_name as perception_indicator_name, v.perception_period,
               v.police_indicator_code, ci.indicator_name as police_indicator_name, count(*) as cities
        from city_perception_vs_police v
        join dim_indicators pi on pi.indicator_code = v.perception_indicator_code
        join dim_indicators ci on ci.indicator_code = v.police_indicator_code
        group by all
        order by v.perception_period desc, v.perception_indicator_code, v.police_indicator_code""",
    )


def perception_vs_police(
    published: Published, perception_indicator: str, perception_period: str, police_indicator: str
) -> pd.DataFrame:
    return _query(
        published,
        """
        select * from city_perception_vs_police
        where perception_indicator_code = ? and perception_period = ? and police_indicator_code = ?
        order by country_code, geo_code""",
        [perception_indicator, perception_period, police_indicator],
    )


CITY_PROFILE_PARTS = {
    "own_data": city_own_data,
    "scorecard": city_profile_scorecard,
    "ranks": city_profile_ranks,
    "police_context": city_profile_police_context,
    "reference_values": city_profile_reference_values,
    "submissions": city_profile_submissions,
    "local_indicators": city_profile_local_indicators,
    "coverage": city_profile_coverage,
    "progress": city_profile_progress,
}  # and the public-space section's four queries (below)


def city_profile(published: Published, geo_code: str) -> dict[str, pd.DataFrame]:
    """Every per-city query of the city profile page, run side by side, each on its own cursor (DuckDB works
    outside the GIL), and cached by the page as one entry instead of eight. The first view of a city at 10x:
    124 -> ~90 ms p50 (ADR 12, benchmarks/findings.py)."""
    pool = _city_profile_pool()
    futures = {name: pool.submit(query, published, geo_code) for name, query in CITY_PROFILE_PARTS.items()}
    return {name: future.result() for name, future in futures.items()}


@functools.cache
def _city_profile_pool():
    """One pool of four threads for the process (a new pool per view started its threads again: ~4 % of a view)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="city-profile")


# --- public space (issue 20): a city's layers, its 11.7.1 figures and its site audits ----------------------------
def _has_tables(published: Published, *names: str) -> bool:
    """Whether the version holds these tables (a version published before public space came has none)."""
    cursor, tables = _cursor(published)
    cursor.close()
    return tables.issuperset(names)


def public_space_layers(published: Published, geo_code: str) -> pd.DataFrame:
    """The city's public-space map layer (latest inventory period; districts and boundary of that period)."""
    if not _has_tables(published, "dim_public_spaces"):
        return pd.DataFrame()
    return _query(
        published,
        """
        with latest as (select max(period) as period from dim_public_spaces where city_code = ?)
        select p.layer, p.feature_id, p.geo_code, p.name, p.space_type, p.access, p.ownership, p.is_counted,
               p.area_m2, p.area_in_boundary_m2, p.period, p.audits, p.safety_score_day,
               p.safety_score_after_dark, p.poor_lighting_after_dark_share, p.lon, p.lat, p.geometry_json,
               p.submission_id, p.feature_number
        from dim_public_spaces p, latest
        where p.city_code = ? and (p.period = latest.period or latest.period is null)
        order by p.layer, p.area_m2 desc
        """,
        [geo_code, geo_code],
    )


def public_space_figures(published: Published, geo_code: str) -> pd.DataFrame:
    """SDG 11.7.1 and its companions for the city and its districts, latest inventory period."""
    return _query(
        published,
        """
        select o.indicator_code, i.indicator_name, o.geo_code, coalesce(g.geo_name, o.geo_code) as area_name,
               o.geo_level, o.period, o.value, o.unit, o.comparability_group, o.quality_note, o.has_quality_warning,
               o.submission_id, o.lineage_id
        from city_observations o
        join dim_indicators i using (indicator_code)
        left join dim_geographies g on g.geo_code = o.geo_code
        where o.source_type = 'city_inventory' and (o.geo_code = ? or g.parent_geo_code = ?)
        qualify o.period = max(o.period) over ()
        order by o.indicator_code, o.geo_level, o.geo_code
        """,
        [geo_code, geo_code],
    )


def audit_day_night(published: Published, geo_code: str) -> pd.DataFrame:
    """Audit figures of the city itself, day and after dark side by side: the safety score and each item, with
    the bootstrap interval over sites, latest audit year."""
    return _query(
        published,
        """
        select o.indicator_code, o.period, o.breakdown, o.value, o.ci_low, o.ci_high, o.sample_size,
               o.uncertainty_method, o.quality_note, o.comparability_group, o.lineage_id,
               regexp_extract(o.breakdown, 'time_of_day=([a-z_]+)', 1) as time_of_day,
               nullif(regexp_extract(o.breakdown, 'parameter=([a-z_]+)', 1), '') as parameter
        from city_observations o
        where o.source_type = 'city_audit' and o.geo_code = ?
          and o.indicator_code in ('audit_safety_score', 'audit_parameter_score')
        qualify o.period = max(o.period) over ()
        order by o.indicator_code, parameter, time_of_day
        """,
        [geo_code],
    )


def audit_sites(published: Published, geo_code: str) -> pd.DataFrame:
    if not _has_tables(published, "dim_audit_sites"):
        return pd.DataFrame()
    return _query(
        published,
        """
        select site_id, site_name, space_id, geo_code, period, lon, lat, audits_day, audits_after_dark,
               safety_score_day, safety_score_after_dark, feeling_day, feeling_after_dark,
               poor_lighting_after_dark_share
        from dim_audit_sites where city_code = ?
        qualify period = max(period) over ()
        order by site_id
        """,
        [geo_code],
    )


# The city profile's public-space section runs with the page's other per-city queries (city_profile above): four
# more scans of the city's rows, side by side with the rest instead of one after the other on a first view.
CITY_PROFILE_PARTS |= {
    "space_layers": public_space_layers,
    "space_figures": public_space_figures,
    "space_audits": audit_day_night,
    "space_sites": audit_sites,
}
