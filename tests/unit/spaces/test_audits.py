"""Site safety audits: the XLSForm converts with pyxform; Kobo, ODK Central and plain exports read back; every bad
row has its message; the indicators match figures worked out by hand. SYNTHETIC audits near València's centre."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from pipelines.spaces.audit_form import write_audit_form
from pipelines.spaces.audit_indicators import compute_audit_indicators
from pipelines.spaces.audits import check_audits
from pipelines.spaces.compute import city_boundary, city_districts
from pipelines.spaces.validate import check_layer
from pipelines.spaces.vocabulary import STANDARD_FORM_VERSION, audit_items, safetipin_parameters
from tests.unit.spaces.shapes import geojson, lonlat, rect

CITY = "ES003C"
TODAY = dt.date(2026, 6, 30)
ITEMS = [i.item for i in audit_items()]


def point(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of a point x, y metres from the shapes' origin."""
    centre = lonlat(rect(x, y, 0.001, 0.001)).centroid
    return centre.y, centre.x


def audit(site: str, x: float, y: float, time: str = "day", score: int = 2, **overrides) -> dict:
    lat, lon = point(x, y)
    row = {
        "site_id": site,
        "location": f"{lat} {lon} 0 5",
        "audit_date": "2026-05-14",
        "time_of_day": time,
        "auditor_group": "womens_walk",
        **{item: str(score) for item in ITEMS},
        "form_version": STANDARD_FORM_VERSION,
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def csv_bytes(rows: list[dict], header: list[str] | None = None) -> bytes:
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture(scope="module")
def districts():
    layer = check_layer(
        geojson(
            (rect(0, 0, 500, 1000), {"district_code": "w"}),
            (rect(500, 0, 500, 1000), {"district_code": "e"}),
        ),
        "d.geojson",
        "districts",
    )
    outline = city_boundary(None, layer, CITY)
    return outline, city_districts(layer, outline)


def check(data: bytes, districts=None, name: str = "audits.csv"):
    boundary = districts[0].geometry if districts else None
    return check_audits(data, name, boundary=boundary, today=TODAY)


def only_error(result, rule: str):
    assert not result.accepted
    (problem,) = [p for p in result.problems if p.rule == rule]
    assert problem.severity == "error"
    return problem


# ------------------------------------------------------------------------------------------------ the form
def test_the_audit_form_converts_with_pyxform(tmp_path):
    path = write_audit_form(tmp_path / "audit.xlsx")
    result = convert(str(path))
    xform = result.xform
    assert 'type="geopoint"' in xform and "/location" in xform
    for item in ITEMS + ["site_id", "audit_date", "time_of_day", "auditor_group", "form_version"]:
        assert f"/{item}" in xform, item
    assert ". &lt;= today()" in xform  # no future dates
    assert f"'{STANDARD_FORM_VERSION}'" in xform
    book = load_workbook(path)
    choices = [row for row in book["choices"].iter_rows(values_only=True)][1:]
    assert [r[1] for r in choices if r[0] == "score_lighting"] == ["0", "1", "2", "3"]
    assert {r[1] for r in choices if r[0] == "time_of_day"} == {"day", "after_dark"}
    assert len(safetipin_parameters()) == 9


# ------------------------------------------------------------------------------------------------ exports
def test_a_kobo_export_reads_back(districts):
    rows = [audit("park-1", 100, 100), audit("park-1", 110, 100, "after_dark", 1)]
    for index, row in enumerate(rows):
        lat, lon = row["location"].split()[:2]
        row.update({"_location_latitude": lat, "_location_longitude": lon, "_uuid": f"uuid-{index}", "_index": index})
        row["group_scores/lighting"] = row.pop("lighting")
    result = check(csv_bytes(rows), districts)
    assert result.accepted, [str(p) for p in result.problems]
    assert [a.audit_id for a in result.audits] == ["uuid-0", "uuid-1"]
    assert result.audits[1].scores["lighting"] == 1 and result.audits[1].time_of_day == "after_dark"
    assert result.is_standard_form


def test_an_odk_central_export_and_a_plain_xlsx_read_back(districts, tmp_path):
    row = audit("stop-3", 700, 200, "after_dark")
    lat, lon = row.pop("location").split()[:2]
    row.update({"location-Latitude": lat, "location-Longitude": lon, "KEY": "uuid:abc"})
    result = check(csv_bytes([row]), districts)
    assert result.accepted and result.audits[0].audit_id == "uuid:abc"
    assert result.audits[0].lat == pytest.approx(float(lat))
    book = Workbook()
    plain = audit("stop-3", 700, 200)
    lat, lon = plain.pop("location").split()[:2]
    plain.pop("form_version")
    plain.update({"latitude": float(lat), "longitude": float(lon), "audit_date": dt.datetime(2026, 5, 14, 21, 30)})
    book.active.append(list(plain))
    book.active.append(list(plain.values()))
    book.save(tmp_path / "audits.xlsx")
    result = check((tmp_path / "audits.xlsx").read_bytes(), districts, "audits.xlsx")
    assert result.accepted, [str(p) for p in result.problems]
    assert result.audits[0].date == dt.date(2026, 5, 14) and not result.is_standard_form


# ------------------------------------------------------------------------------------------------ bad rows
def test_missing_columns_are_named_with_the_file_columns():
    result = check(b"site_id,audit_date\nA,2026-01-01\n")
    missing = {p.column for p in result.problems if p.rule == "missing_column"}
    assert {"time_of_day", "lighting", "feeling", "location (or latitude and longitude)"} <= missing
    assert "Its columns are: site_id, audit_date" in result.problems[0].message


def test_scores_out_of_range_name_line_column_and_value(districts):
    rows = [audit("a", 100, 100, lighting=4), audit("a", 100, 100, people="good"), audit("a", 100, 100, feeling=-1)]
    result = check(csv_bytes(rows), districts)
    found = {(p.row, p.column, p.value) for p in result.problems if p.rule == "score"}
    assert found == {(2, "lighting", "4"), (3, "people", "good"), (4, "feeling", "-1")}
    (first,) = [p for p in result.problems if p.row == 2]
    assert first.message == "Line 2: lighting '4' is not a score 0, 1, 2 or 3 (leave it empty when not observed)."


def test_a_future_date_and_a_date_that_is_not_one(districts):
    rows = [audit("a", 100, 100, audit_date="2026-07-01"), audit("a", 100, 100, audit_date="14/05/2026")]
    result = check(csv_bytes(rows), districts)
    assert "audit_date 2026-07-01 is in the future (today is 2026-06-30)" in only_error(result, "future_date").message
    assert "audit_date '14/05/2026' is not a date. Write it as YYYY-MM-DD." in only_error(result, "date").message


def test_an_audit_point_outside_the_city(districts):
    result = check(csv_bytes([audit("far", 5000, 100)]), districts)
    problem = only_error(result, "outside_city")
    assert (
        problem.message.startswith("Line 2: audit 'line-2' at ")
        and "4.0 km outside the city boundary" in problem.message
    )


def test_coordinates_that_are_not_degrees(districts):
    result = check(csv_bytes([audit("a", 0, 0, location="4372000 725000")]), districts)
    assert "is not a latitude and longitude in degrees" in only_error(result, "coordinates").message


def test_duplicates_too_few_scores_choices_and_sites(districts):
    rows = [
        audit("a", 100, 100, audit_id="x1"),
        audit("a", 100, 100, audit_id="x1"),
        audit("a", 100, 100, audit_id="x2", lighting="", openness="", visibility="", people=""),
        audit("a", 100, 100, audit_id="x3", time_of_day="dusk"),
        audit("", 100, 100, audit_id="x4"),
    ]
    result = check(csv_bytes(rows), districts)
    assert "audit 'x1' is already on line 2" in only_error(result, "duplicate_id").message
    assert "only 5 of the nine parameters are scored" in only_error(result, "too_few_scores").message
    assert "time_of_day 'dusk' is not one of day, after_dark" in only_error(result, "value_not_allowed").message
    assert "Line 6: no site_id" in only_error(result, "missing_value").message


def test_an_audit_file_over_the_size_limit_is_refused_before_it_is_read():
    result = check_audits(b"site_id,lighting\n" + b"a,1\n" * 500, "big.csv", max_bytes=1_000)
    problem = only_error(result, "file")
    assert "over the" in problem.message and "MB limit" in problem.message


def test_an_unreadable_file_and_a_non_standard_form_version(districts):
    assert "cannot be read" in only_error(check(b""), "file").message
    result = check(csv_bytes([audit("a", 100, 100, form_version="city-2023")]), districts)
    assert result.accepted and not result.is_standard_form
    assert "not the standard SPS audit form" in result.problems[0].message


# ------------------------------------------------------------------------------------------------ indicators
def values(results, indicator: str) -> dict:
    return {(o.geo_code, o.breakdown): o for o in results.observations if o.indicator_code == indicator}


def test_audit_indicators_by_hand(districts):
    outline, zones = districts
    rows = [
        # West: two sites by day, all 3 (score 100) and all 2 (66.67); after dark, site w1 with lighting 0.
        audit("w1", 100, 100, "day", 3),
        audit("w2", 300, 100, "day", 2),
        audit("w1", 100, 110, "after_dark", 2, lighting=0),
        # East: one site by day, all 1 (33.33), and after dark all 2 with lighting 1 (poor) and 3 (not poor).
        audit("e1", 700, 100, "day", 1),
        audit("e1", 700, 110, "after_dark", 2, lighting=1),
        audit("e2", 900, 100, "after_dark", 2, lighting=3),
    ]
    audits = check(csv_bytes(rows), districts)
    assert audits.accepted, [str(p) for p in audits.problems]
    results = compute_audit_indicators(CITY, audits, districts=zones, space_ids={"w1"}, submission_id="a1")
    score = values(results, "audit_safety_score")
    day = "time_of_day=day"
    assert score[(f"{CITY}:w", day)].value == pytest.approx((100 + 200 / 3) / 2, abs=1e-6)
    assert score[(f"{CITY}:e", day)].value == pytest.approx(100 / 3, abs=1e-6)
    assert score[(CITY, day)].value == pytest.approx((100 + 200 / 3 + 100 / 3) / 3, abs=1e-6)
    # after dark in the west: seven parameters at 2 and lighting 0 -> 100 x (14 / 8) / 3
    assert score[(f"{CITY}:w", "time_of_day=after_dark")].value == pytest.approx(100 * 14 / 8 / 3, abs=1e-6)
    west_day = score[(f"{CITY}:w", day)]
    assert west_day.uncertainty_method == "bootstrap_sites" and west_day.sample_size == 2
    assert 200 / 3 <= west_day.ci_low <= west_day.value <= west_day.ci_high <= 100
    assert score[(f"{CITY}:e", day)].ci_low is None and "one site: no interval" in score[(f"{CITY}:e", day)].note
    assert west_day.comparability_group == f"safety_audit:sps_site_safety_audit:{STANDARD_FORM_VERSION}"
    poor = values(results, "audit_poor_lighting_after_dark_share")
    assert poor[(f"{CITY}:w", None)].value == 100.0
    assert poor[(f"{CITY}:e", None)].value == 50.0
    assert poor[(CITY, None)].value == pytest.approx(200 / 3, abs=1e-6)
    lighting = values(results, "audit_parameter_score")
    assert lighting[(CITY, "parameter=lighting; time_of_day=after_dark")].value == pytest.approx(4 / 3, abs=1e-6)
    counts = values(results, "audit_count")
    assert counts[(CITY, None)].value == 6 and counts[(f"{CITY}:e", "time_of_day=after_dark")].value == 2
    assert values(results, "audit_site_count")[(CITY, None)].value == 4
    sites = {s["site_id"]: s for s in results.sites}
    assert sites["w1"]["space_id"] == "w1" and sites["e1"]["space_id"] is None
    assert sites["w1"]["safety_score_day"] == 100.0 and sites["w1"]["audits_after_dark"] == 1
    assert sites["e1"]["geo_code"] == f"{CITY}:e"
    lineage = [o.lineage_id for o in results.observations]
    assert len(set(lineage)) == len(lineage)  # fct_observations keys on it
    assert f"safety_audit/a1/{CITY}:w/2026/audit_safety_score/time_of_day=day" in lineage
    again = compute_audit_indicators(CITY, audits, districts=zones, submission_id="a1")
    assert [o.ci_low for o in again.observations] == [o.ci_low for o in results.observations]  # fixed seeds


def test_audits_from_another_form_stay_local(districts):
    rows = [audit("w1", 100, 100), audit("w2", 300, 100)]
    for row in rows:
        row.pop("form_version")
    results = compute_audit_indicators(CITY, check(csv_bytes(rows), districts), districts=districts[1])
    assert {o.comparability_group for o in results.observations} == {f"safety_audit:local:{CITY}"}
