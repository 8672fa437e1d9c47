"""Progress assessment, reporting cycles and city targets (issue 19) on the real snapshot.

The first tests only read the session's refresh of the real snapshot (`published_db`): the perception survey's
windows, every assessable survey row's significance recomputed from its own change_se, the CSEW series, the rows
without an interval, the worked example of docs/methodology/progress.md. The last ones run a refresh of their own
with two SYNTHETIC city uploads and a SYNTHETIC target sheet sent through `sps upload`."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import pytest

from pipelines.uploads.tokens import issue_upload_token
from pipelines.versions.connection import connect_version
from tests.conftest import PROJECT_ROOT, refreshed_copy, run_sps, sps_env

pytestmark = pytest.mark.integration
Z = 1.959963984540054
PERCEPTION = ("feel_safe_city", "feel_safe_neighbourhood")
DOC = PROJECT_ROOT / "docs" / "methodology" / "progress.md"


def rows(conn, sql: str, params: list | None = None) -> list[dict]:
    result = conn.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


def test_perception_windows_stay_within_one_comparability_group(published_db):
    windows = published_db.execute(
        """select indicator_code, comparability_group, from_period, to_period, count(*) from city_progress
           where indicator_code in ('feel_safe_city', 'feel_safe_neighbourhood') group by all order by all"""
    ).fetchall()
    for indicator in PERCEPTION:
        mine = {(f, t): n for code, group, f, t, n in windows if code == indicator}
        assert {group for code, group, *_ in windows if code == indicator} == {f"urb_percep:{indicator}"}
        assert ("2009", "2015") in mine and ("2012", "2015") in mine and mine[("2012", "2015")] >= 70
        assert all(t != "2019" and f != "2019" for f, t in mine)  # the night questions are another group
    night = published_db.execute(
        "select count(*) from city_progress where comparability_group like 'urb_percep:feel_safe_night%'"
    ).fetchone()[0]
    assert night == 0  # one wave (2019): nothing to compare it with, and never joined to the 2004-2015 question


def test_every_assessable_survey_row_follows_from_its_own_change_se(published_db):
    assessed = rows(
        published_db,
        """select p.*, i.higher_is_better, a.standard_error as se_from, b.standard_error as se_to
           from city_progress p
           join dim_indicators i using (indicator_code)
           join fct_observations a on a.indicator_code = p.indicator_code and a.geo_code = p.geo_code
            and a.comparability_group = p.comparability_group and a.period = p.from_period
            and a.sex is not distinct from p.sex and a.age_group is not distinct from p.age_group
            and a.breakdown is not distinct from p.breakdown
           join fct_observations b on b.indicator_code = p.indicator_code and b.geo_code = p.geo_code
            and b.comparability_group = p.comparability_group and b.period = p.to_period
            and b.sex is not distinct from p.sex and b.age_group is not distinct from p.age_group
            and b.breakdown is not distinct from p.breakdown
           where p.method = 'survey_change_95'""",
    )
    assert (
        len(assessed)
        == published_db.execute("select count(*) from city_progress where method = 'survey_change_95'").fetchone()[0]
    )
    testable = [r for r in assessed if r["change_se"] is not None]
    assert len(testable) > 300
    for r in assessed:
        if r["se_from"] is None or r["se_to"] is None:
            assert r["change_se"] is None and r["assessment"] in (
                "not assessable (no uncertainty)",
                "not assessable (break in series)",
            )
            continue
        assert r["change"] == pytest.approx(r["to_value"] - r["from_value"], abs=1e-6)
        assert r["change_se"] == pytest.approx(math.sqrt(r["se_from"] ** 2 + r["se_to"] ** 2), abs=1e-6)
        assert r["change_ci_low"] == pytest.approx(r["change"] - Z * r["change_se"], abs=1e-5)
        if abs(r["change"]) > Z * r["change_se"]:
            better = (r["change"] > 0) == r["higher_is_better"]
            expected = "significant improvement" if better else "significant deterioration"
        else:
            expected = "no significant change"
        assert r["assessment"] == expected, r
    kinds = {r["assessment"] for r in testable}
    assert kinds == {"significant improvement", "significant deterioration", "no significant change"}


def test_a_handful_recomputed_by_hand_from_the_nominal_sample(published_db):
    """urb_percep 2009-2015 rest on a nominal 500 interviews per city (survey registry): se = sqrt(p(1-p)/500)."""
    picked = rows(
        published_db,
        """select * from city_progress where method = 'survey_change_95' and comparability_group like 'urb_percep:%'
           and change_se is not null and geo_code in ('LV001C', 'ES001C', 'FI001C', 'BE001C', 'FR003C')
           order by geo_code, indicator_code, from_period""",
    )
    assert len(picked) >= 10
    for r in picked:
        n = 300 if r["from_period"] == "2004" else 500
        se_from = 100 * math.sqrt(r["from_value"] / 100 * (1 - r["from_value"] / 100) / n)
        se_to = 100 * math.sqrt(r["to_value"] / 100 * (1 - r["to_value"] / 100) / 500)
        change_se = math.sqrt(se_from**2 + se_to**2)
        assert r["change_se"] == pytest.approx(change_se, rel=1e-6)
        significant = abs(r["to_value"] - r["from_value"]) > 1.96 * change_se
        assert (r["assessment"] != "no significant change") == significant
        assert "approximate" in r["note"]


def test_csew_series_are_never_guessed(published_db):
    csew = rows(
        published_db,
        "select * from city_progress where comparability_group like 'ons_sdg_%' and method = 'survey_change_95'",
    )
    assert len(csew) > 100
    assert {r["assessment"] for r in csew} == {"not assessable (no uncertainty)"}
    assert all(r["change_se"] is None and r["change_ci_low"] is None for r in csew)
    assert all("published per year by ONS (not in the SDG file)" in r["note"] for r in csew)
    after_dark = {
        (r["from_period"], r["to_period"])
        for r in csew
        if r["indicator_code"] == "feel_safe_after_dark" and r["geo_code"] == "UKC-L" and r["sex"] is None
        and r["age_group"] is None and r["breakdown"] is None
    }  # fmt: skip
    assert ("2019/20", "2022/23") in after_dark and len(after_dark) == 18  # 19 years: each earlier one to the latest
    homicide = {
        r["method"]
        for r in rows(published_db, "select * from city_progress where comparability_group like 'ons_sdg_16_1_1%'")
    }
    assert homicide == {"eurostat_sdg_trend", "open_sdg"}  # a register: no sampling error


def test_every_row_without_an_interval_says_why(published_db):
    assert (
        published_db.execute(
            "select count(*) from fct_observations where uncertainty_method = 'none' and quality_note is null"
        ).fetchone()[0]
        == 0
    )
    wave_2006 = published_db.execute(
        """select count(*), count(*) filter (where quality_note like '%wave 2006%'
                  and quality_note like '%per-city sample not verified offline%'), bool_or(has_quality_warning)
           from fct_observations where source_dataset = 'urb_percep' and uncertainty_method = 'none'"""
    ).fetchone()
    assert wave_2006 == (140, 140, False)  # explained, and not a quality warning


def test_police_rows_keep_their_caveat(published_db):
    police = published_db.execute(
        """select count(*), count(*) filter (where note like '%recording practice%'), count(distinct method)
           from city_progress p join dim_indicators i using (indicator_code)
           where i.indicator_family = 'police_recorded'"""
    ).fetchone()
    assert police[0] > 10_000 and police[0] == police[1] and police[2] == 2  # Eurostat trend and Open SDG


def test_the_worked_example_of_the_methodology_page(published_db):
    doc = DOC.read_text(encoding="utf-8")
    riga = rows(
        published_db,
        """select * from city_progress where geo_code = 'LV001C' and indicator_code = 'feel_safe_city'
           and method = 'survey_change_95' order by from_period""",
    )
    by_start = {r["from_period"]: r for r in riga}
    row = by_start["2012"]
    se_2012 = 100 * math.sqrt(0.64 * 0.36 / 500)
    se_2015 = 100 * math.sqrt(0.79 * 0.21 / 500)
    change_se = math.sqrt(se_2012**2 + se_2015**2)
    assert (row["from_value"], row["to_value"], row["change"]) == (64.0, 79.0, 15.0)
    assert row["change_se"] == pytest.approx(change_se, rel=1e-6)
    assert row["assessment"] == "significant improvement"
    for text in (f"{se_2012:.4f}", f"{se_2015:.4f}", f"{change_se:.4f}", "+15.0 points"):
        assert text in doc, text
    assert f"+{15 - 1.96 * change_se:.2f} to +{15 + 1.96 * change_se:.2f}" in doc
    assert by_start["2006"]["assessment"] == "not assessable (no uncertainty)" and by_start["2006"]["change"] == 6.6
    region = {
        (r["from_period"], r["method"]): r
        for r in rows(
            published_db,
            "select * from city_progress where geo_code = 'LV006' and indicator_code = 'robbery_rate'",
        )
    }
    short = region[("2016", "eurostat_sdg_trend")]
    cagr = (29.45 / 59.72) ** (1 / 5) - 1
    assert (short["from_value"], short["to_value"]) == (59.72, 29.45)
    assert short["annual_growth_rate"] == pytest.approx(100 * cagr, rel=1e-6)
    assert short["assessment"] == "significant progress" and f"{100 * cagr:.2f} % a year" in doc.replace("−", "-")
    since = region[("2015", "eurostat_sdg_trend")]
    assert since["annual_growth_rate"] == pytest.approx(100 * ((29.45 / 70.36) ** (1 / 6) - 1), rel=1e-6)
    assert region[("2015", "open_sdg")]["assessment"] == "substantial progress"


def test_sps_export_progress_writes_the_mart(refreshed_data_dir, published_db, tmp_path):
    out = tmp_path / "progress.csv"
    result = run_sps(["export", "progress", "--out", str(out)], sps_env(refreshed_data_dir))
    assert result.returncode == 0, result.stderr
    exported = list(csv.DictReader(open(out, encoding="utf-8")))
    assert len(exported) == published_db.execute("select count(*) from city_progress").fetchone()[0]
    riga = [
        r
        for r in exported
        if r["geo_code"] == "LV001C" and r["indicator_code"] == "feel_safe_neighbourhood" and r["from_period"] == "2012"
    ]
    assert len(riga) == 1 and riga[0]["assessment"] == "significant improvement"
    assert float(riga[0]["change_se"]) == pytest.approx(
        math.sqrt(100**2 * (0.70 * 0.30 / 500 + 0.78 * 0.22 / 500)), rel=1e-6
    )


def test_perception_next_to_the_regions_recorded_crime(published_db):
    riga = rows(
        published_db,
        """select * from city_perception_vs_police where geo_code = 'LV001C'
           and perception_indicator_code = 'feel_safe_night_neighbourhood'
           and police_indicator_code = 'robbery_rate'""",
    )
    assert len(riga) == 1
    row = riga[0]
    police = published_db.execute(
        "select value from fct_observations where geo_code = 'LV006' and indicator_code = 'robbery_rate' "
        "and period = '2019' and source_dataset = 'crim_gen_reg'"
    ).fetchone()[0]
    assert (row["share_feeling_safe"], row["region_code"], row["police_period"], row["police_rate"]) == (
        72.3,
        "LV006",
        "2019",
        police,
    )
    gaps = published_db.execute("select max(abs(year_gap)) from city_perception_vs_police").fetchone()[0]
    assert gaps <= 3


# --------------------------------------------------------------------------------------- uploads and targets
VALUES = "indicator_code,geo_code,period,value,unit,ci_low,ci_high,source\n"
SYNTHETIC = "SYNTHETIC test value"


@pytest.fixture(scope="module")
def reported(tmp_path_factory, snapshot_dir, refreshed_data_dir):
    """The refreshed real snapshot, refreshed again after Riga reported every indicator of the 2026 cycle with
    targets for two of them and Madrid one indicator, all through `sps upload` (SYNTHETIC values)."""
    folder = tmp_path_factory.mktemp("progress_uploads")
    data = refreshed_copy(refreshed_data_dir, folder / "data")
    env = sps_env(data, snapshot_dir)
    files = {
        ("LV001C", "riga.csv"): VALUES
        + f"feel_safe_after_dark,LV001C,2021,60,%,56.4,63.6,{SYNTHETIC}\n"
        + f"feel_safe_after_dark,LV001C,2025,66,%,62.5,69.5,{SYNTHETIC}\n"
        + f"harassment_prevalence,LV001C,2025,4,%,3,5,{SYNTHETIC}\n"
        + f"homicide_rate,LV001C,2019,3.0,per 100 000,,,{SYNTHETIC}\n"
        + f"homicide_rate,LV001C,2024,2.4,per 100 000,,,{SYNTHETIC}\n"
        + f"open_public_space_share,LV001C,2024,12,%,,,{SYNTHETIC}\n",
        ("LV001C", "riga_targets.csv"): "indicator_code,target_value,target_year,baseline_year,source\n"
        f"feel_safe_after_dark,75,2030,2021,{SYNTHETIC} strategy\n"
        f"homicide_rate,1.5,2030,2019,{SYNTHETIC} plan\n",
        ("ES001C", "madrid.csv"): VALUES + f"harassment_prevalence,ES001C,2024,5,%,,,{SYNTHETIC}\n",
    }
    for (city, name), text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        _, token = issue_upload_token(data, city)
        result = run_sps(["upload", str(path), "--city", city, "--token", token], env)
        assert result.returncode == 0, result.stdout + result.stderr
    result = run_sps(["refresh"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return data


def test_cycle_status_lists_the_two_reporting_cities_and_every_other_partnership_city_as_none(reported, tmp_path):
    out = tmp_path / "reminders.csv"
    result = run_sps(["cycle", "status", "--cycle", "2026", "--out", str(out)], sps_env(reported))
    assert result.returncode == 0, result.stderr
    statuses = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts and len(parts[0]) == 6 and parts[0][:2].isalpha() and parts[0].endswith("C"):
            statuses[parts[0]] = next(p for p in parts if p in ("complete", "partial", "none"))
    with open(PROJECT_ROOT / "seeds" / "partnership_cities.csv", encoding="utf-8") as fh:
        partnership = {row["geo_code"] for row in csv.DictReader(fh)}
    assert statuses["LV001C"] == "complete" and statuses["ES001C"] == "partial"
    assert {code: s for code, s in statuses.items() if code not in ("LV001C", "ES001C")} == dict.fromkeys(
        partnership - {"LV001C", "ES001C"}, "none"
    )
    reminders = {r["city_code"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    assert set(reminders) == partnership - {"LV001C"}
    assert reminders["ES001C"]["missing_indicators"] == "feel_safe_after_dark, homicide_rate, open_public_space_share"
    assert reminders["ES001C"]["reported_by_city_upload"] == "harassment_prevalence"


def test_targets_sent_through_the_upload_path_are_assessed(reported):
    name = (reported / "published" / "CURRENT").read_text().strip()
    with connect_version(str(reported / "published" / name)) as conn:
        found = {
            r["method"]: r
            for r in rows(
                conn,
                "select * from city_progress where geo_code = 'LV001C' and indicator_code in "
                "('feel_safe_after_dark', 'homicide_rate')",
            )
        }
        health = conn.execute("select markdown from _health").fetchone()[0]
    # feel safe after dark 2021 -> 2025: se from the city's own intervals, 6.0 > 1.96 x 2.5618
    change = found["survey_change_95"]
    se_from, se_to = (63.6 - 56.4) / (2 * Z), (69.5 - 62.5) / (2 * Z)
    assert change["change_se"] == pytest.approx(math.hypot(se_from, se_to), rel=1e-6)
    assert change["assessment"] == "significant improvement"
    # target 75 by 2030 from 2021: the path stands at 60 + 15 x 4 / 9 = 66.67 in 2025, inside 62.5-69.5
    target = found["target_ci"]
    assert (target["target_value"], target["target_year"], target["assessment"]) == (75.0, 2030, "cannot tell")
    assert "path value 66.67 in 2025" in target["note"] and "target set by the city" in target["note"]
    # homicide 3.0 (2019) -> 2.4 (2024): -4.36 % a year, significant progress; target 1.5 by 2030 needs -6.11 %
    trend = found["eurostat_sdg_trend"]
    assert trend["annual_growth_rate"] == pytest.approx(100 * (0.8**0.2 - 1), rel=1e-6)
    assert trend["assessment"] == "significant progress"
    ratio = (0.8**0.2 - 1) / (0.5 ** (1 / 11) - 1)
    assert ratio == pytest.approx(0.7147, abs=1e-4)
    assert found["eurostat_sdg_target"]["assessment"] == "moderate progress towards the target"
    assert found["open_sdg"]["assessment"] == "moderate progress"  # 0.6 <= 0.7147 < 0.95
    # the health report names the cities that reported nothing in the cycle open today, if one is
    if dt.date(2026, 3, 1) <= dt.date.today() <= dt.date(2027, 1, 31):
        assert "Cycle 2026 is open until 2027-01-31: 7 city(ies) have reported nothing for it" in health


def test_the_target_sheet_never_becomes_an_observation(reported):
    name = (reported / "published" / "CURRENT").read_text().strip()
    with connect_version(str(reported / "published" / name)) as conn:
        periods = conn.execute(
            "select period from fct_observations where geo_code = 'LV001C' and indicator_code = 'feel_safe_after_dark' "
            "order by period"
        ).fetchall()
        history = conn.execute(
            "select count(*) from submission_history where city_code = 'LV001C' and period = '2030'"
        ).fetchone()[0]
    assert periods == [("2021",), ("2025",)] and history == 0


def test_open_sdg_progress_fields_for_a_city(reported, tmp_path):
    out = tmp_path / "riga_progress"
    result = run_sps(
        ["export", "progress", "--format", "open-sdg", "--city", "LV001C", "--out", str(out)], sps_env(reported)
    )
    assert result.returncode == 0, result.stderr
    import yaml

    homicide = yaml.safe_load((out / "indicator_homicide_rate.progress.yml").read_text())
    assert homicide["progress_status"] == "moderate_progress"
    assert homicide["progress_calculation_options"] == [
        {"base_year": 2019, "direction": "negative", "target": 1.5, "target_year": 2030}
    ]
    assert Path(out / "indicator_feel_safe_city.progress.yml").is_file()
