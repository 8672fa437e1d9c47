"""What a first-time analyst and city officer read (issues 22 and 24), on the real snapshot: names not codes,
police-recorded data shown the way its caveat says, captions written from what is drawn, tables that never read
'None', and a default view that survives a city's upload. City uploads here are SYNTHETIC (tests/fixtures)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import run_sps, sps_env
from tests.fixtures.city_inbox import SYNTHETIC_SOURCE, write_submission

pytestmark = pytest.mark.integration
APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
BARE_CODE = re.compile(r"^[A-Z]{2}[0-9]{3}[A-Z0-9]$")
PAGES = [
    "views/compare.py",
    "views/overview_map.py",
    "views/city_profile.py",
    "views/methodology.py",
    "views/quality.py",
    "views/upload.py",
    "views/downloads.py",
]


@pytest.fixture
def app_env(refreshed_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(refreshed_data_dir))


def compare(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def selectbox(at, label: str):
    return next(s for s in at.selectbox if s.label.startswith(label))


def table(at):
    """The Compare page's table: the last dataframe (the same rows the CSV download holds)."""
    return at.dataframe[-1].value


def test_feel_safe_city_2015_has_no_bar_named_by_a_bare_code(app_env, published_db):
    at = compare(indicator="feel_safe_city", period="2015")
    shown = table(at)
    assert len(shown) > 50 and not any(BARE_CODE.match(name) for name in shown["city"])
    unnamed = sorted(
        code
        for (code,) in published_db.execute(
            "select o.geo_code from fct_observations o join dim_geographies g using (geo_code) where not g.is_named "
            "and o.indicator_code = 'feel_safe_city' and o.period = '2015' and o.geo_level = 'city'"
        ).fetchall()
    )
    assert unnamed == [f"LV00{i}C" for i in range(2, 10)]
    assert not set(unnamed) & set(shown["geo_code"])  # left out by default, and the caption says so
    assert f"8 cities whose names are not in this snapshot are left out ({', '.join(unnamed)})" in captions(at)

    at.toggle[0].set_value(True).run()  # asked for: shown, labelled for people, with the reason in the caption
    shown = table(at)
    labels = shown.set_index("geo_code").loc[unnamed, "city"]
    assert list(labels) == [f"Latvian state city, {code} — name not in the snapshot" for code in unnamed]
    assert not any(BARE_CODE.match(name) for name in shown["city"])
    assert "LV002C–LV009C: cities whose names are not in this snapshot" in captions(at)
    assert at.query_params["unnamed"] == "1"


def test_homicide_rate_opens_on_the_regions_of_one_country_without_whiskers(app_env):
    at = compare(indicator="homicide_rate")
    view = next(r for r in at.radio if r.label == "View")
    assert view.value == "regions"
    country = selectbox(at, "Country")
    shown = table(at)
    assert set(shown["country"]) == {country.value} and len(shown) > 1
    assert set(shown["geo_code"].str.len()) == {5}  # NUTS 3 codes
    levels = next(r for r in at.radio if r.label == "Regions")
    assert levels.options[0] == "Small regions (NUTS 3)" and not any(o in ("nuts3", "nuts2") for o in levels.options)
    caption = captions(at)
    assert "whisker" not in caption.lower() and "95 %" not in caption
    assert "no sampling interval" in caption and "regions of other countries cannot" in caption
    # Riga (the default city) highlights its NUTS 3 region
    assert selectbox(at, "Highlight a city's region").value == "LV001C"
    assert "Riga's region LV006" in caption
    # Eurostat's Extra-Regio (LVZZZ: offences not attributed to a region) is no region to rank: left out, and said
    assert not shown["geo_code"].str.fullmatch(r"[A-Z]{2}Z+").any()
    assert "Left out: LVZZZ, Eurostat's 'Extra-Regio'" in caption


def test_police_data_across_countries_only_over_time_or_on_request_with_the_caveat_on_the_chart(app_env):
    at = compare(indicator="homicide_rate", view="trends")
    caption = captions(at)
    assert "each against its own past" in caption and "Every panel has its own scale" in caption
    at = compare(indicator="homicide_rate", view="countries")
    assert any("not comparable across countries" in w.value for w in at.warning)
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert "Not comparable across countries" in spec  # the caveat is drawn on the chart itself
    assert "whisker" not in captions(at).lower()


def test_survey_captions_mention_whiskers_only_when_intervals_are_drawn(app_env):
    at = compare(indicator="feel_safe_night_neighbourhood")
    caption = captions(at)
    assert "Whiskers: 95 % intervals" in caption and "about 700 interviews per city" in caption
    at = compare(indicator="feel_safe_city", period="2006")  # 2006: per-city sample unknown, no interval
    caption = captions(at)
    assert "Whiskers" not in caption and "No interval is drawn" in caption


def test_every_table_on_every_page_shows_a_dash_for_empty_cells_and_labels_for_people(app_env):
    at = AppTest.from_file(APP, default_timeout=90).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        for frame in at.dataframe:
            assert frame.proto.placeholder == "—", page  # never Streamlit's grey "None"
        for static in at.table:
            assert "None" not in static.value.astype(str).to_numpy().ravel().tolist(), page
        for text in [*at.caption, *at.markdown, *at.info, *at.warning]:
            assert not re.search(r"\bNone\b", text.value), (page, text.value[:200])


