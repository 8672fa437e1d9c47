"""`sps export`: tables of the published version, in the formats analysts and cities use.

    csv, parquet   a whole published table (observations, indicators, geographies, police-recorded offences)
    sdmx-csv       observations as SDMX-CSV: dimension columns (UN SDG / Eurostat names) + OBS_VALUE + OBS_STATUS
    xlsx           observations, one sheet per indicator and a metadata sheet
    open-sdg       observations as an Open SDG data folder keyed by SDG indicator id (data/indicator_16-1-4.csv,
                   indicator-config/, meta/; pipelines/outputs/open_sdg.py) with a mapping file per data file, so a
                   city can drop them into its Open SDG data repository or upload them back; progress as Open SDG
                   progress fields (progress_status, progress_calculation_options), one YAML file per indicator
                   of one city

Observations can be filtered by city (with its districts), indicator, period and source type; progress (the
city_progress mart, issue 19) by city and indicator. Every export
writes a metadata sidecar (sources, licences, published version, generated at, filters). Only the published
version is read; files appear whole or not at all (temporary name, then rename).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import SpsError
from pipelines.outputs import datapackage, open_sdg
from pipelines.shared.cells import neutralise_cell, neutralised_column
from pipelines.shared.i18n import N_
from pipelines.sources.catalog import load_catalog

EXPORT_TABLES = {
    "observations": "fct_observations",
    "indicators": "dim_indicators",
    "geographies": "dim_geographies",
    "police-recorded-offences": "fct_police_recorded_offences",
    "progress": "city_progress",
}
PROGRESS = "city_progress"
PROGRESS_FORMATS = ("csv", "parquet", "xlsx", "open-sdg")
PROGRESS_ORDER = (
    "indicator_code, geo_code, comparability_group, sex nulls first, age_group nulls first, breakdown nulls first, "
    "method, from_period"
)
# Open SDG's progress statuses (sdg-build ProgressMeasure.py; open-sdg docs/progress-methodology.md) of the rows
# computed with its method; every other method has no Open SDG status.
OPEN_SDG_STATUS = {
    "target achieved": "target_achieved",
    "substantial progress": "substantial_progress",
    "moderate progress": "moderate_progress",
    "limited progress": "limited_progress",
    "deterioration": "deterioration",
    "not available": "not_available",
}
FORMATS = ("csv", "parquet", "sdmx-csv", "xlsx", "open-sdg")
OBSERVATION_ONLY_FORMATS = {"sdmx-csv", "xlsx", "open-sdg"}
SUFFIX_FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
FORMAT_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "sdmx-csv": ".csv", "xlsx": ".xlsx"}
OBSERVATION_ORDER = (
    "indicator_code, geo_code, period, source_dataset, sex nulls first, age_group nulls first, breakdown nulls first"
)

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:\s*(?:-|to|\.\.)\s*(\d{4}))?$")

# SDMX code lists (SDMX global CL_OBS_STATUS, UN SDG CL_UNIT_MEASURE) for the values this product holds.
OBS_STATUS = {"b": "B", "d": "D", "e": "E", "f": "F", "p": "P", "u": "U"}
UNIT_MEASURE = {
    "% of respondents": "PT",
    "% of population": "PT",
    "% of built-up area": "PT",
    "% of area": "PT",
    "% of audits": "PT",
    "offences per 100 000 inhabitants": "PER_100000_POP",
}
SDMX_DATAFLOW = "SPS:SPS_MONITOR_OBS(1.0)"

# Our words for the sources a city sends; exports keep them in English (machine-read metadata), the city report
# prints them in the reader's language (N_: in the `sps` catalogue).
CITY_REPORT_SOURCE = {
    "title": N_("Values reported by the city (voluntary local reporting)"),
    "provider": N_("the reporting city council"),
    "licence": N_("As stated by the reporting city council"),
}
CITY_SURVEY_SOURCE = {
    "title": N_("City safety survey (SPS core module sps_core_v1): design-based estimates from the city's microdata"),
    "provider": N_("the city that ran the survey (estimates computed by SPS Monitor; microdata never published)"),
    "licence": N_("As stated by the city that ran the survey"),
}

CITY_INVENTORY_SOURCE = {
    "title": N_("Public-space inventory sent by the city (SDG 11.7.1 and its companions computed by SPS Monitor)"),
    "provider": CITY_REPORT_SOURCE["provider"],
    "licence": CITY_REPORT_SOURCE["licence"],
}
CITY_AUDIT_SOURCE = {
    "title": N_("Site safety audits sent by the city (scores by day and after dark computed by SPS Monitor)"),
    "provider": CITY_REPORT_SOURCE["provider"],
    "licence": CITY_REPORT_SOURCE["licence"],
}
CITY_SOURCES = {
    "city_report": CITY_REPORT_SOURCE,
    "city_survey": CITY_SURVEY_SOURCE,
    "city_inventory": CITY_INVENTORY_SOURCE,
    "city_audit": CITY_AUDIT_SOURCE,
}


class ExportError(SpsError):
    """An export cannot be written as asked; nothing was written."""


# ------------------------------------------------------------------------------------------------ filters
@dataclass(frozen=True)
class PeriodRange:
    first_year: int
    last_year: int
    text: str

    @classmethod
    def parse(cls, text: str | None, option: str = "--period") -> PeriodRange | None:
        """'2019' (that year) or '2010-2019' (a range of years, inclusive); None when not given."""
        if text is None or not text.strip():
            return None
        match = PERIOD_PATTERN.match(text.strip())
        if not match:
            raise ExportError(f"{option} {text!r}: write a year (2019) or a range of years (2010-2019)")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ExportError(f"{option} {text!r}: the range ends before it starts; write it as {last}-{first}")
        return cls(first, last, text.strip())

    def sql(self, column: str = "period_year") -> tuple[str, list]:
        return f"{column} between ? and ?", [self.first_year, self.last_year]


@dataclass(frozen=True)
class ExportFilters:
    cities: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    period: PeriodRange | None = None
    source_types: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls,
        cities: list[str] | None = None,
        indicators: list[str] | None = None,
        period: str | None = None,
        source_types: list[str] | None = None,
    ) -> ExportFilters:
        def split(values: list[str] | None, upper: bool = False) -> tuple[str, ...]:
            items = [v.strip() for value in values or [] for v in value.split(",") if v.strip()]
            return tuple(dict.fromkeys(v.upper() if upper else v for v in items))

        return cls(split(cities, upper=True), split(indicators), PeriodRange.parse(period), split(source_types))

    @property
    def is_empty(self) -> bool:
        return not (self.cities or self.indicators or self.period or self.source_types)

    def as_dict(self) -> dict:
        return {
            "city": list(self.cities),
            "indicator": list(self.indicators),
            "period": self.period.text if self.period else None,
            "source_type": list(self.source_types),
        }

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.cities:
            clauses.append(
                "(geo_code in (select unnest(?::varchar[])) or "
                "split_part(geo_code, ':', 1) in (select unnest(?::varchar[])) and geo_code like '%:%')"
            )
            params += [list(self.cities), list(self.cities)]
        if self.indicators:
            clauses.append("indicator_code in (select unnest(?::varchar[]))")
            params.append(list(self.indicators))
        if self.period:
            clause, values = self.period.sql()
            clauses.append(clause)
            params += values
        if self.source_types:
            clauses.append("source_type in (select unnest(?::varchar[]))")
            params.append(list(self.source_types))
        return (" where " + " and ".join(clauses)) if clauses else "", params

    def check_against(self, conn: duckdb.DuckDBPyConnection, version: str) -> None:
        """Every filter value must exist in the published version: a typo is an error, never an empty file."""
        checks = (
            (
                "--city",
                self.cities,
                "select geo_code from dim_geographies where geo_level = 'city'",
                "sps export geographies",
            ),
            ("--indicator", self.indicators, "select indicator_code from dim_indicators", "sps export indicators"),
            ("--source-type", self.source_types, "select distinct source_type from fct_observations", None),
        )
        for option, wanted, sql, where_to_look in checks:
            if not wanted:
                continue
            known = {row[0] for row in conn.execute(sql).fetchall()}
            unknown = [w for w in wanted if w not in known]
            if unknown:
                hint = f"see `{where_to_look}`" if where_to_look else "one of " + ", ".join(sorted(known))
                raise ExportError(f"{option} {', '.join(unknown)}: not in published version {version} ({hint})")


# ------------------------------------------------------------------------------------------------ results
@dataclass
class ExportResult:
    table: str
    format: str
    rows: int
    version: str
    paths: list[Path] = field(default_factory=list)
    sidecar: Path | None = None
    descriptor: Path | None = None  # the folder's datapackage.json (csv exports)
    left_out: dict[str, str] = field(default_factory=dict)  # indicator code -> why it is not in the export


def resolve_format(out: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ExportError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
        expected = FORMAT_SUFFIX.get(fmt)
        if expected and out.suffix.lower() != expected:
            raise ExportError(f"--out {out}: a {fmt} export is written to a {expected} file")
        if fmt == "open-sdg" and out.suffix:
            raise ExportError(
                f"--out {out}: an open-sdg export is a folder (one CSV per indicator); give a folder name"
            )
        return fmt
    try:
        return SUFFIX_FORMATS[out.suffix.lower()]
    except KeyError:
        raise ExportError(
            f"--out {out}: use a .csv, .parquet or .xlsx file name, or choose a format with --format "
            f"({', '.join(FORMATS)})"
        ) from None


def sidecar_path(out: Path, fmt: str) -> Path:
    return out / "metadata.json" if fmt == "open-sdg" else out.with_name(out.name + ".metadata.json")


# ------------------------------------------------------------------------------------------------ entry
def check_export_request(what: str, out: Path, fmt: str | None, filters: ExportFilters) -> str:
    """The checks that need no data (format, filters, target folder), run before the published version is
    opened; returns the format."""
    fmt = resolve_format(out, fmt)
    table = EXPORT_TABLES[what]
    if table == PROGRESS:
        _check_progress_request(out, fmt, filters)
    elif table != "fct_observations" and fmt in OBSERVATION_ONLY_FORMATS:
        raise ExportError(f"{what}: --format {fmt} is for observations only; use csv or parquet for {what}")
    if table not in ("fct_observations", PROGRESS) and not filters.is_empty:
        raise ExportError(
            f"{what}: the filters (--city, --indicator, --period, --source-type) apply to observations only; "
            "export `observations`, or drop them"
        )
    parent = out.parent
    if not parent.exists():
        raise ExportError(f"--out {out}: folder {parent} does not exist; create it or choose another place")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"--out {out}: folder {parent} is not writable; choose another place")
    if fmt == "open-sdg" and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out}: already exists and is not an empty folder; choose a new folder name")
    if fmt != "open-sdg" and out.is_dir():
        raise ExportError(f"--out {out}: is a folder; give a file name")
    if fmt == "csv":
        datapackage.check_folder(out)
    return fmt


def _check_progress_request(out: Path, fmt: str, filters: ExportFilters) -> None:
    if fmt not in PROGRESS_FORMATS:
        raise ExportError(f"progress: --format {fmt} is for observations; use one of {', '.join(PROGRESS_FORMATS)}")
    if filters.period or filters.source_types:
        raise ExportError(
            "progress: --period and --source-type apply to observations; progress rows are filtered with --city "
            "and --indicator (each row's window is in from_period and to_period)"
        )
    if fmt == "open-sdg" and len(filters.cities) != 1:
        raise ExportError(
            "progress --format open-sdg: give exactly one --city (Open SDG progress fields describe one reporting "
            "city's headline series)"
        )


def export_published(
    conn: duckdb.DuckDBPyConnection,
    what: str,
    out: Path,
    fmt: str | None = None,
    filters: ExportFilters | None = None,
) -> ExportResult:
    """Write `what` of the published version open on `conn` to `out`, with a metadata sidecar."""
    filters = filters or ExportFilters()
    fmt = check_export_request(what, out, fmt, filters)
    table = EXPORT_TABLES[what]
    version, published_at = conn.execute("select version, published_at from _publication").fetchall()[0]
    if not conn.execute("select count(*) from information_schema.tables where table_name = ?", [table]).fetchall()[0][
        0
    ]:
        raise ExportError(
            f"{what}: published version {version} has no table {table} (it was published before {what} existed); "
            "run `sps refresh` to publish a new version"
        )
    filters.check_against(conn, version)
    where, params = filters.where()
    rows = conn.execute(f"select count(*) from {table}{where}", params).fetchall()[0][0]
    if rows == 0:
        raise ExportError(
            f"no {'progress row' if table == PROGRESS else 'observation'} of published version {version} matches "
            "the filters "
            f"{json.dumps(filters.as_dict())}; nothing was written. Widen the filters"
        )
    writer = {
        "csv": _write_table,
        "parquet": _write_table,
        "sdmx-csv": _write_sdmx_csv,
        "xlsx": _write_progress_xlsx if table == PROGRESS else _write_xlsx,
        "open-sdg": _write_open_sdg_progress if table == PROGRESS else _write_open_sdg,
    }[fmt]
    result = ExportResult(table=table, format=fmt, rows=rows, version=version)
    if fmt == "open-sdg" and table != PROGRESS:
        result.left_out = open_sdg_left_out(conn, where, params)
    sidecar = sidecar_path(out, fmt)
    try:
        result.paths = writer(conn, table, out, fmt, where, params, filters, version)
        metadata = export_metadata(conn, result, filters, where, params, published_at)
        _write_atomic(sidecar, json.dumps(metadata, indent=2, default=str).encode("utf-8"))
        if fmt == "csv":
            result.descriptor = _write_datapackage(conn, table, out, where, params, metadata)
    except (OSError, duckdb.IOException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise ExportError(f"--out {out}: cannot write ({reason}); nothing was written") from None
    result.sidecar = sidecar
    return result


def _write_datapackage(conn, table, out, where, params, metadata) -> Path:
    """Add the CSV to the folder's Frictionless data package descriptor (pipelines/outputs/datapackage.py)."""
    schema = datapackage.table_schema(conn, table, where, params)
    if table == PROGRESS:  # the column the CSV adds to the mart's
        schema["fields"].append(
            {
                "name": "open_sdg_progress_status",
                "type": "string",
                "description": "Open SDG's progress status code of the rows computed with its method (open_sdg).",
            }
        )
    package = datapackage.package_with(out, datapackage.resource_descriptor(out, schema, metadata))
    path = datapackage.descriptor_path(out)
    _write_atomic(path, json.dumps(package, indent=2, ensure_ascii=False, default=str).encode("utf-8"))
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _tmp(out: Path) -> Path:
    return out.with_name(f".{out.name}.part")


