"""The SPS survey-results template (seeds/survey_template_columns.csv): read every CSV in a folder into one
table and report every problem at once, each with file, line, column and what to do.

The checks run in DuckDB over the whole table, so they cost the same per row however many rows arrive;
`validate_survey_results` is the shared check for the folder drop and (issue 3) the upload page.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import SourceFileError
from pipelines.settings import SEEDS_DIR

PERCENT_UNITS = ("% of respondents", "% of population", "% of built-up area")


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    is_required: bool
    data_type: str


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = (
            self.file
            + (f", line {self.line}" if self.line else "")
            + (f", column {self.column}" if self.column else "")
        )
        return f"{where}: {self.message}"


def template_columns() -> list[TemplateColumn]:
    with open(SEEDS_DIR / "survey_template_columns.csv", newline="", encoding="utf-8") as fh:
        return [
            TemplateColumn(r["column_name"], r["is_required"] == "true", r["data_type"]) for r in csv.DictReader(fh)
        ]


def _catalogue() -> dict[str, str]:
    with open(SEEDS_DIR / "indicators.csv", newline="", encoding="utf-8") as fh:
        return {r["indicator_code"]: r["unit"] for r in csv.DictReader(fh)}


def read_survey_folder(conn: duckdb.DuckDBPyConnection, folder: Path, target: str) -> list[Problem]:
    """Stack every *.csv of `folder` into `target` (all text, plus source_file and source_row). Returns
    header problems; files with a bad header are left out of `target`."""
    columns = template_columns()
    names = [c.name for c in columns]
    problems: list[Problem] = []
    selects = []
    for path in sorted(folder.glob("*.csv")):
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                header = next(csv.reader(fh), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            problems.append(
                Problem(path.name, 1, None, f"the header cannot be read ({exc}). Save the file as UTF-8 CSV.")
            )
            continue
        header = [h.strip() for h in header]
        missing = [c.name for c in columns if c.is_required and c.name not in header]
        unknown = [h for h in header if h not in names]
        if missing or unknown or not header:
            detail = (f"missing required column(s) {missing}" if missing else "") + (
                f"{'; ' if missing else ''}unknown column(s) {unknown}" if unknown else ""
            )
            problems.append(
                Problem(
                    path.name,
                    1,
                    None,
                    f"{detail or 'empty file'}. Use the columns of the SPS "
                    "survey template (seeds/survey_template_columns.csv).",
                )
            )
            continue
        spec = {h: "VARCHAR" for h in header}
        present = ", ".join(f'"{n}"' if n in header else f'cast(null as varchar) as "{n}"' for n in names)
        selects.append(
            f"select {present}, '{path.name.replace(chr(39), chr(39) * 2)}' as source_file, "
            f"cast(row_number() over () + 1 as bigint) as source_row from read_csv('{path.as_posix()}', "
            f"header=false, skip=1, columns={spec!r}, delim=',', quote='\"', strict_mode=true, auto_detect=false)"
        )
    empty = ", ".join(f'cast(null as varchar) as "{n}"' for n in names)
    body = (
        " union all ".join(selects)
        or f"select {empty}, cast(null as varchar) as source_file, cast(null as bigint) as source_row where false"
    )
    try:
        conn.execute(f"create or replace table {target} as {body}")
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        raise SourceFileError(folder, f"a survey file cannot be read as CSV ({str(exc).splitlines()[0]})") from exc
    return problems


# Each rule: (column, SQL condition that is TRUE for a bad row, message). Values are never formatted
# into SQL; the only interpolated names come from the template seed.
def _rules(catalogue: dict[str, str]) -> list[tuple[str | None, str, str]]:
    num = "try_cast(trim({c}) as double)"
    rules: list[tuple[str | None, str, str]] = []
    for column in template_columns():
        quoted = f'"{column.name}"'
        if column.is_required:
            rules.append((column.name, f"nullif(trim({quoted}), '') is null", "is empty but required"))
        if column.data_type in ("number", "integer"):
            rules.append(
                (
                    column.name,
                    f"nullif(trim({quoted}), '') is not null and {num.format(c=quoted)} is null",
                    "is not a number (use a point as decimal separator, no % sign)",
                )
            )
    rules += [
        (
            "indicator_code",
            "nullif(trim(indicator_code), '') is not null and trim(indicator_code) not in "
            "(select unnest(?::varchar[]))",
            "is not an indicator of the catalogue",
        ),
        (
            "period",
            "nullif(trim(period), '') is not null and not regexp_full_match(trim(period), "
            "'[0-9]{4}([/-][0-9]{2}([0-9]{2})?)?')",
            "is not a year like 2019, 2019/20 or 2019-20",
        ),
        (
            "sex",
            "nullif(trim(sex), '') is not null and lower(trim(sex)) not in ('female', 'male')",
            "must be female, male or empty",
        ),
        (
            "geo_code",
            "nullif(trim(geo_code), '') is not null and not regexp_full_match(trim(geo_code), "
            "'[A-Z]{2}([0-9]{3}[A-Z0-9]|[A-Z0-9]{0,3}|-[A-Z])?|EU27_2020')",
            "is not an Urban Audit, NUTS or country code as Eurostat writes it",
        ),
        (
            "ci_low",
            "(nullif(trim(ci_low), '') is null) <> (nullif(trim(ci_high), '') is null)",
            "give both ci_low and ci_high, or neither",
        ),
        (
            "ci_low",
            "try_cast(ci_low as double) > try_cast(estimate as double) "
            "or try_cast(ci_high as double) < try_cast(estimate as double)",
            "the interval does not contain the estimate (ci_low <= estimate <= ci_high)",
        ),
        (
            "sample_size",
            "try_cast(sample_size as double) <= 0 or try_cast(sample_size as double) "
            "<> floor(try_cast(sample_size as double))",
            "must be a whole number above 0",
        ),
        ("design_effect", "try_cast(design_effect as double) < 1", "must be 1 or more"),
        (
            "estimate",
            "trim(indicator_code) in (select unnest(?::varchar[])) and "
            "(try_cast(estimate as double) < 0 or try_cast(estimate as double) > 100)",
            "is a percentage and must be between 0 and 100",
        ),
    ]
    return rules


def validate_survey_results(conn: duckdb.DuckDBPyConnection, table: str) -> list[Problem]:
    catalogue = _catalogue()
    percent = [code for code, unit in catalogue.items() if unit in PERCENT_UNITS]
    problems = []
    for column, condition, message in _rules(catalogue):
        params = []
        if "unnest(?" in condition:
            params = [percent] if column == "estimate" else [sorted(catalogue)]
        rows = conn.execute(
            f"select source_file, source_row, {f'{chr(34)}{column}{chr(34)}' if column else 'null'} "
            f"from {table} where {condition} order by source_file, source_row",
            params,
        ).fetchall()
        for file, line, value in rows:
            shown = f" ({value!r})" if value not in (None, "") else ""
            problems.append(Problem(file, line, column, f"{column}{shown} {message}"))
    duplicates = conn.execute(
        f"""select min(source_file), min(source_row), count(*) from {table}
            group by indicator_code, geo_code, period, coalesce(sex, ''), coalesce(age_group, ''),
                     coalesce(breakdown, ''), survey_name having count(*) > 1"""
    ).fetchall()
    for file, line, count in duplicates:
        problems.append(
            Problem(
                file,
                line,
                None,
                f"the same indicator, area, period, breakdown and survey appear "
                f"{count} times; keep one row per estimate",
            )
        )
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or ""))


def load_survey_results(conn: duckdb.DuckDBPyConnection, folder: Path, target: str, lineage_sql: str) -> int:
    """Loader for the raw store: all-or-nothing. Any problem fails the load with every problem listed."""
    problems = read_survey_folder(conn, folder, "_survey_rows")
    problems += validate_survey_results(conn, "_survey_rows")
    if problems:
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise SourceFileError(
            folder,
            f"{len(problems)} problem(s) in the survey results: {shown}{more}",
            hint="Correct the file(s) and refresh again; nothing from this folder was loaded.",
        )
    conn.execute(
        f"""create or replace table {target} as
            with lineage as (select {lineage_sql})
            select rows.* exclude (source_file), lineage.source_file || '/' || rows.source_file as source_file,
                   rows.source_file || ':' || rows.source_row as series_key, lineage.* exclude (source_file)
            from _survey_rows as rows cross join lineage"""
    )
    conn.execute("drop table if exists _survey_rows")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]
