"""The dashboard's progress panel, Compare cities' progress mode, the reporting-cycle table, the perception versus
recorded crime page and the Methodology page's progress methods, on the published version of a real refresh: what
the pages show is what the marts say (issue 19: the city_progress mart is the only place computing a change)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import progress as shown

VIEWS = Path(__file__).resolve().parents[2] / "dashboards" / "views"
pytestmark = pytest.mark.integration


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(VIEWS / page), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_city_profile_progress_panel_and_scorecard_read_the_mart(app_env, published_db):
    at = run("city_profile.py", city="LV001C")
    panel = next(d.value for d in at.dataframe if "method" in d.value.columns and "note" in d.value.columns)
    expected = published_db.execute(
        """select indicator_code, from_period, to_period, change, change_se, assessment, method from city_progress
           where geo_code = 'LV001C' and sex is null and age_group is null and breakdown is null
           order by all"""
    ).fetchall()
    got = sorted(
        panel[["indicator_code", "from_period", "to_period", "change", "change_se", "assessment", "method"]]
        .astype(object)
        .where(panel.notna(), None)
        .itertuples(index=False, name=None)
    )
    assert got == [tuple(r) for r in expected] and len(expected) == 6
    # the table (and its download) says where both values come from: unit, source and each end's lineage
    ends = published_db.execute(
        """select p.indicator_code, p.from_period, f.lineage_id, t.lineage_id, t.source_dataset, t.unit
           from city_progress p
           join fct_observations f on f.indicator_code = p.indicator_code and f.geo_code = p.geo_code
             and f.comparability_group = p.comparability_group and f.period = p.from_period and f.sex is null
             and f.age_group is null and f.breakdown is null
           join fct_observations t on t.indicator_code = p.indicator_code and t.geo_code = p.geo_code
             and t.comparability_group = p.comparability_group and t.period = p.to_period and t.sex is null
             and t.age_group is null and t.breakdown is null
           where p.geo_code = 'LV001C' and p.sex is null and p.age_group is null and p.breakdown is null
           order by all"""
    ).fetchall()
    columns = ["indicator_code", "from_period", "from_lineage_id", "to_lineage_id", "source_dataset", "unit"]
    assert sorted(panel[columns].itertuples(index=False, name=None)) == ends and len(ends) == 6
    text = "\n".join(md.value for md in at.markdown)
    # 2009 -> 2015 in the neighbourhood: +5.6 with its interval, from the mart, linked to the method
    low, high = published_db.execute(
        "select change_ci_low, change_ci_high from city_progress where geo_code = 'LV001C' "
        "and indicator_code = 'feel_safe_neighbourhood' and from_period = '2009'"
    ).fetchone()
    assert f"2009 → 2015: ↑ +5.6 (95 % CI {low:+.1f} to {high:+.1f}) :green-badge[significant improvement]" in text
    assert "(/methodology#surveys-change-between-two-waves)" in text
    assert ":gray-badge[not assessable (no uncertainty)]" in text  # 2006: no interval, never a guess
    # the scorecard's trend is the mart's previous-wave row
    scorecard = next(d.value for d in at.dataframe if "rank: All cities" in d.value.columns).set_index("indicator_code")
    row = scorecard.loc["feel_safe_neighbourhood"]
    assert (row["previous_period"], row["change"], row["assessment"]) == ("2012", 8.0, "significant improvement")
    assert "Trend: 70.0 in 2012, change ↑ +8.0 (95 % CI" in text


def test_compare_cities_progress_mode(app_env, published_db):
    at = run("compare.py", indicator="feel_safe_neighbourhood", mode="progress")
    window = at.query_params["window"]
    first, last, method, group = window.split("~")
    assert (method, group, last) == ("survey_change_95", "urb_percep:feel_safe_neighbourhood", "2015")
    table = at.dataframe[0].value
    expected = published_db.execute(
        """select p.geo_code, p.change, p.assessment from city_progress p join dim_geographies g using (geo_code)
           where p.indicator_code = 'feel_safe_neighbourhood' and p.from_period = ? and p.method = ?
             and g.geo_level = 'city' order by p.geo_code""",
        [first, method],
    ).fetchall()
    assert sorted(zip(table["geo_code"], table["change"], table["assessment"], strict=True)) == expected
    # every row says its unit, source and the lineage of both values; a change of a percentage is in points
    assert table[["unit", "source_dataset", "from_lineage_id", "to_lineage_id"]].notna().all().all()
    assert set(table["source_dataset"]) == {"urb_percep"} and set(table["unit"]) == {"% of respondents"}
    assert all(table["to_lineage_id"].str.endswith("/2015")) and all(table["from_lineage_id"].str.endswith(f"/{first}"))
    assert any("Dots: the change (percentage points)" in c.value for c in at.caption)
    # another window from the URL, partnership cities, a highlighted city
    at = run("compare.py", indicator="feel_safe_neighbourhood", mode="progress",
             window="2009~2015~survey_change_95~urb_percep:feel_safe_neighbourhood", peer="partnership",
             highlight="LV001C")  # fmt: skip
    table = at.dataframe[0].value
    assert set(table["from_period"]) == {"2009"} and "LV001C" in set(table["geo_code"])
    assert table["is_partnership_city"].all()
    assert any(i.value.startswith("Riga: ↑ +5.6 (95 % CI") for i in at.info)
    # the list of one's own picked in the values view holds in progress mode too
    at = run("compare.py", indicator="feel_safe_neighbourhood", mode="progress", peer="custom",
             cities="LV001C,ES001C,ES002C")  # fmt: skip
    listed = set(at.dataframe[0].value["geo_code"])
    assert listed and listed <= {"LV001C", "ES001C", "ES002C"}
    # a window that does not exist falls back with a message
    at = run("compare.py", indicator="feel_safe_neighbourhood", mode="progress", window="1999~2000~x~y")
    assert any("is not a window of this indicator" in w.value for w in at.warning)


def test_data_quality_page_shows_each_partnership_city_in_the_cycle(app_env, published_db):
    at = run("quality.py")
    table = next(d.value for d in at.dataframe if "share_reported" in d.value.columns)
    cycle = at.selectbox[0].value
    expected = published_db.execute(
        "select city_code, status, share_reported from city_cycle_status where cycle = ? order by city_code", [cycle]
    ).fetchall()
    assert sorted(zip(table["city_code"], table["status"], table["share_reported"], strict=True)) == expected
    assert len(expected) == 9 and {status for _, status, _ in expected} == {"none"}  # nothing reported in the snapshot


def test_perception_versus_recorded_crime_page(app_env, published_db):
    at = run("perception_crime.py", city="LV001C", scope="ranks")
    row = published_db.execute(
        """select share_feeling_safe, police_rate, percentile_feeling_safe, percentile_police_rate, cities_everywhere
           from city_perception_vs_police where geo_code = 'LV001C' and perception_period = '2019'
             and perception_indicator_code = 'feel_safe_night_neighbourhood'
             and police_indicator_code = 'robbery_rate'"""
    ).fetchone()
    text = "\n".join(md.value for md in at.markdown)
    assert f"**Riga**: {row[0]:.1f} % feel safe (2019)" in text and f"{row[1]:,.1f} per 100 000" in text
    assert f"among all {row[4]} cities its percentiles are {row[2]:.0f}" in text
    # Riga is the only Latvian city with both values: no "ranks 1 of 1"
    assert "It is the only city of its country with both values" in text and "ranks 1 of 1" not in text
    assert "not comparable across countries" in text.replace("\n", " ") or "advises against comparing" in text
    assert len(at.dataframe[0].value) == row[4]
    # within one country: only the cities of Riga's police data (one city: a message says so)
    at = run("perception_crime.py", city="LV001C", scope="country")
    assert len(at.dataframe[0].value) == 1 and any("Only 1 city" in i.value for i in at.info)


def test_every_method_link_has_its_section_on_the_methodology_page(app_env):
    at = run("methodology.py")
    anchors = {s.proto.anchor for s in at.subheader} | {h.proto.anchor for h in at.header}
    assert shown.METHOD_PAGE.split("#")[1] in anchors
    for method in shown.METHODS:
        assert re.search(r"\(/methodology#([a-z0-9-]+)\)", shown.method_link(method))[1] in anchors, method
