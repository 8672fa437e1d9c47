"""Reader for a Eurostat code list in the dissemination API's TSV format
(``/sdmx/2.1/codelist/ESTAT/<LIST>/latest?format=TSV&lang=en``): no header, one ``code<TAB>label`` line per
code. Used for the ``CITIES`` list, whose English labels name the Urban Audit cities the GISCO points lack
(e.g. the Latvian state cities LV002C-LV009C).

The file is small (a few thousand lines) and read with the csv module: every line is checked and a bad one is
reported with its number, which DuckDB's CSV reader would only give as a byte offset.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.sources.files import open_text


def read_codelist(path: Path) -> list[tuple[str, str]]:
    """(code, label) of every line, or a SourceFileError naming the first bad line."""
    try:
        with open_text(path) as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceFileError(path, f"cannot be read as UTF-8 text ({exc})") from exc
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter="\t"), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip():
            raise SourceFileError(
                path,
                f"line has {len(row)} tab-separated cell(s); a code list line is 'code<TAB>label'",
                line=number,
                hint="Download the code list again with format=TSV (an HTML error page is not a code list).",
            )
        rows.append((row[0].strip(), row[1].strip()))
    if not rows:
        raise SourceFileError(path, "is empty: no code in the code list", line=1)
    return rows


def load_codelist_tsv(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    rows = read_codelist(path)
    codes = pa.table({"code": [code for code, _ in rows], "name": [name for _, name in rows]})
    conn.register("_codelist_rows", codes)
    try:
        conn.execute(
            f"create or replace table {target} as "
            f"select code, name, code as series_key, {lineage_sql} from _codelist_rows"
        )
    finally:
        conn.unregister("_codelist_rows")
    return len(rows)
