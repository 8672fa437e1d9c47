"""The overview map page, rendered with AppTest from the published version of a real refresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.versions import derived_copy, editable

PAGE = str(Path(__file__).resolve().parents[2] / "dashboards" / "views" / "overview_map.py")
LISTED = ["city", "geo_code", "country", "value"]
TOTALS = "o.sex is null and o.age_group is null and o.breakdown is null"
pytestmark = pytest.mark.integration


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def run(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def selected(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label).value


def map_spec(at: AppTest) -> dict:
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def layers(spec: dict) -> list[tuple[str, list | None]]:
    """(mark type, inline features or None) per layer; features travel as one JSON text (charts.inline_features)."""
    out = []
    for layer in spec["layer"]:
        mark = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        values = layer.get("data", {}).get("values")
        out.append((mark, json.loads(values) if isinstance(values, str) else values))
    return out


def frame_with(at: AppTest, columns: list[str]):
    return next(d.value for d in at.dataframe if list(d.value.columns) == columns)


def shown_table(at: AppTest):
    return next(d.value for d in at.dataframe if "shown_as" in d.value.columns)


def test_city_points_on_an_offline_base_map_with_unit_source_and_period(app_env):
    at = run()
    assert not at.exception
    assert at.title[0].value == "Overview map"
    code, period = selected(at, "Indicator"), selected(at, "Period")
    assert (code, period) == ("feel_safe_night_neighbourhood", "2019")
    spec = map_spec(at)
    marks = layers(spec)
    assert marks[0][0] == "geoshape" and len(marks[0][1]) == 37  # NUTS 0 outlines: the base map, no tiles
    assert marks[-1][0] == "point"
    assert spec["projection"]["type"] == "azimuthalEqualArea"
    assert "% of respondents" in json.dumps(spec["layer"][-1]["encoding"]["color"]["legend"]["title"])
    shown = shown_table(at)
    assert (shown["shown_as"] == "map point").sum() > 80
    assert set(shown["geo_level"]) == {"city"} and set(shown["period"]) == {"2019"}
    caption = " ".join(c.value for c in at.caption)
    assert "Unit: % of respondents" in caption and "urb_percep" in caption and "2019" in caption
    assert "Caveats:" in caption and "© EuroGeographics" in caption
    assert [b.label for b in at.get("download_button")][:1] == ["Download CSV"]


def test_every_city_of_the_2019_wave_is_on_the_map_those_without_a_point_of_their_own_approximately(
    app_env, published_db
):
    at = run()
    code, period = selected(at, "Indicator"), selected(at, "Period")
    published = dict(
        published_db.execute(
            f"""select o.geo_code, g.location_source from fct_observations o join dim_geographies g using (geo_code)
                where o.geo_level = 'city' and o.indicator_code = ? and o.period = ? and {TOTALS}""",
            [code, period],
        ).fetchall()
    )
    shown = shown_table(at)
    on_map = shown[shown["shown_as"] == "map point"]
    assert set(on_map["geo_code"]) == set(published) and len(published) == 100  # was 91 before issue 22
    assert not any(list(d.value.columns) == LISTED for d in at.dataframe)  # nobody left beside the map
    assert "Every city with a value has a map location." in [c.value for c in at.caption]
    approximate = on_map[on_map["location"].str.startswith("approximate")]
    assert set(approximate["geo_code"]) == {g for g, source in published.items() if source != "urban_audit_point"}
    assert {"LV001C", "UK001C", "TR012C"} <= set(approximate["geo_code"])  # Riga, London, Istanbul
    riga = on_map.set_index("geo_code").loc["LV001C"]
    assert riga["location"] == "approximate: label point of its NUTS 3 region LV006"
    assert (riga["lat"], riga["lon"]) == tuple(
        published_db.execute("select lat, lon from dim_geographies where geo_code = 'LV006'").fetchall()[0]
    )
    london = on_map.set_index("geo_code").loc["UK001C"]
    assert london["location"] == "approximate: label point of its NUTS 1 region UKI"
    # Marked approximate by shape (a diamond), in the shape legend and in the tooltip, not by colour.
    points = map_spec(at)["layer"][-1]
    shape = points["encoding"]["shape"]
    assert shape["scale"] == {
        "domain": ["own point", "approximate: centre of its region"],
        "range": ["circle", "diamond"],
    }
    assert shape["legend"]["title"] == "City location"
    assert {"field": "location", "title": "location", "type": "nominal"} in points["encoding"]["tooltip"]
    caption = " ".join(c.value for c in at.caption)
    assert f"{len(approximate)} at an approximate location, drawn as diamonds" in caption


def test_only_cities_with_no_point_and_no_known_region_are_listed_beside_the_map(app_env, published_db):
    at = run(indicator="feel_safe_city", period="2015")
    assert not at.exception
    listed = frame_with(at, LISTED)
    expected = published_db.execute(
        f"""select g.geo_code, o.value from dim_geographies g join fct_observations o using (geo_code)
           where g.geo_level = 'city' and g.lat is null and o.indicator_code = 'feel_safe_city'
             and o.period = '2015' and {TOTALS}""",
    ).fetchall()
    assert sorted(zip(listed["geo_code"], listed["value"], strict=True)) == sorted(expected)
    assert {g for g, _ in expected} == {f"LV00{i}C" for i in range(2, 10)}  # the Latvian codes with no name
    shown = shown_table(at)
    assert set(shown.loc[shown["shown_as"] == "listed: no map location", "geo_code"]) == {g for g, _ in expected}
    assert shown.loc[shown["shown_as"] == "map point", "lat"].notna().all()
    assert (shown["shown_as"] == "map point").sum() == 102 - 8


def test_police_recorded_indicator_shows_the_nuts3_choropleth(app_env, published_db):
    at = run()
    next(s for s in at.selectbox if s.label == "Indicator").set_value("homicide_rate").run()
    assert not at.exception
    period = selected(at, "Period")
    marks = layers(map_spec(at))
    assert [m for m, _ in marks] == ["geoshape", "geoshape"]  # base + NUTS 3 areas; no city values for homicide
    regions = marks[1][1]
    legend = json.dumps(map_spec(at)["layer"][1]["encoding"]["color"]["legend"]["title"])
    assert "NUTS 3 regions" in legend and "offences per 100 000 inhabitants" in legend
    with_outline = {
        r[0]
        for r in published_db.execute(
            """select o.geo_code from fct_observations o join dim_geometries d using (geo_code)
               where o.indicator_code = 'homicide_rate' and o.period = ? and o.geo_level = 'nuts3'
                 and o.source_dataset = 'crim_gen_reg' and o.sex is null and o.age_group is null
                 and o.breakdown is null and d.nuts_level = 3""",
            [period],
        ).fetchall()
    }
    drawn = {f["properties"]["geo_code"] for f in regions}
    assert len(drawn) > 900 and drawn <= with_outline
    shown = shown_table(at)
    assert set(shown.loc[shown["shown_as"] == "map area (NUTS 3)", "geo_code"]) == drawn
    assert len(shown) == len(set(shown["geo_code"]))
    caption = " ".join(c.value for c in at.caption)
    assert "crim_gen_reg" in caption and "Unit: offences per 100 000 inhabitants" in caption


def test_choices_come_from_the_url_and_a_country_narrows_every_layer(app_env):
    at = run(indicator="theft_rate", period="2019", country="DE")
    assert not at.exception
    assert (selected(at, "Indicator"), selected(at, "Period"), selected(at, "Country")) == ("theft_rate", "2019", "DE")
    regions = layers(map_spec(at))[1][1]
    assert regions and {f["properties"]["country"] for f in regions} == {"DE"}
    assert set(shown_table(at)["country"]) == {"DE"}


def test_an_unknown_indicator_in_the_url_falls_back_with_a_note(app_env):
    at = run(indicator="no_such_indicator")
    assert not at.exception
    assert selected(at, "Indicator") == "feel_safe_night_neighbourhood"
    assert any("no_such_indicator" in w.value for w in at.warning)


def test_a_version_published_before_locations_still_maps_its_own_points(refreshed_data_dir, tmp_path):
    """After a rollback to a version without dim_geographies.location_source, the map and the quality page still
    read it: cities with an Urban Audit point are drawn, the others listed, as before issue 22."""

    from dashboards import charts, queries

    current = queries.Published("old", str(tmp_path / "old.duckdb"))
    name = (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    with derived_copy(refreshed_data_dir / "published" / name, Path(current.path)) as conn:
        editable(conn, "dim_geographies")
        conn.execute("alter table dim_geographies drop column location_source")
        conn.execute("alter table dim_geographies drop column is_location_approximate")
        conn.execute("update dim_geographies set lat = null, lon = null where not has_geometry")
    cities = charts.city_locations(queries.map_city_values(current, "feel_safe_night_neighbourhood", "2019"))
    assert len(cities) == 100
    own = cities[cities["has_geometry"]]
    assert (own["location"] == "Urban Audit 2021 city point").all() and len(own) == 91
    assert set(cities.loc[~cities["has_geometry"], "location"]) == {"no map location"}
    without = queries.geographies_without_geometry(current)
    assert len(without) > 0 and without["map_location"].isna().all()
