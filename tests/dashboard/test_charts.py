"""Every kind of chart dashboards/charts.py builds is a valid Vega-Lite spec. The pages skip Altair's schema
validation on every run (dashboards.common.altair_chart, 20-30 ms a chart at 10x), so it is done here, on the
data of a real refresh shaped as the pages shape it."""

from __future__ import annotations

import pytest
from altair.utils.schemapi import debug_mode

pytestmark = pytest.mark.integration


@pytest.fixture
def published(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))
    from dashboards import queries

    return queries.current_published()


def valid(chart) -> dict:
    with debug_mode(True):
        return chart.to_dict(validate=True)


def test_ranked_bars_with_and_without_a_highlighted_city_are_valid(published):
    from dashboards import charts, queries

    frame = queries.city_values(published, "feel_safe_city", "2015")
    frame["city"] = frame["city"].fillna(frame["geo_code"])  # as views/compare.py does
    assert len(frame) > 50
    spec = valid(charts.ranked_bars(frame, "city", frame["unit"].iloc[0]))
    assert len(spec["layer"]) == 2  # bars and 95 % whiskers
    frame["comparison"] = ["selected city"] + ["not statistically different"] * (len(frame) - 1)
    assert valid(charts.ranked_bars(frame, "city", "%"))["layer"][0]["encoding"]["color"]["field"] == "comparison"
    period = queries.periods_for(published, "homicide_rate")[0]
    regions = queries.region_values(published, "homicide_rate", period, "country")
    assert len(regions) > 10
    valid(charts.ranked_bars(regions, "region", regions["unit"].iloc[0]))


def test_time_series_with_national_references_is_valid(published, published_db):
    from dashboards import charts, queries

    code, city = published_db.execute(
        "select indicator_code, geo_code from city_reference_values order by 1, 2 limit 1"
    ).fetchall()[0]
    series = queries.city_series(published, code, (city, "LV001C"))
    refs = queries.reference_series(published, code, (city, "LV001C"))
    refs = refs.assign(period_year=refs["period"].str[:4].astype(int))  # as views/compare.py does
    assert len(series) and len(refs)
    spec = valid(charts.city_time_series(series, series["unit"].iloc[0], refs))
    assert len(spec["layer"]) == 2  # the city lines and the reference ticks


def test_overview_maps_of_cities_and_of_nuts3_regions_are_valid(published):
    from dashboards import charts, queries

    countries = charts.geo_features(charts.parse_outlines(queries.nuts_outlines(published, 0)))
    cities = queries.map_city_values(published, "feel_safe_city", "2015")
    points = cities[cities["lat"].notna()]
    assert len(countries) > 30 and len(points) > 50
    assert len(valid(charts.overview_map(countries, points, [], "%"))["layer"]) == 2
    period = queries.map_periods(published, "homicide_rate")[0]
    regions = queries.map_nuts3_values(published, "homicide_rate", period)
    features = charts.geo_features(
        charts.parse_outlines(queries.nuts_outlines(published, 3)), regions, ("name", "country", "value", "flags")
    )
    assert len(features) > 100
    spec = valid(charts.overview_map(countries, points.iloc[0:0], features, regions["unit"].iloc[0]))
    assert spec["layer"][1]["encoding"]["color"]["scale"]["type"] == "threshold"  # quantile classes
