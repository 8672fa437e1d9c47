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
    frame = at.dataframe[-1].value
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


def test_highlighting_riga_shades_the_cities_not_different_from_it(app_env, published_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    highlight = next(s for s in at.selectbox if s.label.startswith("Highlight a city"))
    highlight.set_value("LV001C").run()
    assert not at.exception
    frame = at.dataframe[-1].value
    counts = frame["comparison"].value_counts().to_dict()
    expected = published_db.execute(
        "select indistinguishable_count, rank_best, rank_worst from city_rank_intervals where geo_code = 'LV001C' "
        "and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' and peer_group = 'all'"
    ).fetchall()[0]
    assert counts["selected city"] == 1 and counts["not statistically different"] == expected[0]
    info = " ".join(i.value for i in at.info)
    assert f"from {expected[1]} to {expected[2]}" in info
    riga = frame[frame["geo_code"] == "LV001C"].iloc[0]
    assert riga["ci_low"] < riga["value"] < riga["ci_high"] and riga["sample_size"] == 700


def test_london_shows_csew_as_national_context(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any(s.value == "National and regional survey context" for s in at.subheader)
    context = at.dataframe[0].value
    assert set(context["geo_code"]) == {"UK001C", "UK009C"}
    assert set(context["reference_period"]) == {"2019/20"}


def test_methodology_page_shows_the_survey_registry(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/methodology.py").run()
    assert not at.exception
    registry = at.dataframe[-1].value
    assert {"urb_percep", "csew"} <= set(registry["survey_id"])
    assert registry.loc[registry["wave"] == "2019", "sample_size"].tolist() == [700, 700]
