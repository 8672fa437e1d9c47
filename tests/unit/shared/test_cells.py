"""Spreadsheet-safe cells (pipelines/shared/cells.py): the Python rule (inbox, dashboard downloads, XLSX and Open
SDG exports) and the SQL rule (CSV and SDMX exports) agree."""

import duckdb

from pipelines.shared.cells import neutralise_cell, neutralise_row, neutralised_column


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