# ------------------------------------------------------------------------------------------------ csv, parquet
def _progress_status_sql() -> str:
    cases = " ".join(f"when '{label}' then '{code}'" for label, code in OPEN_SDG_STATUS.items())
    return f"case when method = 'open_sdg' then case assessment {cases} end end as open_sdg_progress_status"


def _write_table(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    tmp = _tmp(out)
    order = {"fct_observations": f"order by {OBSERVATION_ORDER}", PROGRESS: f"order by {PROGRESS_ORDER}"}.get(table, "")
    select = "*"
    if fmt == "csv":  # a spreadsheet must never run a cell: quote text that starts like a formula
        types = conn.execute(f"select column_name, column_type from (describe {table})").fetchall()
        select = ", ".join(neutralised_column(name) if dtype == "VARCHAR" else name for name, dtype in types)
    if table == PROGRESS:  # the mart's columns, then Open SDG's status of the rows made with its method
        select += ", " + _progress_status_sql()
    options = "(format csv, header true)" if fmt == "csv" else "(format parquet)"
    try:
        conn.execute(f"copy (select {select} from {table}{where} {order}) to '{tmp.as_posix()}' {options}", params)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return [out]


# ------------------------------------------------------------------------------------------------ SDMX-CSV
# The SPS_MONITOR_OBS data structure: dimensions (TIME_PERIOD last), the measure, then attributes. The tests
# build a pysdmx schema from these three lists and validate the export against the SDMX-ML schemas.
SDMX_DIMENSIONS = (
    "FREQ",
    "SERIES",
    "REF_AREA",
    "SEX",
    "AGE",
    "BREAKDOWN",
    "SOURCE_DATASET",
    "COMPARABILITY_GROUP",
    "UNIT_MEASURE",
    "TIME_PERIOD",
)
SDMX_MEASURE = "OBS_VALUE"
SDMX_ATTRIBUTES = (
    "OBS_STATUS",
    "OBS_FLAG",
    "REPORTING_YEAR_START_DAY",
    "PERIOD_AS_PUBLISHED",
    "LOWER_BOUND",
    "UPPER_BOUND",
    "UNCERTAINTY_METHOD",
    "SOURCE_TYPE",
    "NATURE",
    "COMMENT_OBS",
)
SDMX_COLUMNS = ("DATAFLOW", *SDMX_DIMENSIONS, SDMX_MEASURE, *SDMX_ATTRIBUTES)

YEAR = re.compile(r"\d{4}")
YEAR_PAIR = re.compile(r"(\d{4})\s*(?:/|-|–|to|\.\.)\s*(\d{2}|\d{4})")


def sdmx_time_period(period: str, year_start: str | None = None) -> tuple[str, str | None]:
    """(TIME_PERIOD, REPORTING_YEAR_START_DAY) of a period label as published, in SDMX's own time formats.

    - a year: itself (2019);
    - a split year (2017/18, 2017-18, 2017/2018): the reporting year 2017-A1, which starts on the source's
      `year_start` (--04-01 for the ONS financial years) or on 1 January when the source does not say;
    - a span of years (ONS's pooled '2018 to 2020', or 2018-2020): an SDMX time range, start and duration.
      When the source's years start on `year_start`, the span's years are the reporting years *ending* in
      them, as ONS labels them ('year ending March 2018 to year ending March 2020' = 2017-04-01/P3Y).
    """
    text = period.strip()
    if YEAR.fullmatch(text):
        return text, None
    match = YEAR_PAIR.fullmatch(text)
    if match:
        first, end = int(match.group(1)), match.group(2)
        if len(end) == 4:
            last = int(end)
        else:  # two digits: the next year (1999/00 too), or a later year of the same century (2018-20)
            last = first + 1 if int(end) == (first + 1) % 100 else first - first % 100 + int(end)
        if last == first + 1 and " to " not in f" {text} ":
            return f"{first}-A1", year_start
        if last > first:
            years = last - first + 1
            start = f"{first - 1}-{year_start[2:]}" if year_start else f"{first}-01-01"
            return f"{start}/P{years}Y", None
    raise ExportError(
        f"period {period!r} is not a year (2019), a split year (2019/20) nor a span of years (2018 to 2020), so it "
        "has no SDMX time format; nothing was written. Leave its rows out with --period, --city or --source-type"
    )


def sdmx_periods(conn, where: str, params: list) -> pa.Table:
    """Every (source_dataset, period) of the rows with its TIME_PERIOD and REPORTING_YEAR_START_DAY."""
    starts = {spec.code: spec.reporting_year_start for spec in load_catalog()}
    pairs = conn.execute(f"select distinct source_dataset, period from fct_observations{where}", params).fetchall()
    rows = []
    for source, period in pairs:
        try:
            time_period, start_day = sdmx_time_period(period, starts.get(source))
        except ExportError as exc:
            raise ExportError(f"{source}: {exc}") from None
        rows.append((source, period, time_period, start_day))
    names = ["source_dataset", "period", "time_period", "reporting_year_start_day"]
    return pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(names)})


