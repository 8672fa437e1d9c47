"""Spreadsheet-safe cells: text that starts with = + - @ (or a tab or carriage return) would run as a formula
when a CSV or XLSX file is opened in a spreadsheet, so it gets a leading quote. Plain negative numbers are
left alone. Used by the inbox (normalised rows, problem reports), the exports and the dashboard's downloads."""

from __future__ import annotations

FORMULA_FIRST_CHARACTERS = "=+-@\t\r"
FORMULA_START = r"^[=+\-@\t\r]"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def neutralise_cell(value):
    """`value` with a leading quote if it is text that would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value and value[0] in FORMULA_FIRST_CHARACTERS and not _is_number(value):
        return "'" + value
    return value


def neutralise_frame(frame):
    """A copy of a pandas DataFrame with `neutralise_cell` applied to every cell of its text columns. Only the cells
    that start like a formula go through `neutralise_cell`; finding them is one pass over each column's values. (A
    per-cell `map`, which also rebuilt every text column, was the largest part of a dashboard page's run with ten
    sessions: issue 21. For the few hundred rows a page downloads, a pass over the values is faster than pyarrow's
    vectorised string tests, whose fixed cost per call is paid per column.)"""
    frame = frame.copy()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not (series.dtype == object or str(series.dtype).startswith("str")):
            continue
        values = series.tolist()
        hits = [i for i, v in enumerate(values) if isinstance(v, str) and v and v[0] in FORMULA_FIRST_CHARACTERS]
        if hits:
            frame.iloc[hits, position] = [neutralise_cell(values[i]) for i in hits]
    return frame


def neutralise_row(row: dict) -> dict:
    return {key: neutralise_cell(value) for key, value in row.items()}


def neutralised_column(name: str, alias: str | None = None) -> str:
    """The same rule in DuckDB SQL, for a text column of an export query."""
    return (
        f"case when regexp_matches({name}, '{FORMULA_START}') and try_cast({name} as double) is null "
        f"then concat(chr(39), {name}) else {name} end as {alias or name}"
    )
