"""The real refresh on the real snapshot: every exported value equals its source cell (or the sum the
mapping names), checked against an independent, deliberately naive parse of the source files."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import run_sps, sps_env

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def perception_numerators() -> dict[str, tuple[str, ...]]:
    """The numerator codes per indicator, read from the question registry seed (the single source)."""
    numerators = defaultdict(list)
    with open(SEEDS / "perception_question_blocks.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["is_numerator"] == "true":
                numerators[row["indicator_code"]].append(row["indic_ur"])
    return {indicator: tuple(sorted(codes)) for indicator, codes in numerators.items()}


PERCEPTION_SUMS = perception_numerators()
POLICE = {  # indicator -> {dataset: ICCS}
    "homicide_rate": {"crim_off_cat": "ICCS0101", "crim_gen_reg": "ICCS0101"},
    "robbery_rate": {"crim_off_cat": "ICCS0401", "crim_gen_reg": "ICCS0401"},
    "burglary_rate": {"crim_off_cat": "ICCS0501", "crim_gen_reg": "ICCS0501"},
    "residential_burglary_rate": {"crim_off_cat": "ICCS05012", "crim_gen_reg": "ICCS05012"},
    "theft_rate": {"crim_off_cat": "ICCS0502", "crim_gen_reg": "ICCS0502"},
    "serious_assault_rate": {"crim_off_cat": "ICCS020111"},
    "sexual_violence_rate": {"crim_off_cat": "ICCS0301"},
    "vehicle_or_parts_theft_rate": {"crim_off_cat": "ICCS05021"},
    "assault_rate": {"crim_gen_reg": "ICCS02011"},
    "vehicle_theft_rate": {"crim_gen_reg": "ICCS050211"},
}


def naive_sdmx(path: Path) -> dict[tuple[str, ...], dict[str, float]]:
    """{dimension values by name: {period: value}} — numbers only, flags ignored."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        dims = header[0].split("\\")[0].split(",")
        periods = [p.strip() for p in header[1:]]
        out = {}
        for line in fh:
            cells = line.rstrip("\n").split("\t")
            key = dict(zip(dims, cells[0].split(","), strict=True))
            values = {}
            for period, cell in zip(periods, cells[1:], strict=True):
                number = cell.strip().split(" ")[0]
                if number != ":":
                    values[period] = float(number)
            out[tuple(sorted(key.items()))] = values
        return out


@pytest.fixture(scope="module")
def exported(refreshed_data_dir: Path, tmp_path_factory) -> list[dict[str, str]]:
    out = tmp_path_factory.mktemp("export") / "observations.csv"
    result = run_sps(["export", "observations", "--out", str(out)], sps_env(refreshed_data_dir))
    assert result.returncode == 0, result.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_export_has_the_promised_columns(exported):
    required = [
        "indicator_code",
        "geo_code",
        "geo_level",
        "period",
        "sex",
        "age_group",
        "breakdown",
        "value",
        "unit",
        "ci_low",
        "ci_high",
        "sample_size",
        "flags",
        "source_type",
        "source_dataset",
        "is_official",
    ]
    assert set(required) <= set(exported[0])
    totals = [row for row in exported if row["source_dataset"] in {"urb_percep", "crim_off_cat", "crim_gen_reg"}]
    assert all(row["sex"] == row["age_group"] == row["breakdown"] == "" for row in totals)


def test_perception_indicators_equal_the_sum_of_their_source_cells(exported, snapshot_dir):
    source = naive_sdmx(snapshot_dir / "eurostat" / "urb_percep.tsv")
    cells = defaultdict(dict)
    for key, values in source.items():
        dims = dict(key)
        cells[(dims["indic_ur"], dims["cities"])] = values
    expected = {}
    cities = {dict(k)["cities"] for k in source}
    for indicator, codes in PERCEPTION_SUMS.items():
        for city in cities:
            parts = [cells.get((code, city), {}) for code in codes]
            for period in set.intersection(*(set(part) for part in parts)):
                expected[(indicator, city, period)] = sum(part[period] for part in parts)
    got = {
        (r["indicator_code"], r["geo_code"], r["period"]): float(r["value"])
        for r in exported
        if r["source_dataset"] == "urb_percep"
    }
    assert set(got) == set(expected)
    assert all(abs(got[k] - expected[k]) < 1e-9 for k in expected)
    assert PERCEPTION_SUMS["feel_safe_city"] == ("PS3290V", "PS3291V")
    assert {k[1] for k in got} == cities and len(cities) == 115
    # every wave the file has, for the indicators asked in it
    assert {k[2] for k in got if k[0] == "feel_safe_city"} == {"2004", "2006", "2009", "2012", "2015"}
    assert {k[2] for k in got if k[0] == "feel_safe_night_neighbourhood"} == {"2019"}


