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
    # the footer names no single source for the page (it said "Source: Eurostat" under ONS's survey too)
    assert "Each chart and table names its sources" in caption and "Source: Eurostat (CC BY 4.0)" not in caption


def test_other_pages_render(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    for page in ("views/methodology.py", "views/quality.py"):
        at.switch_page(page).run()
        assert not at.exception, page
    assert any("do not sum to 100" in s.value for s in at.header)


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


def test_a_city_highlighted_in_an_own_list_is_ranked_among_all_cities_and_compared_within_the_list(
    app_env, published_db
):
    """A list of one's own is not a peer group: the rank is among all cities and said so, and the count of cities
    not different from it is of the list drawn (it said "19 cities of the group" beside three bars)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {
            "indicator": "feel_safe_night_city",
            "period": "2019",
            "peer": "custom",
            "cities": "LV001C,ES001C,ES002C",
            "highlight": "LV001C",
        }
    )
    at.run()
    assert not at.exception
    frame = at.dataframe[-1].value
    assert sorted(frame["geo_code"]) == ["ES001C", "ES002C", "LV001C"]
    same_in_list = int((frame["comparison"] == "not statistically different").sum())
    rank, cities = published_db.execute(
        "select rank, cities_in_group from city_rank_intervals where geo_code = 'LV001C' "
        "and indicator_code = 'feel_safe_night_city' and period = '2019' and peer_group = 'all'"
    ).fetchall()[0]
    info = " ".join(i.value for i in at.info)
    assert f"ranks {rank} of {cities} among all cities with a value" in info and "peer group;" not in info
    assert f"Of the other cities in your list, {same_in_list} are not statistically different" in info


def test_london_shows_csew_as_national_context(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any(s.value == "National and regional survey context" for s in at.header)
    context = at.dataframe[0].value
    assert set(context["geo_code"]) == {"UK001C", "UK009C"}
    assert set(context["reference_period"]) == {"2019/20"}


def test_methodology_page_shows_the_survey_registry(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/methodology.py").run()
    assert not at.exception
    registry = at.dataframe[-1].value
    assert {"urb_percep", "csew"} <= set(registry["survey_id"])
    assert registry.loc[registry["wave"] == "2019", "sample_size"].tolist() == [700, 700]


def test_deep_link_restores_indicator_period_and_custom_cities(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(
        {"indicator": "feel_safe_city", "period": "2015", "peer": "custom", "cities": "LV001C,ES001C,XX999C"}
    )
    at.run()
    assert not at.exception
    frame = at.dataframe[-1].value
    assert sorted(frame["geo_code"]) == ["ES001C", "LV001C"]
    assert any("XX999C" in w.value for w in at.warning)  # unknown city: said, not a traceback


def test_bad_query_parameters_fall_back_with_a_message(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"indicator": "no_such_thing", "period": "1800"})
    at.run()
    assert not at.exception
    assert any("no_such_thing" in w.value for w in at.warning)
    assert at.selectbox[0].value == "feel_safe_night_neighbourhood"


def test_downloads_page_offers_the_bulk_files(app_env, published_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/downloads.py").run()
    assert not at.exception
    at.button[0].click().run()
    assert not at.exception


def test_quality_page_coverage_matrix_equals_the_mart(app_env, published_db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/quality.py").run()
    assert not at.exception
    matrix = next(d.value for d in at.dataframe if "feel_safe_city" in d.value.columns)
    riga = matrix[matrix["geo_code"] == "LV001C"].iloc[0]
    expected = dict(
        published_db.execute(
            "select indicator_code, periods_with_value from city_indicator_coverage where geo_code = 'LV001C'"
        ).fetchall()
    )
    assert riga["feel_safe_city"] == expected["feel_safe_city"] == 4
    assert riga["feel_safe_night_neighbourhood"] == expected["feel_safe_night_neighbourhood"] == 1
