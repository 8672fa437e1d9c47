"""SDG 11.7.1 and its companions on SYNTHETIC shapes whose areas are worked out by hand (tests/unit/spaces/shapes.py:
rectangles in EPSG:3035 metres, sent as longitude/latitude GeoJSON like a city's file)."""

from __future__ import annotations

import math

import pytest
import shapely

from pipelines.spaces.compute import ACCESS_NOTE, ADMINISTRATIVE_CAVEAT, MissingBoundary, compute_space_indicators
from pipelines.spaces.validate import check_layer
from tests.unit.spaces.shapes import geojson, rect, space

CITY = "ES003C"
KM = 1000.0


def layer(kind: str, *features, boundary=None):
    checked = check_layer(geojson(*features), f"{kind}.geojson", kind, boundary=boundary)
    assert checked.accepted, [str(p) for p in checked.problems]
    return checked


def boundary_layer(boundary_type: str = "built_up", population: int | None = None):
    properties = {"name": "Test city", "boundary_type": boundary_type}
    if population is not None:
        properties["population"] = population
    return layer("boundary", (rect(0, 0, KM, KM), properties))


def values(results, indicator: str) -> dict[str, float]:
    return {o.geo_code: o.value for o in results.observations if o.indicator_code == indicator}


def test_park_beside_garden_gives_one_and_a_half_percent_of_a_square_kilometre():
    # 100 m x 100 m park + 100 m x 50 m garden sharing its east edge: 15 000 m² of 1 000 000 m² = 1.5 %.
    boundary = boundary_layer()
    spaces = layer(
        "open-spaces",
        (rect(200, 200, 100, 100), space("park-1")),
        (rect(300, 200, 100, 50), space("garden-1", "garden")),
        boundary=boundary.projected()[0],
    )
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary)
    assert values(results, "open_public_space_share")[CITY] == pytest.approx(1.5, rel=1e-4)
    assert results.figures["boundary_area_m2"] == pytest.approx(1_000_000, rel=1e-4)
    assert results.figures["open_public_space_area_m2"] == pytest.approx(15_000, rel=1e-4)


def test_an_overlap_between_park_and_garden_is_counted_once():
    # The garden is moved 50 m west: a 50 m x 50 m corner of it (2 500 m²) lies on the park.
    # Dissolved: 10 000 + 5 000 - 2 500 = 12 500 m² = 1.25 %; adding the two areas would give 1.5 %.
    boundary = boundary_layer()
    spaces = layer(
        "open-spaces",
        (rect(200, 200, 100, 100), space("park-1")),
        (rect(250, 200, 100, 50), space("garden-1", "garden")),
        boundary=boundary.projected()[0],
    )
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary)
    assert values(results, "open_public_space_share")[CITY] == pytest.approx(1.25, rel=1e-4)
    garden = next(g for g in results.geometries if g["feature_id"] == "garden-1")
    assert garden["area_m2"] == pytest.approx(5_000, rel=1e-4)  # the map layer keeps each space whole


def test_a_space_half_outside_the_boundary_counts_half():
    boundary = boundary_layer()
    straddling = rect(950, 400, 100, 100)  # x 950..1050: 50 m of its 100 m width inside
    checked = check_layer(
        geojson((straddling, space("edge-park"))), "s.geojson", "open-spaces", boundary=boundary.projected()[0]
    )
    assert checked.accepted
    (note,) = [p for p in checked.problems if p.rule == "partly_outside_boundary"]
    assert "50.0 % of this open space's area lies outside the city boundary" in note.message
    results = compute_space_indicators(CITY, "2025", checked, boundary=boundary)
    assert values(results, "open_public_space_share")[CITY] == pytest.approx(0.5, rel=1e-4)
    (row,) = [g for g in results.geometries if g["layer"] == "open_space"]
    assert row["area_m2"] == pytest.approx(10_000, rel=1e-4)
    assert row["area_in_boundary_m2"] == pytest.approx(5_000, rel=1e-4)


