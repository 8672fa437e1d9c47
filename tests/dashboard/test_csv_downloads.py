"""The CSV download of a table is remembered by the table's content (dashboards/common.csv_bytes): the same table
gives the same bytes without writing them again, and any table that differs anywhere, even in one cell of a table
of 200 000 rows (where st.cache_data would have hashed a sample), gets its own bytes. SYNTHETIC frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboards import common


def _written(frame: pd.DataFrame) -> bytes:
    return common._spreadsheet_safe(frame).to_csv(index=False).encode("utf-8")


def _frame(rows: int) -> pd.DataFrame:
    numbers = np.arange(rows)
    return pd.DataFrame(
        {
            "geo_code": pd.array([f"XX{n:06d}C" for n in numbers], dtype="string[pyarrow]"),
            "value": numbers / 7,
            "note": pd.array(["=HYPERLINK(1)" if n % 1000 == 0 else None for n in numbers], dtype="string[pyarrow]"),
        }
    )


def test_the_same_table_gives_the_same_bytes_once_written(monkeypatch):
    frame = _frame(5_000)
    first = common.csv_bytes(frame)
    assert first == _written(frame)
    assert b"'=HYPERLINK(1)" in first  # still neutralised for spreadsheets
    calls = []
    monkeypatch.setattr(common, "_spreadsheet_safe", lambda f: calls.append(1) or common.neutralise_frame(f))
    assert common.csv_bytes(frame.copy()) == first  # another frame with the same content: remembered
    assert calls == []


def test_a_table_that_differs_in_one_cell_of_200_000_rows_gets_its_own_bytes():
    frame = _frame(200_000)
    before = common.csv_bytes(frame)
    changed = frame.copy()
    changed.loc[123_457, "value"] = -1.0
    after = common.csv_bytes(changed)
    assert after != before and after == _written(changed)
    renamed = frame.rename(columns={"note": "remark"})
    assert common.csv_bytes(renamed) == _written(renamed)  # same cells, other header
    swapped = frame[["value", "geo_code", "note"]]
    assert common.csv_bytes(swapped) == _written(swapped)  # same cells, other column order


def test_cells_pandas_cannot_hash_are_written_every_time_and_memory_is_bounded(monkeypatch):
    listed = pd.DataFrame({"codes": [["a", "b"], ["c"]], "n": [1, 2]})
    assert common.csv_bytes(listed) == _written(listed)
    monkeypatch.setattr(common, "CSV_MEMO_BYTES", 200_000)
    for rows in (1_000, 2_000, 3_000, 4_000):
        common.csv_bytes(_frame(rows))
    assert sum(len(v) for v in common._csv_memo.values()) <= 200_000 or len(common._csv_memo) == 1
