"""dashboards/frames.py gives the same Python values as the pandas idioms it replaces (`to_dict("records")`,
`dict(zip(...))` over columns), for every column type the published versions' queries return: Arrow-backed text
with missing values, floats with NaN, nullable integers and booleans (DuckDB's `.df()` for a column with NULLs),
dates and timestamps with a time zone."""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from dashboards.frames import column, pairs, records, row_tuples


def _frame() -> pd.DataFrame:
    return duckdb.sql(
        """select 'AT' || i::varchar as geo_code,
                  case when i % 3 = 0 then null else 'city ' || i::varchar end as city,
                  case when i % 5 = 0 then null else i * 1.5 end as value,
                  i::bigint as n,
                  case when i % 7 = 0 then null else i end as nullable_n,
                  case when i % 4 = 0 then null else i % 2 = 0 end as nullable_flag,
                  date '2020-01-01' + i::int as day,
                  timestamptz '2024-01-01 10:00:00+00' + to_seconds(i) as at
           from range(500) t(i)"""
    ).df()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and (a is b or a == b)


def test_records_equal_to_dict_records_value_for_value_and_type_for_type():
    frame = _frame()
    assert isinstance(frame["nullable_n"].dtype, pd.Int64Dtype)  # the case tolist() alone gets wrong (pd.NA)
    expected, got = frame.to_dict("records"), records(frame)
    assert len(got) == len(expected) == 500
    differing = [
        (i, k, e[k], g[k])
        for i, (e, g) in enumerate(zip(expected, got, strict=True))
        for k in e
        if not _same(e[k], g[k])
    ]
    assert differing == []
    assert [list(r) for r in got[:1]] == [list(frame.columns)]
    assert records(frame.iloc[0:0]) == [] and records(frame[[]]) == [{}] * 500


def test_pairs_row_tuples_and_column_equal_zip_over_the_columns():
    frame = _frame()
    assert pairs(frame, "geo_code", "city") == dict(zip(frame["geo_code"], frame["city"], strict=True))
    expected = list(zip(frame["geo_code"], frame["value"], frame["nullable_n"], frame["day"], strict=True))
    got = list(row_tuples(frame, "geo_code", "value", "nullable_n", "day"))
    assert len(got) == len(expected) == 500
    # the same values; a nullable integer comes as a Python int where iterating the Series gives numpy.int64
    assert all(
        (a is b) or (pd.isna(a) and pd.isna(b)) or (a == b and not isinstance(b, type(pd.NA)))
        for e, g in zip(expected, got, strict=True)
        for a, b in zip(e, g, strict=True)
    )
    assert frame["geo_code"].isin(column(frame.iloc[:10], "geo_code")).sum() == 10
