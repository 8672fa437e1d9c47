"""Reading a survey file into text columns: KoboToolbox / ODK Central CSV or XLSX exports and plain CSV / XLSX (through
the city upload reader, pipelines.uploads.parse), SPSS .sav and Stata .dta (pyreadstat, with their value labels).
Nothing is interpreted here: every cell stays text, and value labels travel next to the codes; validate.py decides
what a cell means. Column names are matched to the core variables by `match_columns`."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import polars as pl

from pipelines.surveys.core import BY_NAME, EXPORT_META_COLUMNS, EXPORT_META_PREFIXES
from pipelines.surveys.labels import normalise, question_lookup
from pipelines.uploads.parse import read_table

STATISTICAL_EXTENSIONS = {"sav": "spss", "zsav": "spss", "dta": "stata"}


@dataclass
class RawSurvey:
    header: list[str]
    columns: dict[str, pl.Series] = field(default_factory=dict)  # header name -> text cells ('' when empty)
    lines: pl.Series | None = None  # the line of each record (header = 1; for .sav/.dta: record number + 1)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {code text -> label}
    format: str | None = None  # csv | xlsx | spss | stata
    delimiter: str | None = None
    problems: list[str] = field(default_factory=list)  # the file cannot be read

    @property
    def row_count(self) -> int:
        return 0 if self.lines is None else len(self.lines)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _number_text(value) -> str:
    """A statistical file's cell as text: 1.0 -> '1', NaN / None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _read_statistical(data: bytes, kind: str) -> RawSurvey:
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    try:
        frame, meta = reader(io.BytesIO(data), apply_value_formats=False, dates_as_pandas_datetime=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError (and sometimes others) for a bad file
        what = "an SPSS .sav" if kind == "spss" else "a Stata .dta"
        return RawSurvey([], problems=[f"the file cannot be read as {what} file ({exc})"])
    if not len(frame):
        return RawSurvey([], problems=["the file has no records"])
    columns = {name: pl.Series(name, [_number_text(v) for v in frame[name].tolist()], pl.Utf8) for name in frame}
    labels = {
        name: {_number_text(code): str(label) for code, label in mapping.items()}
        for name, mapping in (meta.variable_value_labels or {}).items()
    }
    lines = pl.Series("line", range(2, len(frame) + 2), pl.Int64)
    return RawSurvey(list(frame.columns), columns, lines, labels, kind)


def read_survey_file(data: bytes, filename: str, max_bytes: int) -> RawSurvey:
    """Never raises for bad input: a file that cannot be read comes back with `problems`."""
    kind = STATISTICAL_EXTENSIONS.get(_extension(filename))
    if data[:4] in (b"$FL2", b"$FL3"):
        kind = "spss"
    elif data[:11] == b"<stata_dta>":
        kind = "stata"
    if kind:
        if len(data) > max_bytes:
            return RawSurvey([], problems=[f"the file is {len(data) / 1e6:.1f} MB, over the limit"])
        return _read_statistical(data, kind)
    table = read_table(data, filename, max_bytes)
    if table.problems:
        return RawSurvey([], problems=table.problems)
    body = pl.from_arrow(table.body)
    columns = {name: body[f"c{i}"].cast(pl.Utf8).alias(name) for i, name in enumerate(table.header)}
    fmt = "xlsx" if table.encoding == "xlsx" else "csv"
    return RawSurvey(table.header, columns, body["source_row"].cast(pl.Int64), {}, fmt, table.delimiter)


@dataclass
class ColumnMatch:
    mapping: dict[str, str]  # file column -> core variable
    ignored: list[str]  # columns that are neither core variables nor export metadata
    duplicates: dict[str, list[str]]  # core variable -> the two or more file columns that claim it
    city_column: str | None  # the form's hidden city code, when present


def _candidates(name: str) -> list[str]:
    """What a header may stand for: itself, the part after a Kobo group path (grp_safety/safe_night_area) or an
    ODK Central group path (grp_safety-safe_night_area)."""
    plain = name.strip()
    out = [plain, plain.rsplit("/", 1)[-1]]
    if "-" in plain:
        out.append(plain.rsplit("-", 1)[-1])
    return [c.lower() for c in out]


def match_columns(header: list[str], renames: dict[str, str] | None = None) -> ColumnMatch:
    """`renames`: core variable -> the file's column (design.yml `columns:`)."""
    by_file = {column: core for core, column in (renames or {}).items()}
    labels = question_lookup()
    mapping, ignored, claims, city = {}, [], {}, None
    for name in header:
        core = by_file.get(name)
        if core is None:
            core = next((c for c in _candidates(name) if c in BY_NAME), None)
        if core is None:
            core = labels.get(normalise(name))
        if core is not None:
            mapping[name] = core
            claims.setdefault(core, []).append(name)
            continue
        last = _candidates(name)[1]
        if last == "city":
            city = name
        elif not (name.startswith(EXPORT_META_PREFIXES) or last in EXPORT_META_COLUMNS or last.startswith("_")):
            ignored.append(name)
    duplicates = {core: names for core, names in claims.items() if len(names) > 1}
    return ColumnMatch(mapping, ignored, duplicates, city)
