"""Reading an uploaded file into a header and rows of TEXT: CSV (UTF-8 with or without BOM, or
Windows-1252 / Latin-1; comma, semicolon or tab; CRLF) or XLSX (read-only, row cap). Nothing is typed
or rounded here: every cell stays the string the city wrote, and casts happen in validation.

The rows are held column-wise (an Arrow table), never as a Python list per row: a 1 M-row file is split
into cells by DuckDB. Python's csv module defines what a cell is; a file without quotes and without bare
CR line ends splits exactly as csv.reader would split it (records = lines, cells = text between
delimiters), so it goes the fast way; any other file (quotes, CR-only line ends, very long lines, NUL
bytes) is read by csv.reader itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.shared.i18n import N_

MAX_ROWS = 1_000_000
MAX_COLUMNS = 500
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip-bomb guard
FIELD_LIMIT = 1 << 20  # csv.field_size_limit: a longer cell is refused
# What str.strip() and str.isspace() treat as white space (tests/unit/test_upload_columns.py checks the list);
# SQL trims and blank-row checks use exactly these characters.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
WHITESPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"  # the same, as an RE2 class


@dataclass
class Table:
    header: list[str]
    # One row per non-blank data row: `source_row` (the row's line: header = 1, blank rows not counted) and
    # the cells c0 .. c<len(header)-1> as text, padded with '' or cut to the header's width.
    body: pa.Table | None = None
    delimiter: str | None = None
    encoding: str | None = None
    problems: list[str] = field(default_factory=list)  # file-level problems: the file cannot be read

    @property
    def row_count(self) -> int:
        return 0 if self.body is None else self.body.num_rows


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                return Table(
                    [], problems=["the XLSX file unpacks to more than 200 MB (zip bomb?); send the data as CSV"]
                )
            if any(name.lower().endswith(".bin") and "vba" in name.lower() for name in names):
                return Table([], problems=[N_("the workbook contains macros; save it as a plain .xlsx or as CSV")])
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return Table([], problems=[f"the file is not a readable XLSX workbook ({type(exc).__name__})"])
    sheet = workbook.worksheets[0]
    rows: list[list[str]] = []
    for index, row in enumerate(sheet.iter_rows(values_only=True)):
        if index > MAX_ROWS:
            workbook.close()
            return Table([], problems=[f"the sheet has more than {MAX_ROWS} rows; split the file"])
        rows.append([_cell_text(v) for v in row[:MAX_COLUMNS]])
    workbook.close()
    return _table_from_rows(rows, delimiter=None, encoding="xlsx")


def _is_plain(data: bytes) -> bool:
    """True when csv.reader would split this text exactly at line ends and delimiters: no quote character,
    no CR that does not end a CRLF, no NUL (and, checked on the lines, no line as long as the csv module's
    cell limit). These characters are single bytes in UTF-8, Windows-1252 and Latin-1 alike."""
    if b'"' in data or b"\x00" in data:
        return False
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _text_array(data: bytes, text: str, encoding: str) -> pa.Array:
    """The decoded text as one Arrow string; UTF-8 input is wrapped without a copy."""
    if encoding == "utf-8-sig":
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        offsets = pa.py_buffer(np.array([start, len(data)], dtype=np.int64).tobytes())
        return pa.Array.from_buffers(pa.large_utf8(), 1, [None, offsets, pa.py_buffer(data)])
    return pa.array([text], pa.large_utf8())


def _read_text(data: bytes) -> Table:
    if b"\x00" in data[:65536]:
        return Table([], problems=[N_("the file contains NUL bytes: it is binary, not a CSV text file")])
    text, encoding = _decode(data)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    if _is_plain(data):
        import pyarrow.compute as pc

        lines = pc.split_pattern(_text_array(data, text, encoding), "\n")[0].values
        if len(lines) and lines[-1].as_py() == "":
            lines = lines.slice(0, len(lines) - 1)  # the text ends with a line end: no record after it
        if len(lines) > MAX_ROWS + 1:
            return Table([], problems=[f"the file has more than {MAX_ROWS} rows; split the file"])
        if not len(lines) or pc.max(pc.utf8_length(lines)).as_py() < FIELD_LIMIT:
            del text
            first = lines[0].as_py().removesuffix("\r").split(delimiter) if len(lines) else []
            records = pc.utf8_rtrim(lines.slice(1), characters="\r") if b"\r" in data else lines.slice(1)
            return _table_from_records(first[: MAX_COLUMNS + 1], records, delimiter, encoding)
    csv.field_size_limit(FIELD_LIMIT)
    try:
        rows = []
        for index, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if index > MAX_ROWS:
                return Table([], problems=[f"the file has more than {MAX_ROWS} rows; split the file"])
            rows.append(row[: MAX_COLUMNS + 1])
    except csv.Error as exc:
        return Table([], problems=[f"the file cannot be read as CSV ({exc})"])
    return _table_from_rows(rows, delimiter=delimiter, encoding=encoding)


def _table_from_rows(rows: list[list[str]], delimiter: str | None, encoding: str | None) -> Table:
    first = rows[0] if rows else []
    return _table_from_records(first, pa.array(rows[1:], pa.list_(pa.large_utf8())), delimiter, encoding)


def _table_from_records(first: list[str], records: pa.Array, delimiter: str | None, encoding: str | None) -> Table:
    """`first` is the header row's cells; `records` the following rows, either as lists of cells or (for
    plain text) as lines still to be split at `delimiter`."""
    if not any(cell.strip() for cell in first):
        return Table(
            [], None, delimiter, encoding, problems=["the file is empty or its first line (the header) is empty"]
        )
    header = [cell.strip() for cell in first]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        return Table([], None, delimiter, encoding, problems=[f"the header has more than {MAX_COLUMNS} columns"])
    problems = []
    if any(not name for name in header):
        problems.append(N_("the header has an empty column name"))
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        problems.append(f"the header repeats column(s) {duplicates}")
    body = _body(records, len(header), delimiter if pa.types.is_large_string(records.type) else None)
    if not body.num_rows and not problems:
        problems.append(N_("the file has a header but no data rows"))
    return Table(header, body, delimiter, encoding, problems)


def _body(records: pa.Array, width: int, split_at: str | None) -> pa.Table:
    """The non-blank records as columns c0 .. c<width-1> (padded with '' or cut), numbered from line 2
    without counting blank records. A record is blank when its first MAX_COLUMNS + 1 cells hold only white
    space (csv.reader's rows were cut there)."""
    import duckdb

    if split_at is None:
        cells = "record"
        is_blank = f"regexp_full_match(array_to_string(record[1:{MAX_COLUMNS + 1}], ''), '{WHITESPACE_CLASS}*')"
    else:  # on the line itself: white space and delimiters only, or MAX_COLUMNS + 1 blank cells and more
        cells = "string_split(record, getvariable('delimiter'))"
        space, delimiter = WHITESPACE_CLASS[1:-1], f"\\x{{{ord(split_at):x}}}"
        is_blank = (
            f"regexp_full_match(record, '(?s)(?:[{space}]*{delimiter}){{{MAX_COLUMNS + 1}}}.*|[{space}{delimiter}]*')"
        )
    columns = "".join(f", coalesce(cells[{i + 1}], '') as c{i}" for i in range(width))
    with duckdb.connect() as conn:
        if split_at is not None:
            conn.execute("set variable delimiter = ?", [split_at])
        conn.register("records", pa.table({"n": np.arange(len(records), dtype=np.int64), "record": records}))
        blank = [n for (n,) in conn.sql(f"select n from records where {is_blank}").fetchall()]
        kept = np.ones(len(records), dtype=bool)
        kept[blank] = False
        # The line of a record: 2 for the first non-blank record after the header, and so on.
        lines = (np.cumsum(kept) + 1)[kept]
        if blank:
            records = records.filter(pa.array(kept))
        conn.unregister("records")
        conn.register("records", pa.table({"source_row": lines, "record": records}))
        return conn.sql(
            f"select source_row{columns} from (select source_row, {cells} as cells from records)"
        ).to_arrow_table()


def read_table(data: bytes, filename: str, max_bytes: int) -> Table:
    """Never raises for bad input: a file that cannot be read comes back with `problems`."""
    if len(data) > max_bytes:
        return Table(
            [],
            problems=[
                f"the file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB "
                "limit; split it or ask the secretariat to raise SPS_UPLOAD_MAX_MB"
            ],
        )
    if not data:
        return Table([], problems=[N_("the file is empty")])
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    return _read_text(data)
