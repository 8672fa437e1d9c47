"""Reader for Eurostat SDMX-TSV files, in both layouts found in the wild.

- old bulk layout:    ``indic_ur,unit,cities\\time``   then years newest first (``2019 ``, ``2015 ``...)
- current API layout: ``freq,iccs,unit,geo\\TIME_PERIOD`` then years oldest first

The first header cell names the dimensions (split on the backslash, then on commas; the order is whatever
the file says). Each data cell is ``<number>[ <flags>]`` or ``:[ <flags>]``; flags are kept verbatim.
Plain or gzipped (recognised by magic bytes).

DuckDB 2.0 note: a result left half-fetched blocks the connection for `.sql()`, so every query here
is fetched completely (`fetchall`).

The heavy lifting (split, unpivot, regex) runs inside DuckDB, so the cost grows with DuckDB's speed, not
Python's: the file is never turned into Python rows.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import SourceFileError
from pipelines.sources.files import check_gzip_integrity, first_line, is_gzip, open_text

CELL_PATTERN = r"^(:|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)\s*([a-z]*)$"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PERIOD = re.compile(r"^[0-9]{4}([-_/ ]?([QMSW]?[0-9]{1,2}|[0-9]{2,4}))?$")


@dataclass(frozen=True)
class SdmxHeader:
    dimensions: list[str]
    time_dimension: str
    periods: list[str]


def read_sdmx_header(path: Path) -> SdmxHeader:
    line = first_line(path)
    lowered = line.lstrip().lower()
    if lowered.startswith(("<!doctype", "<html", "<?xml", "{")):
        raise SourceFileError(path, "looks like an HTML/XML/JSON page, not an SDMX-TSV file", line=1)
    cells = line.split("\t")
    if len(cells) < 2:
        raise SourceFileError(path, "header has no tab-separated period columns; not SDMX-TSV", line=1)
    first = cells[0].strip()
    if "\\" not in first:
        raise SourceFileError(
            path,
            f"first header cell {first!r} lacks 'dimensions\\time' (e.g. 'freq,geo\\TIME_PERIOD')",
            line=1,
        )
    dims_part, time_dimension = first.split("\\", 1)
    dimensions = [d.strip().lower() for d in dims_part.split(",")]
    if not all(_IDENTIFIER.match(d) for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise SourceFileError(path, f"dimension names {dims_part!r} are not distinct identifiers", line=1)
    if "time_period" in dimensions:
        raise SourceFileError(path, "a dimension is called time_period, which clashes with the time column", 1)
    periods = [c.strip() for c in cells[1:]]
    bad = [p for p in periods if not _PERIOD.match(p)]
    if bad:
        raise SourceFileError(path, f"header period cells {bad[:3]} are not periods like 2019 or 2019-Q1", 1)
    if len(set(periods)) != len(periods):
        raise SourceFileError(path, "header repeats a period column", line=1)
    return SdmxHeader(dimensions=dimensions, time_dimension=time_dimension.strip(), periods=periods)


def load_sdmx_tsv(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    """Parse `path` into a new table `target` (dimension columns, time_period, value, flag, series_key,
    plus the constant lineage columns given as a SQL select-list fragment). Returns the row count.

    Cells that are ``:`` without a flag (plain "not available") are not stored; ``:`` with a flag
    (e.g. ``: c`` confidential) is stored with a NULL value and its flag.
    Raises SourceFileError naming the file, the line and the reason when the file is malformed.

    The file is read once into a table of its rows, one column per period named by the period itself (the header
    check makes them unique), so UNPIVOT names each cell's period without a join. The series keys are checked and
    split into dimensions once per row, not once per cell, and each cell is matched once. At 100x (a SYNTHETIC
    167 MB crim_gen_reg, 21.7 M cells) the earlier table of every cell, its key checks and two matches per cell
    took 55 s (benchmarks/results/2026-12-04-round-2.md, "Night session, 2026-12-05").
    """
    check_gzip_integrity(path)  # first: a corrupt gzip can decode to a garbage header before its CRC fails
    header = read_sdmx_header(path)
    columns = {"c0": "VARCHAR", **{period: "VARCHAR" for period in header.periods}}
    dims = header.dimensions
    read = (
        "read_csv(?, delim='\t', header=false, skip=1, columns=?, quote='', escape='', "
        f"compression='{'gzip' if is_gzip(path) else 'none'}', strict_mode=true, null_padding=false, "
        "auto_detect=false, all_varchar=true)"
    )
    try:
        conn.execute(f"create or replace temp table _sdmx_rows as select * from {read}", [str(path), columns])
    except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
        raise _csv_error(path, exc) from exc

    try:
        _check_cells(conn, path, header)
        dim_select = ", ".join(f"trim(split_part(series_key, ',', {i + 1})) as {d}" for i, d in enumerate(dims))
        dim_list = ", ".join(dims)
        conn.execute(
            f"""
            create or replace table {target} as
            with keyed as (  -- the dimensions split once per row, not once per cell
                select {dim_select}, series_key, * exclude (series_key)
                from (select trim(c0) as series_key, * exclude (c0) from _sdmx_rows)
            ),
            parsed as (  -- one match per cell: the number (or ':') and the flags ('_' names: no dimension's)
                select {dim_list}, series_key, time_period,
                       regexp_extract(trim(_cell), '{CELL_PATTERN}', ['number_text', 'fraction', 'exponent', 'flag'])
                           as _match
                from (unpivot keyed on columns(* exclude ({dim_list}, series_key)) into name time_period value _cell)
            )
            select {dim_list}, time_period,
                   -- try_cast: DuckDB may cast before the case tests for ':'; every other cell is a checked number
                   case when _match.number_text = ':' then null else try_cast(_match.number_text as double) end
                       as value,
                   nullif(_match.flag, '') as flag, series_key, {lineage_sql}
            from parsed
            where not (_match.number_text = ':' and _match.flag = '')
            """
        )
    finally:
        conn.execute("drop table if exists _sdmx_rows")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]


_CELLS = "(unpivot _sdmx_rows on columns(* exclude (c0)) into name time_period value cell)"
# the rows that have at least one cell (UNPIVOT leaves out empty cells, so a row without any is no series)
_KEYED_ROWS = (
    "(select trim(c0) as series_key, coalesce(*columns(* exclude (c0))) as any_cell from _sdmx_rows) "
    "where any_cell is not null"
)


def _check_cells(conn: duckdb.DuckDBPyConnection, path: Path, header: SdmxHeader) -> None:
    dims = header.dimensions
    bad_cell = conn.execute(
        f"""select trim(c0), time_period, trim(cell) from {_CELLS}
            where not regexp_full_match(trim(cell), '{CELL_PATTERN}') limit 1"""
    ).fetchall()
    if bad_cell:
        key, period, cell = bad_cell[0]
        raise SourceFileError(
            path,
            f"cell for {key} / {period} is {cell!r}, expected a number or ':' followed by optional flags",
            line=_find_line(path, key, cell_at=header.periods.index(period) + 1, cell=cell),
        )
    n_dims = len(dims)
    bad_key = conn.execute(
        f"select series_key from {_KEYED_ROWS} and len(string_split(series_key, ',')) <> ? limit 1", [n_dims]
    ).fetchall()
    if bad_key:
        raise SourceFileError(
            path,
            f"series key {bad_key[0][0]!r} does not have {n_dims} comma-separated parts ({','.join(dims)})",
            line=_find_line(path, bad_key[0][0]),
        )
    # a key on two rows is a duplicate where both rows have a cell for the same period (as Eurostat's keys are
    # unique, the rows are checked first and the cells of the few keys found there only)
    repeated = [key for (key,) in conn.execute(
        f"select series_key from {_KEYED_ROWS} group by series_key having count(*) > 1"
    ).fetchall()]  # fmt: skip
    duplicate = (
        conn.execute(
            f"""select trim(c0) as series_key from {_CELLS} where trim(c0) in (select unnest(?))
                group by series_key, time_period having count(*) > 1 limit 1""",
            [repeated],
        ).fetchall()
        if repeated
        else []
    )
    if duplicate:
        raise SourceFileError(
            path,
            f"series key {duplicate[0][0]!r} appears more than once",
            line=_find_line(path, duplicate[0][0], occurrence=2),
        )


def _find_line(
    path: Path, key: str, *, occurrence: int = 1, cell_at: int | None = None, cell: str | None = None
) -> int | None:
    """1-based line of the `occurrence`-th data row whose (trimmed) series key is `key` and, if given, whose
    cell number `cell_at` is `cell` (trimmed). Used only on error paths."""
    seen = 0
    try:
        with open_text(path) as fh:
            for number, line in enumerate(fh, start=1):
                cells = line.rstrip("\r\n").split("\t")
                if number == 1 or cells[0].strip() != key:
                    continue
                if cell_at is not None and (len(cells) <= cell_at or cells[cell_at].strip() != cell):
                    continue
                seen += 1
                if seen == occurrence:
                    return number
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    return None


_LINE_IN_MESSAGE = re.compile(r"[Ll]ine:?\s*(\d+)")


def _csv_error(path: Path, exc: Exception) -> SourceFileError:
    message = str(exc)
    match = _LINE_IN_MESSAGE.search(message)
    line = int(match.group(1)) if match else None
    if "Expected Number of Columns" in message or "columns" in message.lower():
        reason = "a row has a different number of tab-separated cells than the header (truncated or edited file)"
    elif "gzip" in message.lower() or "decompress" in message.lower():
        reason = "gzip data is corrupt or truncated"
    elif "unicode" in message.lower() or "utf" in message.lower():
        reason = "is not UTF-8 text"
    else:
        reason = message.splitlines()[0]
    return SourceFileError(path, reason, line=line)
