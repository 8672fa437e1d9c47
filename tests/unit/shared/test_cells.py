"""Spreadsheet-safe cells (pipelines/shared/cells.py): the Python rule (inbox, dashboard downloads, XLSX and Open
SDG exports) and the SQL rule (CSV and SDMX exports) agree."""

import duckdb

from pipelines.shared.cells import neutralise_cell, neutralise_frame, neutralise_row, neutralised_column


def test_formula_cells_get_a_quote_and_negative_numbers_do_not():
    assert neutralise_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_cell("-12.5") == "-12.5" and neutralise_cell("Riga") == "Riga"
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell(None) is None
    assert neutralise_row({"note": "+1+1", "value": 2}) == {"note": "'+1+1", "value": 2}


def test_the_sql_rule_matches_the_python_rule():
    cells = ["=cmd|x", "-3", "+ok", "fine", "@x", "\tx", "-1e5", ""]
    with duckdb.connect() as conn:
        conn.execute("create table t (note varchar)")
        conn.executemany("insert into t values (?)", [[cell] for cell in cells])
        got = [r[0] for r in conn.execute(f"select {neutralised_column('note')} from t order by rowid").fetchall()]
    assert got == [neutralise_cell(cell) for cell in cells]


def test_a_frame_is_neutralised_exactly_as_cell_by_cell():
    """The dashboard's downloads (dashboards/common.py) neutralise whole frames: the same cells as neutralise_cell
    one by one, in text columns of both pandas string dtypes, object columns mixing text with numbers, lists and
    missing values, and columns of no text at all; the frame given is left as it was."""
    import pandas as pd

    cells = ["=cmd|x", "-3", "+ok", "fine", "@x", "\tx", "\rx", "-1e5", "", None, "=", "a=b"]
    frame = pd.DataFrame(
        {
            "text": pd.Series(cells, dtype="str"),
            "python_text": pd.Series(cells, dtype="string[python]"),
            "mixed": pd.Series(["=x", 1, None, [1, "=y"], "-2", "-z", 2.5, "ok", "@", "", "+1", "b"], dtype=object),
            "numbers": pd.Series(range(12), dtype=object),
            "floats": [float(i) - 5 for i in range(12)],
        }
    )
    before = frame.copy()
    got = neutralise_frame(frame)
    pd.testing.assert_frame_equal(frame, before)
    expected = frame.copy()
    for column in ("text", "python_text", "mixed", "numbers"):
        expected[column] = frame[column].map(neutralise_cell)
    for column in frame.columns:  # the same cells (a per-cell map also re-guessed an object column's dtype)
        assert got[column].tolist() == expected[column].tolist(), column
    assert got.to_csv(index=False) == expected.to_csv(index=False)  # the bytes of the CSV download
    assert got["text"].tolist()[:3] == ["'=cmd|x", "-3", "'+ok"] and got["mixed"][0] == "'=x"
    assert got["mixed"][3] == [1, "=y"]  # a list is no text: unchanged
