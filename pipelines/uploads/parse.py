"""Reading an uploaded file into a header and rows of TEXT: CSV (UTF-8 with or without BOM, or
Windows-1252 / Latin-1; comma, semicolon or tab; CRLF) or XLSX (read-only, row cap). Nothing is typed
or rounded here: every cell stays the string the city wrote, and casts happen in validation."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

MAX_ROWS = 1_000_000
MAX_COLUMNS = 500
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip-bomb guard


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # every row padded / cut to len(header)
    delimiter: str | None = None
    encoding: str | None = None
    problems: list[str] = field(default_factory=list)  # file-level problems: the file cannot be read


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
                    [], [], problems=["the XLSX file unpacks to more than 200 MB (zip bomb?); send the data as CSV"]
                )
            if any(name.lower().endswith(".bin") and "vba" in name.lower() for name in names):
                return Table([], [], problems=["the workbook contains macros; save it as a plain .xlsx or as CSV"])
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return Table([], [], problems=[f"the file is not a readable XLSX workbook ({type(exc).__name__})"])
    sheet = workbook.worksheets[0]
    rows: list[list[str]] = []
    for index, row in enumerate(sheet.iter_rows(values_only=True)):
        if index > MAX_ROWS:
            workbook.close()
            return Table([], [], problems=[f"the sheet has more than {MAX_ROWS} rows; split the file"])
        rows.append([_cell_text(v) for v in row[:MAX_COLUMNS]])
    workbook.close()
    return _table_from_rows(rows, delimiter=None, encoding="xlsx")


def _read_text(data: bytes) -> Table:
    if b"\x00" in data[:65536]:
        return Table([], [], problems=["the file contains NUL bytes: it is binary, not a CSV text file"])
    text, encoding = _decode(data)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(1 << 20)
    try:
        rows = []
        for index, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if index > MAX_ROWS:
                return Table([], [], problems=[f"the file has more than {MAX_ROWS} rows; split the file"])
            rows.append(row[: MAX_COLUMNS + 1])
    except csv.Error as exc:
        return Table([], [], problems=[f"the file cannot be read as CSV ({exc})"])
    return _table_from_rows(rows, delimiter=delimiter, encoding=encoding)


def _table_from_rows(rows: list[list[str]], delimiter: str | None, encoding: str | None) -> Table:
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows or not any(cell.strip() for cell in rows[0]):
        return Table(
            [], [], delimiter, encoding, problems=["the file is empty or its first line (the header) is empty"]
        )
    header = [cell.strip() for cell in rows[0]]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        return Table([], [], delimiter, encoding, problems=[f"the header has more than {MAX_COLUMNS} columns"])
    problems = []
    if any(not name for name in header):
        problems.append("the header has an empty column name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        problems.append(f"the header repeats column(s) {duplicates}")
    body = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        body.append((row + [""] * len(header))[: len(header)])
    if not body and not problems:
        problems.append("the file has a header but no data rows")
    return Table(header, body, delimiter, encoding, problems)


def read_table(data: bytes, filename: str, max_bytes: int) -> Table:
    """Never raises for bad input: a file that cannot be read comes back with `problems`."""
    if len(data) > max_bytes:
        return Table(
            [],
            [],
            problems=[
                f"the file is {len(data) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB "
                "limit; split it or ask the secretariat to raise SPS_UPLOAD_MAX_MB"
            ],
        )
    if not data:
        return Table([], [], problems=["the file is empty"])
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    return _read_text(data)
