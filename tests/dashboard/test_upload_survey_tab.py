"""The Upload page's survey tab (through surveys.api): the SYNTHETIC Toruń example is checked and estimated, then
submitted to the private store; a bad file lists its problems and cannot be submitted; a survey can be withdrawn.
The estimates shown never carry microdata."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.settings import PROJECT_ROOT
from pipelines.surveys.store import submissions_dir
from pipelines.uploads.tokens import issue_upload_token

PAGE = str(PROJECT_ROOT / "dashboards" / "views" / "upload.py")
EXAMPLE = PROJECT_ROOT / "examples" / "surveys"


def _by_key(widgets, key):
    return next(w for w in widgets if w.key == key)


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    _, token = issue_upload_token(tmp_path / "data", "PL013C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    _by_key(at.text_input, "survey_city").set_value("PL013C")
    _by_key(at.text_input, "survey_token").set_value(token)
    return at.run(), tmp_path / "data"


def _upload(at, key: str, name: str, data: bytes, mime: str = "text/csv"):
    _by_key(at.file_uploader, key).set_value((name, data, mime))


def test_the_survey_tab_checks_estimates_and_submits_the_example(page):
    at, data = page
    assert not at.exception and [t.label for t in at.tabs][:2] == ["Indicator values", "City survey (microdata)"]
    _upload(at, "survey_file", "torun_2026_kobo_export.csv", (EXAMPLE / "torun_2026_kobo_export.csv").read_bytes())
    _upload(at, "survey_design", "design.yml", (EXAMPLE / "design.yml").read_bytes(), "application/x-yaml")
    at.run()
    assert not at.exception
    assert any("812 respondents, period 2026, design weights" in s.value for s in at.success)
    totals = at.tabs[1].dataframe[-1].value  # the city totals, after the (empty) problem list
    assert "feel_safe_after_dark" in set(totals["indicator_code"]) and len(totals) == 12
    assert "resp_id" not in totals.columns
    _by_key(at.button, "survey_submit").click().run()
    assert not at.exception
    assert any("Submitted as" in s.value for s in at.success)
    [folder] = list(submissions_dir(data).iterdir())
    assert (folder / "microdata.parquet").exists()


def test_a_bad_survey_lists_its_problems_and_cannot_be_submitted(page):
    at, data = page
    _upload(at, "survey_file", "bad.csv", b"resp_id,sex,age,safe_night_area\nr1,1,12,1\nr1,2,40,7\n")
    _by_key(at.text_input, "survey_period").set_value("2026")
    at.run()
    assert not at.exception
    assert any("3 error(s)" in e.value for e in at.error)
    report = at.tabs[1].dataframe[0].value
    errors = report[report["severity"] == "error"]
    assert set(zip(errors["line"], errors["rule"], strict=True)) == {
        (2, "age_range"),
        (3, "duplicate_resp_id"),
        (3, "unknown_code"),
    }
    assert not [b for b in at.button if b.key == "survey_submit"]
    assert not submissions_dir(data).exists()


def test_a_survey_can_be_withdrawn_from_the_tab(page):
    at, data = page
    _upload(at, "survey_file", "torun.csv", (EXAMPLE / "torun_2026_kobo_export.csv").read_bytes())
    _upload(at, "survey_design", "design.yml", (EXAMPLE / "design.yml").read_bytes(), "application/x-yaml")
    at.run()
    _by_key(at.button, "survey_submit").click().run()
    at.run()  # the next view lists the survey for withdrawal
    _by_key(at.button, "survey_withdraw").click().run()
    assert not at.exception
    assert any("withdrawn: its microdata are deleted" in s.value for s in at.success)
    [folder] = list(submissions_dir(data).iterdir())
    assert not (folder / "microdata.parquet").exists() and (folder / "withdrawn.json").exists()


def test_a_wrong_token_is_refused_in_the_survey_tab(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    issue_upload_token(tmp_path / "data", "PL013C")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    _by_key(at.text_input, "survey_city").set_value("PL013C")
    _by_key(at.text_input, "survey_token").set_value("abc.def").run()
    assert any("upload token rejected" in e.value for e in at.error)
    assert Path(tmp_path / "data" / "surveys").exists() is False
