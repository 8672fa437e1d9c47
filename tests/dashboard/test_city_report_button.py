"""The city profile offers the city's report as a download: the same document as `sps report`."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.test_city_profile import PAGE

pytestmark = pytest.mark.integration


def report_button(at: AppTest):
    return next((b for b in at.get("download_button") if b.label.startswith("City report")), None)


def test_city_profile_offers_the_city_report(refreshed_data_dir, monkeypatch, published_db):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.query_params["city"] = "ES002C"
    at.run()
    assert not at.exception
    assert report_button(at) is not None
    version = published_db.execute("select version from _publication").fetchall()[0][0]
    from pipelines.outputs.report.build import build_city_report

    html = build_city_report(published_db, "ES002C").html
    assert f'<meta name="sps-published-version" content="{version}">' in html and "Barcelona (ES002C)" in html


def test_a_city_without_data_of_its_own_says_why_there_is_no_report(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.query_params["city"] = "UK011C"
    at.run()
    assert not at.exception
    assert report_button(at) is None
    assert any("No city report" in c.value and "no value of the city itself" in c.value for c in at.caption)
