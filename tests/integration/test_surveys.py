"""Victimisation surveys with their uncertainty, on the real snapshot: ONS CSEW cells equal the source with
every breakdown, urb_percep intervals come from the registry's nominal n (Wilson), the no-CI path is
honest, and the comparison mart's arithmetic can be redone by hand."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

Z = 1.959963984540054
NAMED = {
    "Year",
    "Series",
    "Sex",
    "Age",
    "GeoCode",
    "Region",
    "Units",
    "Unit measure",
    "Unit multiplier",
    "Observation status",
    "Value",
}
DESCRIPTIVE = {"Year", "Series", "Units", "Unit measure", "Unit multiplier", "Observation status", "Value"}
ONS_FILES = {
    "ons_sdg_11_7_2": "indicator_11-7-2.csv",
    "ons_sdg_16_1_1": "indicator_16-1-1.csv",
    "ons_sdg_16_1_3": "indicator_16-1-3.csv",
    "ons_sdg_16_1_4": "indicator_16-1-4.csv",
}
REGION_NUTS1 = {
    "E12000001": "UKC",
    "E12000002": "UKD",
    "E12000003": "UKE",
    "E12000004": "UKF",
    "E12000005": "UKG",
    "E12000006": "UKH",
    "E12000007": "UKI",
    "E12000008": "UKJ",
    "E12000009": "UKK",
    "W92000004": "UKL",
}


def wilson(p: float, n: float) -> tuple[float, float]:
    """Reference Wilson score interval (proportion in 0..1), written from the textbook formula."""
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def test_reference_wilson_matches_known_values():
    low, high = wilson(0.5, 100)  # textbook: 0.4038 to 0.5962
    assert round(low, 4) == 0.4038 and round(high, 4) == 0.5962
    low, high = wilson(0.0, 10)  # zero successes out of 10: 0 to 0.2775
    assert round(low, 4) == 0.0 and round(high, 4) == 0.2775


def _source_rows(snapshot_dir: Path, dataset: str) -> list[tuple[int, dict[str, str]]]:
    path = snapshot_dir / "national" / "uk_ons_sdg" / ONS_FILES[dataset]
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [(line, row) for line, row in enumerate(csv.DictReader(fh), start=2)]


@pytest.mark.parametrize("dataset", sorted(ONS_FILES))
def test_ons_cells_equal_the_source_with_every_breakdown(published_db, snapshot_dir, dataset):
    exported = {
        lineage.split("/")[2]: (indicator, geo, period, sex, age, breakdown, value, status)
        for indicator, geo, period, sex, age, breakdown, value, status, lineage in published_db.execute(
            "select indicator_code, geo_code, period, sex, age_group, breakdown, value, observation_status, "
            "lineage_id from fct_observations where source_dataset = ?",
            [dataset],
        ).fetchall()
    }
    conflicting = {
        row[0].split("/")[2]
        for row in published_db.execute(
            "select lineage_id from rpt_survey_conflicting_cells where source_dataset = ?", [dataset]
        ).fetchall()
    }
    with_value = 0
    for line, row in _source_rows(snapshot_dir, dataset):
        key = f"row-{line}"
        if not row["Value"].strip():
            assert key not in exported  # not available: not published, not invented
            continue
        with_value += 1
        if key in conflicting:
            assert key not in exported
            continue
        indicator, geo, period, sex, age, breakdown, value, status = exported[key]
        assert value == float(row["Value"]) and period == row["Year"]
        assert (sex or "") == row.get("Sex", "").lower() and (age or "") == row.get("Age", "")
        assert geo == REGION_NUTS1.get(row.get("GeoCode", ""), "UKC-L")
        assert status == row["Observation status"]
        kept = {f"{col}={val.strip()}" for col, val in row.items() if col not in NAMED and val.strip()}
        assert set((breakdown or "").split("; ")) - {""} == kept
    assert len(exported) == with_value - len(conflicting) > 250


def test_two_different_homicide_totals_for_one_year_are_reported_not_published(published_db):
    rows = published_db.execute(
        "select period, lineage_id from rpt_survey_conflicting_cells order by lineage_id"
    ).fetchall()
    assert [r[0] for r in rows] == ["2012/13", "2012/13"]
    assert {r[1].split("/")[2] for r in rows} == {"row-34", "row-67"}


def test_perception_intervals_come_from_the_registry_nominal_n(published_db):
    rows = published_db.execute(
        "select geo_code, period, value, ci_low, ci_high, sample_size, uncertainty_method, is_ci_approximate "
        "from fct_observations where source_dataset = 'urb_percep'"
    ).fetchall()
    by_wave = {}
    for _geo, period, value, low, high, n, method, approximate in rows:
        by_wave.setdefault(period, set()).add(n)
        if period == "2006":  # no verified sample size for that wave: no interval, never a fake one
            assert method == "none" and low is None and high is None
            continue
        assert method == "wilson" and approximate is True
        ref_low, ref_high = wilson(value / 100, n)
        assert low == pytest.approx(100 * ref_low, abs=1e-4) and high == pytest.approx(100 * ref_high, abs=1e-4)
    assert by_wave == {"2004": {300}, "2006": {None}, "2009": {500}, "2012": {500}, "2015": {500}, "2019": {700}}
    riga = published_db.execute(
        "select ci_low, ci_high from fct_observations where geo_code = 'LV001C' "
        "and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019'"
    ).fetchall()[0]
    assert riga == (pytest.approx(68.8699, abs=1e-4), pytest.approx(75.4867, abs=1e-4))


def test_survey_results_without_published_uncertainty_say_so(published_db):
    methods = dict(
        published_db.execute(
            "select source_dataset, list(distinct uncertainty_method) from fct_observations "
            "where source_dataset like 'ons_%' or source_dataset like 'crim_%' group by 1"
        ).fetchall()
    )
    assert methods["ons_sdg_16_1_4"] == ["none"] and methods["ons_sdg_11_7_2"] == ["none"]
    assert methods["ons_sdg_16_1_1"] == ["not_applicable"] and methods["crim_off_cat"] == ["not_applicable"]
    assert (
        published_db.execute(
            "select count(*) from fct_observations where uncertainty_method = 'none' and "
            "(ci_low is not null or ci_high is not null)"
        ).fetchall()[0][0]
        == 0
    )


def test_which_cities_are_indistinguishable_from_riga(published_db):
    values = dict(
        published_db.execute(
            "select geo_code, value from fct_observations where indicator_code = 'feel_safe_night_neighbourhood' "
            "and period = '2019' and geo_level = 'city'"
        ).fetchall()
    )
    riga = values["LV001C"] / 100

    def significant_by_hand(other: str) -> bool:
        p = values[other] / 100
        se = math.sqrt(riga * (1 - riga) / 700 + p * (1 - p) / 700)
        return abs(riga - p) > Z * se

    pairs = dict(
        published_db.execute(
            "select other_geo_code, is_significant from city_pairwise_comparisons where geo_code = 'LV001C' "
            "and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' and peer_group = 'all'"
        ).fetchall()
    )
    assert len(pairs) == len(values) - 1
    assert all(pairs[other] == significant_by_hand(other) for other in pairs)
    # one pair checked digit by digit: Riga 72.3 % vs Brussels (BE001C)
    p_bxl = values["BE001C"] / 100
    z = (riga - p_bxl) / math.sqrt(riga * (1 - riga) / 700 + p_bxl * (1 - p_bxl) / 700)
    stored_z = published_db.execute(
        "select z_score from city_pairwise_comparisons where geo_code = 'LV001C' and other_geo_code = 'BE001C' "
        "and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' and peer_group = 'all'"
    ).fetchall()[0][0]
    assert stored_z == pytest.approx(z)
    rank, best, worst, same = published_db.execute(
        "select rank, rank_best, rank_worst, indistinguishable_from from city_rank_intervals "
        "where geo_code = 'LV001C' and indicator_code = 'feel_safe_night_neighbourhood' and period = '2019' "
        "and peer_group = 'all'"
    ).fetchall()[0]
    assert sorted(same) == sorted(o for o in pairs if not pairs[o])
    better = [o for o in pairs if values[o] / 100 > riga]
    assert rank == len(better) + 1
    assert best == 1 + sum(1 for o in better if pairs[o]) and best <= rank <= worst


def test_csew_feel_safe_after_dark_is_national_context_for_english_and_welsh_cities(published_db, snapshot_dir):
    rows = published_db.execute(
        "select geo_code, reference_geo_code, reference_period, reference_value, reference_scope "
        "from city_reference_values where indicator_code = 'feel_safe_night_neighbourhood' order by all"
    ).fetchall()
    total = next(
        float(r["Value"])
        for _, r in _source_rows(snapshot_dir, "ons_sdg_16_1_4")
        if r["Year"] == "2019/20" and not any(r[c] for c in r if c not in DESCRIPTIVE)
    )
    london = {r[1]: r for r in rows if r[0] == "UK001C"}
    assert london["UKC-L"][3] == total and london["UKC-L"][2] == "2019/20"
    assert london["UKI"][4] == "region"
    assert {r[0] for r in rows} <= {"UK001C", "UK008C", "UK009C", "UK011C", "UK006C", "UK013C"}  # never Glasgow