def sdmx_select(where: str, periods: str = "_sdmx_periods") -> str:
    """SQL of the SDMX-CSV rows: one per observation, dimensions first (SDMX-CSV 1.0, UN SDG concept names).
    `periods` names the relation of sdmx_periods()."""
    status = " ".join(
        f"when contains(coalesce(flags, ''), '{flag}') then '{code}'" for flag, code in OBS_STATUS.items()
    )
    units = " ".join(f"when unit = '{text}' then '{code}'" for text, code in UNIT_MEASURE.items())
    return f"""
        select '{SDMX_DATAFLOW}' as DATAFLOW, 'A' as FREQ, indicator_code as SERIES, geo_code as REF_AREA,
               case sex when 'female' then 'F' when 'male' then 'M' else '_T' end as SEX,
               coalesce(age_group, '_T') as AGE, coalesce(breakdown, '_T') as BREAKDOWN,
               source_dataset as SOURCE_DATASET, comparability_group as COMPARABILITY_GROUP,
               case {units} else unit end as UNIT_MEASURE,
               p.time_period as TIME_PERIOD, value as OBS_VALUE,
               case when value is null then 'O' {status} else 'A' end as OBS_STATUS,
               flags as OBS_FLAG, p.reporting_year_start_day as REPORTING_YEAR_START_DAY,
               o.period as PERIOD_AS_PUBLISHED, ci_low as LOWER_BOUND, ci_high as UPPER_BOUND,
               uncertainty_method as UNCERTAINTY_METHOD, source_type as SOURCE_TYPE,
               case when is_official then 'C' else 'N' end as NATURE,
               {neutralised_column("quality_note").replace(" as quality_note", "")} as COMMENT_OBS
        from (select * from fct_observations{where}) o
        join {periods} p using (source_dataset, period)
        order by {OBSERVATION_ORDER}"""