def test_district_shares_add_back_to_the_city_share_weighted_by_area():
    # West district 400 m x 1 km, east 600 m x 1 km. A park across the border (50 m each side) and a garden east.
    districts = layer(
        "districts",
        (rect(0, 0, 400, KM), {"district_code": "w", "name": "West", "population": 1000}),
        (rect(400, 0, 600, KM), {"district_code": "e", "name": "East", "population": 2000}),
    )
    spaces = layer(
        "open-spaces",
        (rect(350, 500, 100, 100), space("park-1")),
        (rect(700, 100, 100, 50), space("garden-1", "garden")),
    )
    results = compute_space_indicators(CITY, "2025", spaces, districts=districts, submissions={"open-spaces": "s1"})
    share = values(results, "open_public_space_share")
    assert share[f"{CITY}:w"] == pytest.approx(100 * 5_000 / 400_000, rel=1e-4)  # 1.25 %
    assert share[f"{CITY}:e"] == pytest.approx(100 * 10_000 / 600_000, rel=1e-4)  # 1.67 %
    assert share[CITY] == pytest.approx(1.5, rel=1e-4)
    areas = results.figures["district_areas_m2"]
    weighted = sum(share[f"{CITY}:{code}"] * area for code, area in areas.items()) / sum(areas.values())
    assert weighted == pytest.approx(share[CITY], abs=1e-6)  # values are rounded to 6 decimals
    per_capita = values(results, "open_public_space_per_capita")
    assert per_capita[f"{CITY}:w"] == pytest.approx(5.0, rel=1e-4)  # 5 000 m² / 1 000 inhabitants
    assert per_capita[f"{CITY}:e"] == pytest.approx(5.0, rel=1e-4)  # 10 000 m² / 2 000
    assert per_capita[CITY] == pytest.approx(5.0, rel=1e-4)  # 15 000 m² / 3 000 (districts' sum)
    rows = {(o.indicator_code, o.geo_code): o for o in results.observations}
    assert len({o.lineage_id for o in results.observations}) == len(results.observations)
    assert rows[("open_public_space_share", f"{CITY}:w")].parent_geo_code == CITY
    assert (
        rows[("open_public_space_share", f"{CITY}:w")].lineage_id
        == "public_space/open-spaces:s1/2025/open_public_space_share/district:w"
    )
    # Each space is drawn in the district holding most of it; the park is split 50/50, the garden is east.
    owners = {g["feature_id"]: g["geo_code"] for g in results.geometries if g["layer"] == "open_space"}
    assert owners["garden-1"] == f"{CITY}:e"


def test_only_free_and_restricted_hours_spaces_count():
    boundary = boundary_layer()
    spaces = layer(
        "open-spaces",
        (rect(100, 100, 100, 100), space("free", access="free")),
        (rect(300, 100, 100, 100), space("hours", access="Restricted hours")),
        (rect(500, 100, 100, 100), space("zoo", access="fee")),
    )
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary)
    assert values(results, "open_public_space_share")[CITY] == pytest.approx(2.0, rel=1e-4)
    counted = {g["feature_id"]: g["is_counted"] for g in results.geometries if g["layer"] == "open_space"}
    assert counted == {"free": True, "hours": True, "zoo": False}
    assert "2 of 3 mapped spaces are open for public use." in results.observations[0].note


def test_area_within_400_metres_of_a_park_in_the_middle():
    # A 100 m square park in the middle of the square kilometre: the 400 m zone is the square plus four 100 x 400
    # strips plus four quarter discs: 10 000 + 160 000 + pi x 400² m², all inside the boundary.
    boundary = boundary_layer()
    spaces = layer("open-spaces", (rect(450, 450, 100, 100), space("central")))
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary)
    expected = 100 * (10_000 + 4 * 100 * 400 + math.pi * 400**2) / 1_000_000
    share = values(results, "open_space_within_400m_share")[CITY]
    assert share == pytest.approx(expected, rel=3e-3)  # the buffer's circle is a 64-gon
    note = next(o.note for o in results.observations if o.indicator_code == "open_space_within_400m_share")
    assert ACCESS_NOTE in note


def test_streets_make_the_full_variant_and_an_administrative_boundary_carries_the_caveat():
    boundary = boundary_layer("administrative")
    spaces = layer("open-spaces", (rect(100, 100, 100, 100), space("p")))
    streets = layer("streets", (rect(0, 500, KM, 20), {"street_id": "main"}))
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary, streets=streets)
    (share,) = [o for o in results.observations if o.indicator_code == "open_public_space_share"]
    assert share.value == pytest.approx(3.0, rel=1e-4)  # 10 000 + 20 000 m²
    assert share.comparability_group == "public_space_inventory:open spaces and streets:administrative boundary"
    assert ADMINISTRATIVE_CAVEAT in share.note
    without = compute_space_indicators(CITY, "2025", spaces, boundary=boundary_layer("built_up"))
    (share,) = [o for o in without.observations if o.indicator_code == "open_public_space_share"]
    assert share.comparability_group == "public_space_inventory:open spaces only:built-up area"
    assert ADMINISTRATIVE_CAVEAT not in share.note


def test_no_boundary_and_no_districts_is_a_clear_error():
    spaces = layer("open-spaces", (rect(100, 100, 100, 100), space("p")))
    with pytest.raises(MissingBoundary, match="ES003C has no boundary and no districts"):
        compute_space_indicators(CITY, "2025", spaces)


def test_observation_rows_carry_the_catalogue_unit_and_no_geometry():
    boundary = boundary_layer(population=10_000)
    spaces = layer("open-spaces", (rect(100, 100, 100, 100), space("p")))
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary)
    rows = {o.indicator_code: o.as_row() for o in results.observations}
    assert rows["open_public_space_per_capita"]["value"] == pytest.approx(1.0, rel=1e-4)
    assert rows["open_public_space_per_capita"]["unit"] == "m² per inhabitant"
    assert rows["open_public_space_share"]["unit"] == "% of built-up area"
    assert not any("geometry" in key for row in rows.values() for key in row)
    boundary_row = next(g for g in results.geometries if g["layer"] == "boundary")
    assert shapely.from_geojson(boundary_row["geometry_json"]).is_valid
