"""Reader for Open SDG indicator CSVs (ONS, city SDG platforms): ``Year``, disaggregation columns (empty =
total), optional ``Units`` / ``Series`` / ``GeoCode`` / ``Observation status``, ``Value``.

Columns are kept with the file's own names; ``Value`` becomes a number (empty = not available, kept with
its observation status); ``source_row`` is the line number in the file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from pipelines.errors import SourceFileError
from pipelines.sources.files import first_line, is_gzip

REQUIRED = ("Year", "Value")


def _header(path: Path) -> list[str]:
    line = first_line(path).lstrip("\ufeff")
    try:
        return next(csv.reader([line]))
    except csv.Error as exc:  # e.g. a stray carriage return: a line break inside an unquoted header field
        raise SourceFileError(path, f"the header line cannot be read as CSV ({exc})", line=1) from exc


def _identifier(name: str) -> str:
    """A column name of the file as a quoted SQL identifier (a `"` in a name is doubled, as SQL quotes it)."""
    return '"' + name.replace('"', '""') + '"'


def load_open_sdg_csv(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    header = _header(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SourceFileError(path, f"header {header} lacks the Open SDG column(s) {missing}", line=1)
    if len(set(header)) != len(header) or any(not c.strip() for c in header):
        raise SourceFileError(path, "header has empty or repeated column names", line=1)
    columns = {name: "VARCHAR" for name in header}
    read = (
        "read_csv(?, delim=',', quote='\"', header=false, skip=1, columns=?, strict_mode=true, auto_detect=false, "
        f"compression='{'gzip' if is_gzip(path) else 'none'}', encoding='utf-8')"
    )
    try:
        conn.execute(
            f"create or replace temp table _open_sdg_rows as "
            f"select *, cast(row_number() over () + 1 as bigint) as source_row from {read}",
            [str(path), columns],
        )
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
        raise SourceFileError(path, f"cannot be read as CSV ({str(exc).splitlines()[0]})") from exc
    bad = conn.execute(
        """select source_row, "Value" from _open_sdg_rows
           where nullif(trim("Value"), '') is not null and try_cast(trim("Value") as double) is null
           order by source_row limit 1"""
    ).fetchall()
    if bad:
        raise SourceFileError(path, f"Value {bad[0][1]!r} is not a number", line=bad[0][0])
    own = ", ".join(_identifier(name) for name in header if name != "Value")
    conn.execute(
        f"""create or replace table {target} as
            select {own}, try_cast(trim("Value") as double) as value, source_row,
                   cast(source_row as varchar) as series_key, {lineage_sql}
            from _open_sdg_rows"""
    )
    conn.execute("drop table if exists _open_sdg_rows")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]