def test_hand_checked_perception_values(exported):
    by_key = {(r["indicator_code"], r["geo_code"], r["period"]): r for r in exported}
    assert float(by_key[("feel_safe_city", "AT001C", "2015")]["value"]) == 86.0  # 53.0 + 33.0
    assert float(by_key[("feel_safe_night_neighbourhood", "AT001C", "2019")]["value"]) == pytest.approx(83.7)
    assert by_key[("feel_safe_city", "AT001C", "2015")]["unit"] == "% of respondents"
    istanbul = by_key[("feel_safe_city", "TR012C", "2009")]
    assert istanbul["has_quality_warning"] == "true" and "127.5" in istanbul["quality_note"]
    assert float(istanbul["value"]) == pytest.approx(49.6)  # 20.0 + 29.6, published despite the warning


def test_police_recorded_rates_equal_the_source_cells(exported, snapshot_dir):
    got = {
        (r["indicator_code"], r["source_dataset"], r["geo_code"], r["period"]): float(r["value"])
        for r in exported
        if r["source_dataset"] in {"crim_off_cat", "crim_gen_reg"}
    }
    expected = {}
    for dataset in ("crim_off_cat", "crim_gen_reg"):
        for key, values in naive_sdmx(snapshot_dir / "eurostat" / f"{dataset}.tsv").items():
            dims = dict(key)
            if dims["unit"] != "P_HTHAB":
                continue
            for indicator, by_dataset in POLICE.items():
                if by_dataset.get(dataset) == dims["iccs"]:
                    for period, value in values.items():
                        expected[(indicator, dataset, dims["geo"], period)] = value
    assert set(got) == set(expected)
    assert all(got[k] == expected[k] for k in expected)
    countries = {k[2] for k in expected if k[1] == "crim_off_cat"}
    regions = {k[2] for k in expected if k[1] == "crim_gen_reg"}
    assert len(countries) == 41 and {k[2] for k in got if k[1] == "crim_off_cat"} == countries
    assert len(regions) > 1500 and {k[2] for k in got if k[1] == "crim_gen_reg"} == regions


def test_country_rows_of_both_crime_datasets_are_kept_apart(exported):
    at = {
        r["source_dataset"]: r
        for r in exported
        if r["indicator_code"] == "homicide_rate" and r["geo_code"] == "AT" and r["period"] == "2019"
    }
    assert set(at) == {"crim_off_cat", "crim_gen_reg"}
    assert at["crim_off_cat"]["comparability_group"] == "crim_off_cat:AT"
    # the UK's three jurisdictions are never grouped together
    uk_groups = {
        r["geo_code"]: r["comparability_group"]
        for r in exported
        if r["source_dataset"] == "crim_off_cat" and r["geo_code"].startswith("UK")
    }
    assert uk_groups == {"UKC-L": "crim_off_cat:UKC-L", "UKM": "crim_off_cat:UKM", "UKN": "crim_off_cat:UKN"}


def test_geography_register_knows_cities_without_gisco_points(published_db):
    rows = {
        r[0]: r[1:]
        for r in published_db.execute(
            "select geo_code, geo_name, has_geometry, nuts3_code, geo_level from dim_geographies "
            "where geo_code in ('UK001C', 'ES002C', 'LV001C', 'LV005C')"
        ).fetchall()
    }
    assert rows["UK001C"] == ("London", False, None, "city")
    assert rows["ES002C"][1] is True and rows["ES002C"][2] == "ES511"
    assert rows["LV001C"][0] == "Riga" and rows["LV005C"][0] is None  # name unknown: not invented
    missing = published_db.execute(
        "select count(*) from dim_geographies where geo_level = 'city' and is_perception_survey_city "
        "and not has_geometry"
    ).fetchall()[0][0]
    assert missing == 19


