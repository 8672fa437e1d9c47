"""Spreadsheet-safe cells: text that starts with = + - @ (or a tab or carriage return) would run as a formula
when a CSV or XLSX file is opened in a spreadsheet, so it gets a leading quote. Plain negative numbers are
left alone. Used by the inbox (normalised rows, problem reports), the exports and the dashboard's downloads."""

from __future__ import annotations

FORMULA_START = r"^[=+\-@\t\r]"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def neutralise_cell(value):
    """`value` with a leading quote if it is text that would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r" and not _is_number(value):
        return "'" + value
    return value


def neutralise_row(row: dict) -> dict:
    return {key: neutralise_cell(value) for key, value in row.items()}


def neutralised_column(name: str, alias: str | None = None) -> str:
    """The same rule in DuckDB SQL, for a text column of an export query."""
    return (
        f"case when regexp_matches({name}, '{FORMULA_START}') and try_cast({name} as double) is null "
        f"then concat(chr(39), {name}) else {name} end as {alias or name}"
    )
