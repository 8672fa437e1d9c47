"""The upload page: every problem at once (summarised by rule, a long report page by page), a clean file
submitted to the inbox, a wrong-city token refused, an Open SDG file mapped with the form. Files are small
SYNTHETIC examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.uploads.tokens import issue_upload_token
from tests.fixtures.private import opened
from tests.fixtures.upload_files import TEMPLATE_HEADER, many_problems_csv

PAGE = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "upload.py")
HEADER = TEMPLATE_HEADER


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
    summary = at.dataframe[0].value
    assert dict(zip(summary["rule"], summary["problems"], strict=True)) == {
        "wrong_city": 1,
        "not_a_number": 1,
        "unknown_indicator": 1,
    }
    report = at.dataframe[1].value
    assert set(zip(report["line"], report["rule"], strict=True)) == {
        (2, "wrong_city"),
        (2, "not_a_number"),
        (3, "unknown_indicator"),
    }
    assert "3 error(s)" in at.error[0].value
    assert not at.selectbox and not at.pagination and not at.caption  # a short report: no pager
    assert [b for b in at.download_button if b.label == "Download the whole report (CSV)"]
    assert not [b for b in at.button if b.label == "Submit"]
    assert not (data / "inbox").exists()


def test_a_long_report_is_summarised_by_rule_and_listed_page_by_page(page, monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager

    downloads = []  # the report's bytes are built only when the button is clicked: keep the callable to call it
    add_deferred = MediaFileManager.add_deferred

    def keep(self, data_callable, *args, **kwargs):
        downloads.append(data_callable)
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    import pipelines.uploads.api as uploads_api

    checks = []  # the file is checked once, not again on every change of page or rule
    check_file = uploads_api.check_file
    monkeypatch.setattr(uploads_api, "check_file", lambda *args: checks.append(1) or check_file(*args))
    at, data = page
    at.file_uploader[0].set_value(("many.csv", many_problems_csv(1200).encode(), "text/csv")).run()
    assert not at.exception
    assert "1200 error(s) and 0 warning(s)" in at.error[0].value
    summary = at.dataframe[0].value
    assert list(summary["rule"]) == ["not_a_number", "unknown_indicator"]  # most problems first
    assert list(summary["problems"]) == [800, 400] and list(summary["rows affected"]) == [800, 400]
    assert list(summary["first line"]) == [3, 2]
    assert summary["what to do"][0].startswith("'value' must be a plain number")

    def shown():
        return at.dataframe[1].value, at.caption[0].value

    rows, caption = shown()
    assert len(rows) == 500 and list(rows["line"][:3]) == [2, 3, 4]
    assert caption.startswith("Problems 1–500 of 1 200")
    at.pagination[0].set_value(3).run()
    rows, caption = shown()
    assert len(rows) == 200 and rows["line"].iloc[-1] == 1201
    assert caption.startswith("Problems 1 001–1 200 of 1 200")

    at.selectbox[0].set_value("unknown_indicator").run()
    rows, caption = shown()
    assert set(rows["rule"]) == {"unknown_indicator"} and len(rows) == 400
    assert caption.startswith("Problems 1–400 of 400 of the rule unknown_indicator")
    assert not at.pagination  # one page only
    at.selectbox[0].set_value("not_a_number").run()
    assert at.pagination[0].num_pages == 2 and at.pagination[0].value == 1
    assert shown()[1].startswith("Problems 1–500 of 800")

    button = next(b for b in at.download_button if b.label == "Download the whole report (CSV)")
    assert button.proto.deferred_file_id and downloads
    # the last deferred download of the indicator-values tab (the survey tab's questionnaire is deferred too)
    report = next(r for r in (d() for d in reversed(downloads)) if isinstance(r, str))
    assert report.count("\n") == 1201 and report.startswith("severity,row,column,value,rule,message\n")
    assert len(checks) == 1
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
    text = opened(rows).decode("utf-8")
    assert "local:ES003C:neighbourhood_safety_rating" in text and ",male," in text and ",female," in text