def test_every_city_with_data_has_a_map_location_but_the_unnamed_latvian_codes(published_db):
    """Cities without an Urban Audit 2021 point (Riga, the UK and Turkish cities) are placed at their NUTS 3
    region's label point (NUTS 1 for London, which spans several), flagged approximate; issue 22."""
    rows = published_db.execute(
        """select g.geo_code, g.lat, g.lon, g.location_source, g.is_location_approximate, g.has_geometry,
                  coalesce(g.nuts3_code, g.nuts1_code) as region, r.lat, r.lon
           from dim_geographies g left join dim_geographies r on r.geo_code = coalesce(g.nuts3_code, g.nuts1_code)
           where g.geo_level = 'city' and g.geo_code in (select geo_code from fct_observations)"""
    ).fetchall()
    unplaced = {r[0] for r in rows if r[1] is None}
    assert unplaced == {f"LV00{i}C" for i in range(2, 10)} and len(rows) - len(unplaced) == 107  # was 96
    for code, lat, lon, source, approximate, has_geometry, _region, region_lat, region_lon in rows:
        if has_geometry:
            assert (source, approximate) == ("urban_audit_point", False), code
        elif lat is not None:
            assert approximate and source == ("nuts1_label_point" if code == "UK001C" else "nuts3_label_point")
            assert (lat, lon) == (region_lat, region_lon), code
    by_code = {r[0]: r for r in rows}
    assert by_code["LV001C"][6] == "LV006" and by_code["UK001C"][6] == "UKI" and by_code["TR012C"][6] == "TR100"
    assert (
        published_db.execute(
            "select count(*) from dim_geographies where geo_level <> 'city' and is_location_approximate"
        ).fetchall()[0][0]
        == 0
    )


def test_population_labels_are_matched_or_reported(published_db, snapshot_dir):
    total, matched, unmatched_without_reason = published_db.execute(
        "select count(*), count(geo_code), count(*) filter (where geo_code is null and unmatched_reason is null) "
        "from rpt_population_label_matches"
    ).fetchall()[0]
    assert total == 1025 and 600 < matched < total and unmatched_without_reason == 0
    reason = published_db.execute(
        "select unmatched_reason from rpt_population_label_matches where city_label = 'Barcelona'"
    ).fetchall()[0][0]
    assert "more than one area" in reason
    import gzip

    with gzip.open(snapshot_dir / "eurostat" / "urb_cpop1_1_Data.csv.gz", "rt", encoding="utf-8") as fh:
        wien_rows = [
            r
            for r in csv.DictReader(fh)
            if r["CITIES"] == "Wien"
            and r["Value"].strip() != ":"
            and r["INDIC_UR"] == "Population on the 1st of January, total"
        ]
    latest = max(wien_rows, key=lambda r: int(r["TIME"]))
    wien = published_db.execute(
        "select population, population_year, size_class from dim_geographies where geo_code = 'AT001C'"
    ).fetchall()[0]
    assert wien == (float(latest["Value"]), int(latest["TIME"]), "XXL")


def test_status_reports_datasets_missing_from_the_snapshot(refreshed_data_dir):
    result = run_sps(["status"], sps_env(refreshed_data_dir))
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    for missing in ("urb_clivcon", "ilc_mddw03", "sdg_16_20", "sdg_16_10", "urb_cpop1"):
        assert "not in snapshot" in lines[missing]
    assert "loaded" in lines["urb_percep"]


def test_parquet_export_matches_csv_row_count(refreshed_data_dir, exported, tmp_path):
    import duckdb

    out = tmp_path / "observations.parquet"
    result = run_sps(["export", "observations", "--out", str(out)], sps_env(refreshed_data_dir))
    assert result.returncode == 0, result.stderr
    assert duckdb.connect().execute(f"select count(*) from '{out}'").fetchall()[0][0] == len(exported)
