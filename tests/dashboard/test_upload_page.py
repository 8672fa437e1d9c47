"""The upload page: every problem at once in a table, a clean file submitted to the inbox, a wrong-city
token refused, an Open SDG file mapped with the form. Files are small SYNTHETIC examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.uploads.tokens import issue_upload_token

PAGE = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "upload.py")
HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    _, token = issue_upload_token(tmp_path / "data", "ES003C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input[0].set_value("ES003C")
    at.text_input[1].set_value(token)
    return at, tmp_path / "data"


def test_a_bad_file_shows_every_problem_and_cannot_be_submitted(page):
    at, data = page
    content = HEADER + "\nhomicide_rate,ES002C,2019,,,,abc,per 100000,,,,,\nno_such,ES003C,2019,,,,1,%,,,,,\n"
    at.file_uploader[0].set_value(("bad.csv", content.encode(), "text/csv")).run()
    assert not at.exception
    report = at.dataframe[0].value
    assert set(zip(report["row"], report["rule"], strict=True)) == {
        (2, "wrong_city"),
        (2, "not_a_number"),
        (3, "unknown_indicator"),
    }
    assert "3 error(s)" in at.error[0].value
    assert not [b for b in at.button if b.label == "Submit"]
    assert not (data / "inbox").exists()


def test_a_clean_file_is_submitted_to_the_inbox(page):
    at, data = page
    content = HEADER + "\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic,\n"
    at.file_uploader[0].set_value(("good.csv", content.encode(), "text/csv")).run()
    assert "no problems found" in at.success[0].value
    next(b for b in at.button if b.label == "Submit").click().run()
    assert not at.exception
    assert any("Submitted as" in s.value for s in at.success)
    assert len(list((data / "inbox").iterdir())) == 1


def test_a_token_of_another_city_is_refused(page):
    at, _ = page
    at.text_input[0].set_value("ES002C").run()
    at.file_uploader[0].set_value(("x.csv", (HEADER + "\n").encode(), "text/csv")).run()
    assert "this token is for ES003C, not ES002C" in at.error[0].value


def test_an_open_sdg_file_is_mapped_with_the_form(page):
    at, data = page
    content = "Year,Gender,Value\n2018,,6.56\n2018,Men,6.61\n2018,Women,6.5\n"
    at.file_uploader[0].set_value(("16-1-2.csv", content.encode(), "text/csv")).run()
    at.text_input[2].set_value("Neighbourhood safety rating")
    at.text_input[3].set_value("score 1-10")
    at.selectbox[1].set_value("sex")
    at.run()
    at.text_input[4].set_value("Women=female, Men=male").run()
    assert not at.exception
    assert "3 row(s), no problems found" in at.success[0].value
    next(b for b in at.button if b.label == "Submit").click().run()
    rows = next((data / "inbox").iterdir()) / "rows.csv"
    text = rows.read_text()
    assert "local:ES003C:neighbourhood_safety_rating" in text and ",male," in text and ",female," in text
