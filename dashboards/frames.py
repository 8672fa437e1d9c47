"""Rows and columns of a query result as plain Python values, fast.

pandas 3 keeps text in Arrow-backed columns (`str`, ArrowStringArray). Iterating one (`zip(frame["a"],
frame["b"])`, `frame.to_dict("records")`, `Series.isin(other_series)`) converts each cell through a pyarrow scalar:
7 442 city codes and names zipped into a dict took 8.6 ms, against 1.2 ms from `Series.tolist()`, which converts
the whole column at once. Same values as the idioms they replace (tests/dashboard/test_frames.py): missing text and
numbers stay NaN; a missing nullable integer is pd.NA from `pairs`/`row_tuples` (as iterating the Series) and None
from `records` (as `to_dict`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd


def column(frame: pd.DataFrame, name: str) -> list:
    """One column as a list of Python values."""
    return frame[name].tolist()


def pairs(frame: pd.DataFrame, key: str, value: str) -> dict:
    """{key: value} for every row (the last row wins for a repeated key, as dict(zip(...)))."""
    return dict(zip(frame[key].tolist(), frame[value].tolist(), strict=True))


def row_tuples(frame: pd.DataFrame, *names: str) -> Iterator[tuple]:
    """The rows of the named columns as tuples (zip of whole-column lists)."""
    return zip(*(frame[name].tolist() for name in names), strict=True)


def _as_records_column(series: pd.Series) -> list:
    values = series.tolist()
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and not isinstance(series.dtype, pd.StringDtype):
        return [None if v is pd.NA else v for v in values]  # as to_dict: a missing nullable integer is None
    return values


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`frame.to_dict("records")` (same values, same types), built column by column."""
    if frame.shape[1] == 0:
        return [{} for _ in range(len(frame))]
    names = list(frame.columns)
    columns = [_as_records_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
