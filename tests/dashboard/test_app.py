"""The dashboard renders every page from the published version of a real refresh, without exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
pytestmark = pytest.mark.integration


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def test_compare_page_shows_real_values_with_unit_and_caveat(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Compare cities"
    frame = at.dataframe[0].value
    assert len(frame) == 100  # 2019 wave: 100 cities have the night-time neighbourhood question
    assert frame["unit"].unique().tolist() == ["% of respondents"]
    caption = " ".join(c.value for c in at.caption)
    assert "unit: % of respondents" in caption and "interviews" in caption


def test_other_pages_render(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for page in ("pages/methodology.py", "pages/quality.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    assert any("do not sum to 100" in s.value for s in at.subheader)


def test_dashboard_without_published_data_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "Run `sps refresh` first" in at.error[0].value