def _write_sdmx_csv(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    tmp = _tmp(out)
    conn.register("_sdmx_periods", sdmx_periods(conn, where, params))
    try:
        conn.execute(f"copy ({sdmx_select(where)}) to '{tmp.as_posix()}' (format csv, header true)", params)
        os.replace(tmp, out)
    finally:
        conn.unregister("_sdmx_periods")
        tmp.unlink(missing_ok=True)
    return [out]


# ------------------------------------------------------------------------------------------------ XLSX
# A sheet lists every column of fct_observations as published (its dbt contract, in that order) but the ones the
# sheet itself stands for or that repeat another: the internal key, the indicator (one sheet per indicator) and
# the period's year; the geography's name follows its code.
XLSX_LEFT_OUT = ("observation_id", "indicator_code", "period_year")


def xlsx_columns(conn) -> list[str]:
    columns = [name for (name,) in conn.execute("select column_name from (describe fct_observations)").fetchall()]
    kept = [name for name in columns if name not in XLSX_LEFT_OUT]
    return [*kept[:1], "geo_name", *kept[1:]] if kept and kept[0] == "geo_code" else kept


def sheet_names(codes: list[str]) -> dict[str, str]:
    """Excel sheet names (at most 31 characters, unique) for indicator codes."""
    names: dict[str, str] = {}
    used = {"metadata"}
    for code in codes:
        name = code[:31]
        counter = 2
        while name.lower() in used:
            suffix = f"~{counter}"
            name = code[: 31 - len(suffix)] + suffix
            counter += 1
        used.add(name.lower())
        names[code] = name
    return names


def _write_xlsx(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    from openpyxl import Workbook

    indicators = conn.execute(
        f"""select i.indicator_code, i.indicator_name, i.unit, i.definition, i.sdg_targets, i.partnership_domain,
                   i.comparability_caveat, count(*) as observations
            from (select * from fct_observations{where}) o join dim_indicators i using (indicator_code)
            group by all order by i.indicator_code""",
        params,
    ).fetchall()
    names = sheet_names([row[0] for row in indicators])
    book = Workbook(write_only=True)
    meta = book.create_sheet("metadata")
    for line in _metadata_lines(conn, version, filters, where, params):
        meta.append(line)
    meta.append([])
    meta.append(
        [
            "sheet",
            "indicator_code",
            "indicator_name",
            "unit",
            "sdg_targets",
            "partnership_domain",
            "observations",
            "definition",
            "comparability_caveat",
        ]
    )
    for code, name, unit, definition, targets, domain, caveat, count in indicators:
        meta.append([names[code], code, name, unit, targets, domain, count, definition, caveat])
    header = xlsx_columns(conn)
    columns = ", ".join(f"o.{c}" if c != "geo_name" else "g.geo_name" for c in header)
    for code, *_ in indicators:
        sheet = book.create_sheet(names[code])
        sheet.append(header)
        result = conn.execute(
            f"""select {columns} from (select * from fct_observations{where}) o
                left join dim_geographies g using (geo_code)
                where o.indicator_code = ? order by {OBSERVATION_ORDER.replace("indicator_code, ", "")}""",
            [*params, code],
        )
        while batch := result.fetchmany(5000):
            for row in batch:
                sheet.append([_excel_cell(v) for v in row])
    tmp = _tmp(out)
    try:
        book.save(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return [out]


def _excel_cell(value):
    if isinstance(value, datetime):  # Excel has no time zones: UTC without one
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return neutralise_cell(value)


def _metadata_lines(conn, version, filters, where, params) -> list[list]:
    published_at = conn.execute("select published_at from _publication").fetchall()[0][0]
    lines = [
        ["SPS Monitor: observations of the published version"],
        ["published_version", version],
        ["published_at", _excel_cell(published_at)],
        ["generated_at", datetime.now(UTC).replace(tzinfo=None)],
        ["filters", json.dumps(filters.as_dict())],
        [],
        ["source_dataset", "title", "provider", "licence", "observations"],
    ]
    for source in sources_of(conn, where, params):
        lines.append([source["dataset"], source["title"], source["provider"], source["licence"], source["rows"]])
    return lines


# ------------------------------------------------------------------------------------------------ Open SDG
def open_sdg_rows(conn, where: str, params: list) -> list[open_sdg.Observation]:
    rows = conn.execute(
        f"""select indicator_code, geo_code, period, sex, age_group, breakdown, value, unit, source_dataset,
                   comparability_group
            from (select * from fct_observations{where}) where value is not null order by {OBSERVATION_ORDER}""",
        params,
    ).fetchall()
    return [open_sdg.Observation(*row) for row in rows]


def open_sdg_indicators(conn) -> dict[str, open_sdg.IndicatorInfo]:
    rows = conn.execute(
        "select indicator_code, indicator_name, unit, definition, sdg_targets, comparability_caveat from dim_indicators"
    ).fetchall()
    return {row[0]: open_sdg.IndicatorInfo(*row) for row in rows}


def _write_open_sdg(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    city = filters.cities[0] if len(filters.cities) == 1 else None
    published_at = conn.execute("select published_at from _publication").fetchall()[0][0]
    folder = open_sdg.build_folder(
        open_sdg_rows(conn, where, params),
        open_sdg_indicators(conn),
        published_sources(conn),
        city,
        version,
        str(published_at),
    )
    if not folder.data_files:
        raise ExportError(
            "none of the matching observations has an SDG indicator or target in the catalogue "
            f"({', '.join(sorted(folder.left_out))}); nothing was written. Export them as csv instead"
        )
    tmp = out.with_name(f".{out.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for relative, text in folder.files.items():
            path = tmp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if out.exists():
            out.rmdir()  # an empty folder the user named
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / relative for relative in folder.data_files]


def open_sdg_left_out(conn, where: str, params: list) -> dict[str, str]:
    """Indicators of the rows that an Open SDG folder leaves out (no SDG link in the catalogue), with why."""
    codes = conn.execute(f"select distinct indicator_code from fct_observations{where}", params).fetchall()
    indicators = open_sdg_indicators(conn)
    return {
        code: "no SDG indicator or target in the catalogue (sdg_targets)"
        for (code,) in codes
        if open_sdg.open_sdg_id(indicators[code].sdg_targets) is None
    }


# ------------------------------------------------------------------------------------------------ progress
def _write_progress_xlsx(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    """One `progress` sheet (the mart's rows and Open SDG's status) and the metadata sheet."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    meta = book.create_sheet("metadata")
    lines = _metadata_lines(conn, version, filters, where, params)
    lines[0] = ["SPS Monitor: progress assessment (city_progress) of the published version"]
    for line in lines:
        meta.append(line)
    meta.append([])
    meta.append(["notes", PROGRESS_NOTE])
    sheet = book.create_sheet("progress")
    result = conn.execute(f"select *, {_progress_status_sql()} from {table}{where} order by {PROGRESS_ORDER}", params)
    sheet.append([d[0] for d in result.description])
    while batch := result.fetchmany(5000):
        for row in batch:
            sheet.append([_excel_cell(v) for v in row])
    tmp = _tmp(out)
    try:
        book.save(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return [out]


def open_sdg_progress(conn, city: str, indicators: tuple[str, ...] = ()) -> dict[str, dict]:
    """indicator -> Open SDG progress fields for the headline series of `city` (its own total, latest period;
    the comparability group that sorts first on a tie): `progress_status` from the Open SDG method row of
    city_progress, and `progress_calculation_options` saying how it was computed. A survey series has no
    Open SDG status (its assessment is a significance test, not a growth rate): `not_available`, with the
    survey assessment under `sps_progress` so nothing is lost."""
    rows = conn.execute(
        """
        with headline as (
            select indicator_code, comparability_group, to_period
            from city_progress
            where geo_code = ? and sex is null and age_group is null and breakdown is null
            qualify row_number() over (
                partition by indicator_code order by to_period desc, comparability_group) = 1
        )
        select p.indicator_code, p.comparability_group, p.method, p.from_period, p.to_period, p.change,
               p.change_ci_low, p.change_ci_high, p.annual_growth_rate, p.target_value, p.target_year, p.assessment,
               i.higher_is_better
        from city_progress p
        join headline h using (indicator_code, comparability_group, to_period)
        join dim_indicators i using (indicator_code)
        where p.geo_code = ? and p.sex is null and p.age_group is null and p.breakdown is null
          and (len(?::varchar[]) = 0 or p.indicator_code in (select unnest(?::varchar[])))
        order by p.indicator_code, p.method, p.from_period""",
        [city, city, list(indicators), list(indicators)],
    ).fetchall()
    fields: dict[str, dict] = {}
    for code, group, method, first, last, change, low, high, growth, target, target_year, assessment, up in rows:
        entry = fields.setdefault(
            code,
            {
                "indicator": code,
                "auto_progress_calculation": False,  # the status below was computed by SPS Monitor
                "progress_status": "not_available",
                "sps_progress": {"comparability_group": group, "assessments": []},
            },
        )
        entry["sps_progress"]["assessments"].append(
            {
                "method": method,
                "from_period": first,
                "to_period": last,
                "assessment": assessment,
                **({"change": change, "change_ci_low": low, "change_ci_high": high} if change is not None else {}),
                **({"annual_growth_rate": growth} if growth is not None else {}),
            }
        )
        if method == "open_sdg":
            options = {"base_year": int(first[:4]), "direction": "positive" if up else "negative"}
            if target is not None:
                options |= {"target": target, "target_year": int(target_year)}
            entry["progress_status"] = OPEN_SDG_STATUS.get(assessment, "not_available")
            entry["progress_calculation_options"] = [options]
    return fields


def _write_open_sdg_progress(conn, table, out, fmt, where, params, filters, version) -> list[Path]:
    import yaml

    city = filters.cities[0]
    fields = open_sdg_progress(conn, city, filters.indicators)
    if not fields:
        raise ExportError(
            f"--city {city}: published version {version} has no progress row for the city's own headline series "
            "(only its districts, or nothing); nothing was written"
        )
    tmp = out.with_name(f".{out.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    written = []
    try:
        for code, entry in fields.items():
            path = tmp / f"indicator_{code}.progress.yml"
            path.write_text(
                f"# Open SDG progress fields for {city}, {code} (SPS Monitor published version {version}); merge them "
                "into the indicator's metadata.\n" + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True),
                encoding="utf-8",
            )
            written.append(out / path.name)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written


# ------------------------------------------------------------------------------------------------ metadata
def sources_of(conn, where: str = "", params: list | None = None) -> list[dict]:
    """Every source dataset behind the rows, with title, provider and licence as the version records them
    (`_sources`; the source catalogue for versions published before it was recorded)."""
    catalog = published_sources(conn)
    found = conn.execute(
        f"""select source_dataset, any_value(source_type), count(*) from fct_observations{where}
            group by 1 order by 1""",
        params or [],
    ).fetchall()
    sources = []
    for dataset, source_type, count in found:
        entry = catalog.get(dataset)
        if entry is not None:
            entry = dict(entry)
        elif source_type in CITY_SOURCES:
            entry = dict(CITY_SOURCES[source_type])
        else:
            entry = {"title": dataset, "provider": "unknown", "licence": "unknown"}
        sources.append({"dataset": dataset, **entry, "rows": count})
    return sources


def published_sources(conn) -> dict[str, dict]:
    """source dataset -> {title, provider, licence} of the published version open on `conn`."""
    has_table = conn.execute("select count(*) from information_schema.tables where table_name = '_sources'").fetchall()[
        0
    ][0]
    if has_table:
        rows = conn.execute("select source_dataset, title, provider, licence from _sources").fetchall()
        return {
            code: {"title": title, "provider": provider, "licence": licence} for code, title, provider, licence in rows
        }
    return {
        spec.code: {"title": spec.title, "provider": spec.provider, "licence": spec.licence} for spec in load_catalog()
    }


def export_metadata(conn, result: ExportResult, filters: ExportFilters, where: str, params: list, published_at):
    # the observations behind a progress export are those of its cities and indicators (the same filter columns)
    sources = sources_of(conn, where, params) if result.table in ("fct_observations", PROGRESS) else []
    licences = sorted({s["licence"] for s in sources})
    files = [p.name if result.format != "open-sdg" else f"{p.parent.name}/{p.name}" for p in result.paths]
    extra = {"left_out": result.left_out} if result.left_out else {}
    return {
        "title": f"SPS Monitor export of {result.table}",
        "format": result.format,
        "table": result.table,
        "rows": result.rows,
        "files": files,
        **extra,
        "published_version": result.version,
        "published_at": published_at,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filters": filters.as_dict(),
        "sources": sources,
        "licence": "; ".join(licences) if licences else "CC BY 4.0 (Source: Eurostat) unless stated otherwise",
        "citation": f"SPS Monitor, published version {result.version}, {result.table}. "
        + ("Sources: " + "; ".join(f"{s['provider']} ({s['dataset']})" for s in sources) if sources else ""),
        "notes": _format_note(result.format)
        if result.table != PROGRESS
        else PROGRESS_NOTE + (" " + OPEN_SDG_PROGRESS_NOTE if result.format == "open-sdg" else ""),
    }


PROGRESS_NOTE = (
    "city_progress (issue 19, docs/methodology/progress.md): one row per geography x indicator x breakdown x "
    "comparability group x window x method; change_se = sqrt(se_from^2 + se_to^2); methods survey_change_95, "
    "target_ci, eurostat_sdg_trend, eurostat_sdg_target, open_sdg. open_sdg_progress_status is Open SDG's status code "
    "of the open_sdg rows."
)
OPEN_SDG_PROGRESS_NOTE = (
    "Open SDG: one indicator_<code>.progress.yml per indicator with the city's headline series: progress_status "
    "(Open SDG's code), progress_calculation_options (base_year, direction, target, target_year) and "
    "auto_progress_calculation: false; survey series have progress_status not_available (their assessment is a "
    "significance test, kept under sps_progress)."
)
FORMAT_NOTES = {
    "sdmx-csv": (
        "SDMX-CSV 1.0: DATAFLOW, dimensions (FREQ, SERIES, REF_AREA, SEX, AGE, BREAKDOWN, SOURCE_DATASET, "
        "COMPARABILITY_GROUP, UNIT_MEASURE, TIME_PERIOD), OBS_VALUE, then attributes. OBS_STATUS uses the SDMX "
        "code list (A normal, B break, D definition differs, E estimated, P provisional, U low reliability, "
        "O missing); OBS_FLAG keeps Eurostat's flags verbatim; NATURE is C for official statistics, N otherwise. "
        "TIME_PERIOD is an SDMX time period: a year (2019); a reporting year for split years (2017/18 -> "
        "2017-A1, starting on REPORTING_YEAR_START_DAY, --04-01 for the ONS financial years); a time range for "
        "pooled years (ONS '2018 to 2020' -> 2017-04-01/P3Y). PERIOD_AS_PUBLISHED keeps the source's label."
    ),
    "xlsx": "One sheet per indicator (sheet names are indicator codes, cut to 31 characters) and a metadata sheet.",
    "open-sdg": (
        "An Open SDG data folder: data/indicator_<SDG id>.csv (Year, Series, disaggregations, Units, GeoCode, "
        "Value), indicator-config/<SDG id>.yml and meta/<SDG id>.yml, as in a city's Open SDG data repository. "
        "Files are keyed by the SDG indicator of the catalogue (16.1.4 -> indicator_16-1-4.csv); indicators that "
        "share one are told apart by the Series column; indicators linked to a target only go to <goal>-<target>-x "
        "(not a global SDG indicator). GeoCode is empty for the city the export is for and the district code for "
        "its areas. A Source column appears when a file mixes sources, a Comparability group column when one "
        "source has several survey universes. Each data file comes with a mapping (indicator_<SDG id>.mapping.yml) "
        "for `sps upload`."
    ),
}


def _format_note(fmt: str) -> str:
    return FORMAT_NOTES.get(fmt, "")
