"""Reader for Eurostat's old "explorer" CSV export (urb_cpop1_1_Data.csv): one row per
TIME × CITIES × INDIC_UR, keyed by English/national LABELS rather than codes.

Header: ``TIME,CITIES,INDIC_UR,Value,Flag and Footnotes``; ``:`` means not available.
"""

from __future__ import annotations

import csv
import re
import zlib
from pathlib import Path

import duckdb

from pipelines.errors import SourceFileError
from pipelines.sources.files import check_gzip_integrity, first_line, is_gzip, open_text

EXPECTED_HEADER = ["TIME", "CITIES", "INDIC_UR", "Value", "Flag and Footnotes"]


def load_label_csv(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    header = [cell.strip().strip('"') for cell in first_line(path).lstrip("\ufeff").split(",")]
    if header != EXPECTED_HEADER:
        raise SourceFileError(path, f"header is {header}, expected {EXPECTED_HEADER}", line=1)
    check_gzip_integrity(path)
    columns = {
        "time_period": "VARCHAR",
        "cities": "VARCHAR",
        "indic_ur": "VARCHAR",
        "value_text": "VARCHAR",
        "flag": "VARCHAR",
    }
    read = (
        "read_csv(?, delim=',', quote='\"', header=false, skip=1, columns=?, strict_mode=true, "
        f"auto_detect=false, compression='{'gzip' if is_gzip(path) else 'none'}')"
    )
    try:
        conn.execute(f"create or replace temp table _label_rows as select * from {read}", [str(path), columns])
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
        first = str(exc).splitlines()[0]
        match = re.search(r"[Ll]ine:?\s*(\d+)", str(exc))
        raise SourceFileError(
            path, f"cannot be read as CSV ({first})", line=int(match.group(1)) if match else None
        ) from exc
    # an empty Value cell is malformed too (the export writes ':' for "not available")
    bad = conn.execute(
        """select time_period, cities, indic_ur, value_text from _label_rows
           where coalesce(trim(value_text), '') <> ':'
                 and try_cast(replace(trim(value_text), ' ', '') as double) is null
              or try_cast(time_period as integer) is null
           limit 1"""
    ).fetchall()
    if bad:
        period, city, indic_ur, value = bad[0]
        raise SourceFileError(
            path,
            f"row {period},{city} has value {value or ''!r}, not a number or ':'",
            line=_line_of_row(path, [period, city, indic_ur, value]),
        )
    conn.execute(
        f"""create or replace table {target} as
            select trim(time_period) as time_period, cities, indic_ur,
                   try_cast(replace(trim(value_text), ' ', '') as double) as value,
                   nullif(trim(flag), '') as flag,
                   concat_ws('|', trim(time_period), cities, indic_ur) as series_key,
                   {lineage_sql}
            from _label_rows
            where not (trim(value_text) = ':' and nullif(trim(flag), '') is null)"""
    )
    conn.execute("drop table if exists _label_rows")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]


def _line_of_row(path: Path, cells: list[str | None]) -> int | None:
    """1-based line on which the first CSV record with these leading cells ends; used only on error paths."""
    wanted = [cell or "" for cell in cells]
    try:
        with open_text(path) as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for row in reader:
                if row[: len(wanted)] == wanted:
                    return reader.line_num
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error):
        return None
    return None
