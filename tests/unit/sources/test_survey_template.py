"""The SPS survey template: every problem of every file at once, with file, line, column and what to do."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.errors import SourceFileError
from pipelines.sources.survey_template import load_survey_results, read_survey_folder, validate_survey_results

HEADER = (
    "indicator_code,geo_code,period,sex,age_group,breakdown,estimate,ci_low,ci_high,sample_size,"
    "design_effect,survey_name,producer"
)
GOOD = "feel_safe_after_dark,LV001C,2019/20,,,,61.5,58.2,64.8,,,Synthetic,Test"


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        yield connection


def problems_for(conn, folder):
    problems = read_survey_folder(conn, folder, "rows")
    return problems + validate_survey_results(conn, "rows")


def test_a_valid_file_has_no_problems(conn, tmp_path):
    (tmp_path / "ok.csv").write_text(f"{HEADER}\n{GOOD}\n")
    assert problems_for(conn, tmp_path) == []


def test_every_problem_is_reported_at_once_with_line_and_column(conn, tmp_path):
    rows = [
        GOOD,
        "no_such_indicator,LV001C,2019,,,,10,,,,,Synthetic,Test",  # line 3: unknown indicator
        "feel_safe_after_dark,riga,19,other,,,140,,,,,Synthetic,Test",  # line 4: geo, period, sex, > 100
        'feel_safe_after_dark,LV001C,2018,,,,"12,5",,,,,Synthetic,Test',  # line 5: decimal comma
        "feel_safe_after_dark,LV001C,2017,,,,50,55,60,0,0.5,Synthetic,Test",  # line 6: CI, n, deff
        "feel_safe_after_dark,LV001C,2016,,,,50,45,,,,,Test",  # line 7: one bound, no survey name
        GOOD,  # line 8: duplicate of line 2
    ]
    (tmp_path / "mixed.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    found = {(p.line, p.column) for p in problems_for(conn, tmp_path)}
    assert found == {
        (3, "indicator_code"),
        (4, "geo_code"),
        (4, "period"),
        (4, "sex"),
        (4, "estimate"),
        (5, "estimate"),
        (6, "ci_low"),
        (6, "sample_size"),
        (6, "design_effect"),
        (7, "ci_low"),
        (7, "survey_name"),
        (2, None),
    }
    messages = [str(p) for p in problems_for(conn, tmp_path)]
    assert any("mixed.csv, line 5, column estimate: estimate ('12,5') is not a number" in m for m in messages)


def test_a_file_with_the_wrong_columns_is_named_and_the_others_still_checked(conn, tmp_path):
    (tmp_path / "a_wrong.csv").write_text("Year,Value\n2019,12\n")
    (tmp_path / "b_ok.csv").write_text(f"{HEADER}\n{GOOD}\n")
    problems = problems_for(conn, tmp_path)
    assert len(problems) == 1 and problems[0].file == "a_wrong.csv" and "missing required column" in problems[0].message
    assert conn.execute("select count(*) from rows").fetchall()[0][0] == 1


def test_loading_is_all_or_nothing(conn, tmp_path):
    (tmp_path / "ok.csv").write_text(f"{HEADER}\n{GOOD}\n")
    (tmp_path / "bad.csv").write_text(f"{HEADER}\nfeel_safe_after_dark,LV001C,2019,,,,abc,,,,,Synthetic,Test\n")
    with pytest.raises(SourceFileError, match="1 problem.*bad.csv, line 2, column estimate"):
        load_survey_results(conn, tmp_path, "loaded", "'survey_results' as source_file")
    assert (
        conn.execute("select count(*) from information_schema.tables where table_name = 'loaded'").fetchall()[0][0] == 0
    )