def test_the_table_labels_its_columns_and_rounds_a_value_with_its_interval(app_env):
    at = compare(indicator="feel_safe_night_neighbourhood")
    config = json.loads(at.dataframe[-1].proto.columns)
    assert config["geo_code"]["label"] == "Code" and config["ci_low"]["label"] == "95 % low"
    formats = {config[c]["type_config"]["format"] for c in ("value", "ci_low", "ci_high")}
    assert formats == {"%.1f"}  # one precision for a percentage and its interval
    assert "geo_code" in table(at).columns  # the download keeps the codes


@pytest.fixture(scope="module")
def uploaded_data_dir(refreshed_data_dir, snapshot_dir, tmp_path_factory):
    """The refreshed version plus SYNTHETIC city reports: Nice's own 2019 night-safety value (one city) and
    homicide rate, and Valencia's 2025 feeling-safe value, published by an incremental refresh."""
    data = tmp_path_factory.mktemp("uploaded") / "data"
    shutil.copytree(refreshed_data_dir, data, symlinks=True)
    write_submission(
        data / "inbox",
        "20260301T090000000000",
        "FR008C",
        [
            {
                "indicator_code": "feel_safe_night_city",
                "geo_code": "FR008C",
                "period": "2019",
                "value": "64",
                "unit": "% of respondents",
            },
            {
                "indicator_code": "homicide_rate",
                "geo_code": "FR008C",
                "period": "2021",
                "value": "1.3",
                "unit": "offences per 100 000 inhabitants",
            },
        ],
    )
    write_submission(
        data / "inbox",
        "20260301T100000000000",
        "ES003C",
        [
            {
                "indicator_code": "feel_safe_city",
                "geo_code": "ES003C",
                "period": "2025",
                "value": "80",
                "unit": "% of respondents",
            }
        ],
    )
    result = run_sps(["refresh"], sps_env(data, snapshot_dir))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return data


def test_compare_still_opens_on_the_widest_group_after_a_city_reports_one_value(uploaded_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(uploaded_data_dir))
    at = compare(indicator="feel_safe_night_city")
    group = selectbox(at, "Survey or series")
    assert group.value == "urb_percep:feel_safe_night_city" and len(table(at)) == 100
    assert group.options == ["Eurostat perception survey, 2019 wave — 100 cities", "Nice — own report"]
    caption = captions(at)
    assert "about 700 interviews per city" in caption and "reported by the city" not in caption

    group.set_value("city_report:feel_safe_night_city:FR008C").run()  # one click away
    caption = captions(at)
    assert list(table(at)["geo_code"]) == ["FR008C"]
    assert "reported by the city itself" in caption and "interviews" not in caption  # its own method, not Eurostat's

    at = compare(indicator="feel_safe_city")  # a city's 2025 value does not become the default period
    assert selectbox(at, "Period").value == "2015"
    assert selectbox(at, "Period").options[0].startswith("2025 — 1 city")


def test_a_city_report_is_titled_by_its_own_source_on_the_city_profile(uploaded_data_dir, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(uploaded_data_dir))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["city"] = "FR008C"
    at.run()
    at.switch_page("views/city_profile.py").run()
    assert not at.exception
    homicide = [m for m in at.metric if m.label.startswith("Intentional homicide")]
    assert [m.label.split(" — ")[0] for m in homicide] == ["Intentional homicide (reported by the city)"]
    assert any(c.value.startswith(f"Source: Reported by the city ({SYNTHETIC_SOURCE})") for c in at.caption)
    assert not any("police-recorded" in m.label for m in homicide)


def test_population_labels_matched_before_and_after_repair_on_the_quality_page_and_in_the_health_report(
    app_env, published_db
):
    total, matched, repaired = published_db.execute(
        "select count(*), count(*) filter (where is_matched), count(*) filter (where match_method = 'repaired') "
        "from rpt_population_label_matches"
    ).fetchone()
    assert repaired > 100 and matched - repaired > 500  # real labels: U+FFFD in the source bytes, repaired
    damaged = published_db.execute(
        "select city_label, repaired_as from rpt_population_label_matches where match_method = 'repaired' "
        "and city_label = 'M' || chr(65533) || 'nchen'"
    ).fetchall()
    assert damaged == [("M\ufffdnchen", "München")]
    reasons = dict(
        published_db.execute(
            "select unmatched_reason, count(*) from rpt_population_label_matches where not is_matched group by 1"
        ).fetchall()
    )
    assert "no city of that name in the register" not in reasons  # every reason says which case it is
    assert reasons["a country total, not a city"] >= 25
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/quality.py").run()
    expected = (
        f"{matched - repaired} of {total} labels ({100 * (matched - repaired) / total:.1f} %) match a city code by "
        f"name; after repairing {repaired} labels damaged in the source, {matched} of {total} "
        f"({100 * matched / total:.1f} %)."
    )
    assert expected in captions(at)
    status, markdown = published_db.execute("select status, markdown from _health").fetchone()
    assert f"{matched} of {total} population labels matched a city code ({100 * matched / total:.1f} %)" in markdown
    # a fresh install on the documented snapshot: sources absent from it are information, not a warning
    assert "## Sources (OK)" in markdown and "Not in this snapshot, fetched in live mode: urb_cpop1" in markdown
    assert status == "ok"
