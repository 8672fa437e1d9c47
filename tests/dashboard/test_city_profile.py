"""The city profile page (scorecard) on the published version of a real refresh: the numbers on screen are the
published marts, the city lives in the URL, a bad code falls back with a message, context is labelled as such."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.labels import peer_group_label
from pipelines.settings import SEEDS_DIR
from pipelines.versions.connection import connect_version
from tests.conftest import mirror_snapshot, refreshed_copy, run_sps, sps_env

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
# The page file, wherever the app keeps its pages (pages/ or views/).
PAGE = str(next((p for p in DASHBOARDS.glob("*/city_profile.py")), DASHBOARDS / "pages" / "city_profile.py"))
SURVEY_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "survey_template" / "synthetic_results.csv"
TOTALS = "sex is null and age_group is null and breakdown is null"
pytestmark = pytest.mark.integration


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def run_page(city: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if city is not None:
        at.query_params["city"] = city
    return at.run()


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_riga_is_the_default_and_its_scorecard_equals_the_published_marts(app_env, published_db):
    at = run_page()
    assert not at.exception
    assert at.header[0].value == "Riga (LV001C)"
    assert at.query_params["city"] == "LV001C"  # written back, so the view can be shared

    assert published_db.execute(
        "select period, value from city_latest_values "
        "where geo_code = 'LV001C' and indicator_code = 'feel_safe_night_neighbourhood'"
    ).fetchall() == [("2019", 72.3)]
    metric = next(m for m in at.metric if m.label.startswith("Feel safe walking alone at night in the neighbourhood"))
    assert metric.value == "72.3" and "2019" in metric.label and "% of respondents" in metric.label

    rank, best, worst, size = published_db.execute(
        "select rank, rank_best, rank_worst, cities_in_group from city_rank_intervals where geo_code = 'LV001C' "
        "and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' and peer_group = 'all'"
    ).fetchone()
    expected = f"{rank} of {size}, could be {best}–{worst}"
    assert expected == "85 of 100, could be 67–89"
    assert any(f"All cities: {expected}" in md.value for md in at.markdown)

    scorecard = frame_with(at, "rank: All cities")
    latest = published_db.execute(
        "select indicator_code, value from city_latest_values where geo_code = 'LV001C' order by indicator_code"
    ).fetchall()
    assert sorted(zip(scorecard["indicator_code"], scorecard["value"], strict=True)) == latest
    row = scorecard.set_index("indicator_code").loc["feel_safe_night_neighbourhood"]
    assert row["period"] == "2019" and row["rank: All cities"] == expected
    ci_low, ci_high, method, approximate = published_db.execute(
        "select ci_low, ci_high, uncertainty_method, is_ci_approximate from fct_observations where geo_code = 'LV001C' "
        f"and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' and {TOTALS}"
    ).fetchone()
    assert (row["ci_low"], row["ci_high"], row["uncertainty_method"], row["is_ci_approximate"]) == (
        ci_low,
        ci_high,
        method,
        approximate,
    )
    assert "approximate interval" in row["quality"]
    peer_labels = {
        peer_group_label(group, label)  # for people: 'Same country (Latvia)', not '(LV)'
        for group, label in published_db.execute(
            "select peer_group, peer_group_label from city_peer_groups where geo_code = 'LV001C'"
        ).fetchall()
    }
    assert "Same country (Latvia)" in peer_labels
    assert {f"rank: {label}" for label in peer_labels} <= set(scorecard.columns)
    # Riga is the only Latvian city of the 2019 wave: no rank, and the page says why
    assert row["rank: Same country (Latvia)"] == "not ranked: the only city of the group with a value in 2019"
    # In 2015 eight other Latvian cities were surveyed, but their names are not in the snapshot: Riga is not
    # ranked against places no one can name (it read "5 of 9" before)
    unnamed = published_db.execute(
        "select count(*) from fct_observations o join dim_geographies g using (geo_code) where not g.is_named "
        f"and g.country_code = 'LV' and o.indicator_code = 'feel_safe_city' and o.period = '2015' and {TOTALS}"
    ).fetchone()[0]
    assert unnamed == 8
    city_2015 = scorecard.set_index("indicator_code").loc["feel_safe_city"]
    assert city_2015["period"] == "2015"
    assert city_2015["rank: Same country (Latvia)"] == "not ranked: the only city of the group with a value in 2015"

    # trend: previous period of the same series and the change
    previous = scorecard.set_index("indicator_code").loc["feel_safe_neighbourhood"]
    assert (previous["previous_period"], previous["previous_value"]) == ("2012", 70.0)
    assert previous["change"] == pytest.approx(8.0)


def test_riga_context_is_labelled_and_shows_the_national_police_recorded_homicide_rate(app_env, published_db):
    at = run_page()
    assert any(s.value.startswith("Context: region and country") for s in at.subheader)
    period, value = published_db.execute(
        "select period, value from fct_observations where geo_code = 'LV' and source_dataset = 'crim_off_cat' "
        f"and indicator_code = 'homicide_rate' and {TOTALS} order by period_year desc limit 1"
    ).fetchone()
    context = frame_with(at, "area_code")
    national = context[(context["area_code"] == "LV") & (context["indicator_code"] == "homicide_rate")]
    assert national[["period", "value", "source_dataset"]].values.tolist() == [[period, value, "crim_off_cat"]]
    assert national["context"].iloc[0] == "national (country)"
    assert any("not comparable across countries" in c.value for c in at.caption)

    region = context[context["context"].str.startswith("region")]
    assert set(region["source_dataset"]) == {"crim_gen_reg"} and region["area_code"].nunique() == 1
    nuts3 = published_db.execute("select nuts3_code from dim_geographies where geo_code = 'LV001C'").fetchone()[0]
    if nuts3 is None:  # the register has no NUTS 3 region for Riga: the parent region is shown and labelled
        assert any("no NUTS 3 region for Riga" in md.value for md in at.markdown)
    else:
        assert region["area_code"].iloc[0] == nuts3


def test_coverage_gaps_and_sources_of_riga(app_env, published_db):
    at = run_page()
    gaps = frame_with(at, "why_no_value")
    expected = {
        code
        for (code,) in published_db.execute(
            "select indicator_code from city_indicator_coverage where geo_code = 'LV001C' and periods_with_value = 0"
        ).fetchall()
    }
    assert set(gaps["indicator_code"]) == expected and "homicide_rate" in expected
    homicide = gaps.set_index("indicator_code").loc["homicide_rate", "why_no_value"]
    assert "regions and countries, not cities" in homicide
    lineage = frame_with(at, "lineage_id")
    assert {"urb_percep", "crim_gen_reg", "crim_off_cat"} <= set(lineage["source_dataset"])
    assert "No survey results for Riga" in " ".join(i.value for i in at.info)
    assert any("has not reported values of its own" in c.value for c in at.caption)


def test_city_in_the_url_is_shown_with_national_survey_context(app_env, published_db):
    at = run_page("UK001C")
    assert not at.exception
    assert at.header[0].value == "London (UK001C)" and not at.warning
    assert at.query_params["city"] == "UK001C"
    scorecard = frame_with(at, "rank: All cities")
    (count,) = published_db.execute("select count(*) from city_latest_values where geo_code = 'UK001C'").fetchone()
    assert len(scorecard) == count
    survey_context = frame_with(at, "reference_value")
    assert set(survey_context["reference_geo_code"]) == {"UKC-L", "UKI"}
    police = frame_with(at, "area_code")
    assert set(police["area_code"]) == {"UKC-L"}  # Eurostat reports England and Wales, not the UK


def test_a_bad_city_code_falls_back_to_riga_with_a_message(app_env):
    at = run_page("NOPE99")
    assert not at.exception
    assert "'NOPE99' is not a city code" in at.warning[0].value and "Riga (LV001C)" in at.warning[0].value
    assert at.header[0].value == "Riga (LV001C)"
    assert at.query_params["city"] == "LV001C"


def test_picking_a_city_updates_the_url(app_env):
    at = run_page()
    at.selectbox(key="city_profile_city").set_value("FR001C").run()
    assert not at.exception
    assert at.header[0].value == "Paris (FR001C)"
    assert at.query_params["city"] == "FR001C"
    # France has no crim_gen_reg values: the empty state says so
    assert any("crim_gen_reg has no values" in i.value for i in at.info)


def test_a_city_without_values_says_why(app_env):
    at = run_page("NL017C")
    assert not at.exception
    assert any("No indicator of the catalogue has a value" in i.value for i in at.info)
    with open(SEEDS_DIR / "indicators.csv", encoding="utf-8", newline="") as fh:
        catalogue = sum(1 for _ in csv.DictReader(fh))
    assert len(frame_with(at, "why_no_value")) == catalogue  # every catalogue indicator says why


@pytest.fixture(scope="module")
def survey_data_dir(tmp_path_factory, snapshot_dir, refreshed_data_dir) -> Path:
    """The refreshed real snapshot, refreshed again with the synthetic SPS-template survey results (Riga, 2023)
    added to the snapshot."""
    root = tmp_path_factory.mktemp("city_profile_survey")
    snap, data = root / "snapshot", refreshed_copy(refreshed_data_dir, root / "data")
    mirror_snapshot(snapshot_dir, snap)
    (snap / "survey_results").mkdir()
    shutil.copy(SURVEY_FIXTURE, snap / "survey_results" / SURVEY_FIXTURE.name)
    result = run_sps(["refresh"], sps_env(data, snap))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return data


def test_survey_results_and_submissions_of_riga(survey_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(survey_data_dir))
    at = run_page()
    assert not at.exception
    submissions = frame_with(at, "age_group")
    submissions = submissions[submissions["source_dataset"] == "survey_results"]
    name = (survey_data_dir / "published" / "CURRENT").read_text().strip()
    with connect_version(str(survey_data_dir / "published" / name)) as db:
        expected = db.execute(
            "select submission_id, indicator_code, value from fct_observations "
            "where geo_code = 'LV001C' and source_dataset = 'survey_results' order by all"
        ).fetchall()
    assert len(expected) == 3
    assert sorted(submissions[["submission_id", "indicator_code", "value"]].itertuples(index=False, name=None)) == [
        tuple(r) for r in expected
    ]
    assert set(submissions["submission_id"]) == {f"survey_results/{SURVEY_FIXTURE.name}"}
    harassment = submissions[submissions["indicator_code"] == "harassment_prevalence"].iloc[0]
    assert "no uncertainty available" in harassment["quality"]

    scorecard = frame_with(at, "rank: All cities").set_index("indicator_code")
    after_dark = scorecard.loc["feel_safe_after_dark"]
    assert (after_dark["period"], after_dark["value"], after_dark["uncertainty_method"]) == ("2023", 61.5, "published")
    assert after_dark["submission_id"] == f"survey_results/{SURVEY_FIXTURE.name}"
    # harassment has only a breakdown value: not a total in the scorecard, and the page says where it is
    assert "harassment_prevalence" not in scorecard.index
    assert any("Victims of harassment" in c.value for c in at.caption)
