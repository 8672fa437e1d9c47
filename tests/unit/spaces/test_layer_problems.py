"""Every bad public-space layer gets a clear message naming the feature, the attribute, the value and the fix,
and any error rejects the file. SYNTHETIC shapes (tests/unit/spaces/shapes.py); GeoPackages are written by the
tests into tmp_path."""

from __future__ import annotations

import json

import numpy as np
import pyogrio.raw
import pytest
import shapely

from pipelines.spaces.layers import LayerMapping
from pipelines.spaces.validate import check_layer
from tests.unit.spaces.shapes import ORIGIN, geojson, lonlat, rect, space

KM = 1000.0
BOUNDARY = rect(0, 0, KM, KM)


def problems(layer, rule: str) -> list:
    return [p for p in layer.problems if p.rule == rule]


def only_error(layer, rule: str):
    assert not layer.accepted
    (problem,) = problems(layer, rule)
    assert problem.severity == "error"
    return problem


def spaces(*features, **kwargs):
    return check_layer(geojson(*features), "spaces.geojson", "open-spaces", **kwargs)


# ------------------------------------------------------------------------------------------------ the file
def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed():
    data = b"{" + b" " * 2_000  # not even JSON: the size check comes first
    layer = check_layer(data, "big.geojson", "open-spaces", max_bytes=1_000)
    problem = only_error(layer, "file_size")
    assert problem.message.startswith("The file is 2.0 kB, over the 1.0 kB limit.")
    assert "SPS_UPLOAD_MAX_MB" in problem.message
    assert layer.problems == [problem]


def test_a_file_that_is_neither_geojson_nor_geopackage():
    layer = check_layer(b"name;type\nPark;park\n", "spaces.csv", "open-spaces")
    problem = only_error(layer, "format")
    assert "'spaces.csv' is neither GeoJSON nor a GeoPackage" in problem.message


def test_broken_json_names_the_line_and_column():
    layer = check_layer(b'{"type": "FeatureCollection",\n "features": [}', "s.geojson", "open-spaces")
    problem = only_error(layer, "file")
    assert "not valid JSON (line 2, column 15" in problem.message


def test_json_that_is_not_geojson():
    layer = check_layer(b'{"parks": []}', "s.geojson", "open-spaces")
    assert "JSON but not GeoJSON" in only_error(layer, "format").message


def test_an_empty_collection_is_refused():
    layer = check_layer(b'{"type": "FeatureCollection", "features": []}', "s.geojson", "open-spaces")
    assert "holds no features" in only_error(layer, "empty").message


def test_an_empty_file_is_refused():
    layer = check_layer(b"  \n", "s.geojson", "open-spaces")
    assert "The file is empty" in only_error(layer, "file").message


# ------------------------------------------------------------------------------------------------ geometries
def test_points_and_lines_are_not_open_spaces():
    point = {"type": "Point", "coordinates": [-0.37, 39.47]}
    line = {"type": "LineString", "coordinates": [[-0.37, 39.47], [-0.36, 39.47]]}
    layer = spaces((point, space("bench")), (line, space("path")), (rect(0, 0, 10, 10), space("ok")))
    found = problems(layer, "geometry_type")
    assert [p.row for p in found] == [1, 2]
    assert found[0].message.startswith("feature 1 (space_id 'bench') is a Point, not a Polygon or MultiPolygon")
    assert found[1].value == "LineString" and found[1].column == "geometry"


def test_a_feature_without_geometry():
    layer = spaces((None, space("ghost")))
    assert "feature 1 (space_id 'ghost') has no geometry" in only_error(layer, "geometry_empty").message


def test_a_geometry_that_cannot_be_read():
    broken = {"type": "Polygon", "coordinates": [[[-0.37, 39.47], [-0.36]]]}
    layer = spaces((broken, space("bad")))
    problem = only_error(layer, "geometry_unreadable")
    assert problem.message.startswith("feature 1 (space_id 'bad') has a Polygon geometry that cannot be read")


def bowtie():
    x0, y0 = ORIGIN
    return shapely.Polygon([(x0, y0), (x0 + 100, y0 + 100), (x0 + 100, y0), (x0, y0 + 100), (x0, y0)])


def test_a_self_intersecting_polygon_is_refused_without_repair():
    layer = spaces((bowtie(), space("bow")))
    problem = only_error(layer, "geometry_invalid")
    assert problem.message.startswith("feature 1 (space_id 'bow') is not a valid polygon: Self-intersection[")
    assert "--repair" in problem.message and "Fix Geometries" in problem.message


def test_repair_makes_it_valid_and_says_so():
    layer = spaces((bowtie(), space("bow")), repair=True)
    assert layer.accepted
    (note,) = problems(layer, "geometry_repaired")
    assert note.severity == "warning"
    assert "repaired with make_valid" in note.message and "5,000 m² repaired" in note.message
    (feature,) = layer.usable()
    assert feature.repaired and feature.geometry.is_valid
    assert layer.projected()[0].area == pytest.approx(5_000, rel=1e-3)  # two triangles, base 100 m, height 50 m


def test_projected_coordinates_without_a_crs_are_refused_once():
    data = geojson((rect(0, 0, 100, 100), space("a")), (rect(200, 0, 100, 100), space("b")), projected=True)
    layer = check_layer(data, "s.geojson", "open-spaces")
    problem = only_error(layer, "coordinates")
    assert problem.message.startswith(
        f"No coordinate is a longitude/latitude (the first feature starts at x={ORIGIN[0]:.0f}"
    )
    assert "declares no coordinate reference system" in problem.message and "EPSG:4326" in problem.message


def test_one_feature_in_metres_among_longitudes_is_named():
    metres = json.loads(shapely.to_geojson(rect(0, 0, 100, 100)))
    layer = spaces((rect(0, 0, 100, 100), space("ok")), (metres, space("utm")))
    problem = only_error(layer, "coordinates")
    assert (
        problem.row == 2 and "feature 2 (space_id 'utm') has coordinates outside longitude/latitude" in problem.message
    )


def test_a_declared_projected_crs_is_transformed_and_reported():
    data = geojson((rect(0, 0, 100, 100), space("a")), projected=True, crs="urn:ogc:def:crs:EPSG::3035")
    layer = check_layer(data, "s.geojson", "open-spaces")
    assert layer.accepted
    (note,) = problems(layer, "crs")
    assert note.severity == "warning" and "transformed from EPSG:3035" in note.message
    assert layer.projected()[0].area == pytest.approx(10_000, rel=1e-6)


def test_an_unknown_crs_is_refused():
    data = geojson((rect(0, 0, 100, 100), space("a")), projected=True, crs="urn:ogc:def:crs:EPSG::999999")
    problem = only_error(check_layer(data, "s.geojson", "open-spaces"), "crs")
    assert "'urn:ogc:def:crs:EPSG::999999', which is not known" in problem.message


# ------------------------------------------------------------------------------------------------ attributes
def test_a_missing_property_tells_how_to_map_it():
    layer = spaces((rect(0, 0, 10, 10), {"space_id": "p1", "tipo": "park", "access": "free"}))
    problem = only_error(layer, "missing_property")
    assert "No feature has the property 'type'" in problem.message
    assert "attributes are: space_id, tipo, access" in problem.message and "--map ATTRIBUTE=type" in problem.message


def test_mapping_renames_attributes_and_maps_values():
    features = ((rect(0, 0, 10, 10), {"codigo": "p1", "tipo": "Jardín", "acceso": "libre"}),)
    mapping = LayerMapping(
        {"codigo": "space_id", "tipo": "type", "acceso": "access"},
        {"type": {"Jardín": "garden"}, "access": {"libre": "free"}},
    )
    layer = check_layer(geojson(*features), "s.geojson", "open-spaces", mapping)
    assert layer.accepted, [str(p) for p in layer.problems]
    (feature,) = layer.features
    assert feature.properties["space_id"] == "p1"
    assert (feature.properties["type"], feature.properties["access"]) == ("garden", "free")
    assert feature.properties["ownership"] == "unknown"


def test_map_options_are_parsed_and_checked():
    assert LayerMapping.from_options(["coddistrit=district_code"]).columns == {"coddistrit": "district_code"}
    with pytest.raises(ValueError, match="write it as ATTRIBUTE=property"):
        LayerMapping.from_options(["coddistrit"])
    features = ((rect(0, 0, 10, 10), space("p")),)
    layer = check_layer(geojson(*features), "s.geojson", "open-spaces", LayerMapping({"space_id": "title"}))
    assert "'title' is not a property of the open-spaces layer" in only_error(layer, "mapping").message
    layer = check_layer(geojson(*features), "s.geojson", "open-spaces", LayerMapping({"nom": "name"}))
    assert (
        "the file has no attribute 'nom' (its attributes: space_id, type, access)"
        in only_error(layer, "mapping").message
    )


def test_values_outside_the_lists_name_the_allowed_ones():
    layer = spaces(
        (rect(0, 0, 10, 10), space("p1", kind="forest")),
        (rect(20, 0, 10, 10), space("p2", access="members")),
        (rect(40, 0, 10, 10), space("p3", kind="Sports ground", access="Restricted hours")),
    )
    by_row = {p.row: p for p in problems(layer, "value_not_allowed")}
    assert set(by_row) == {1, 2}
    assert by_row[1].message.startswith("feature 1 (space_id 'p1'): type 'forest' is not one of park, garden, square")
    assert by_row[2].column == "access" and "free, restricted_hours, fee" in by_row[2].message
    assert layer.features[2].properties["type"] == "sports_ground"


def test_duplicate_ids_name_both_features():
    layer = spaces((rect(0, 0, 10, 10), space("p1")), (rect(20, 0, 10, 10), space("p1")))
    problem = only_error(layer, "duplicate_id")
    assert problem.row == 2 and "space_id 'p1' is already used by feature 1" in problem.message


def test_a_missing_id_value_and_ids_taken_from_features():
    layer = spaces(
        (rect(0, 0, 10, 10), {"type": "park", "access": "free", "space_id": None}), (rect(20, 0, 10, 10), space("p"))
    )
    assert "feature 1 has no space_id" in only_error(layer, "missing_value").message
    document = json.loads(geojson((rect(0, 0, 10, 10), {"type": "park", "access": "free"})))
    document["features"][0]["id"] = 7
    layer = check_layer(json.dumps(document).encode(), "s.geojson", "open-spaces")
    assert layer.accepted and layer.features[0].properties["space_id"] == "7"
    assert problems(layer, "ids_from_features")[0].severity == "warning"


def test_population_must_be_a_whole_number():
    data = geojson((rect(0, 0, 10, 10), {"district_code": "d1", "population": "12.345,5"}))
    problem = only_error(check_layer(data, "d.geojson", "districts"), "population")
    assert "population '12.345,5' is not a whole number" in problem.message


def test_a_district_code_must_be_a_code():
    data = geojson((rect(0, 0, 10, 10), {"district_code": "Ciutat Vella"}))
    problem = only_error(check_layer(data, "d.geojson", "districts"), "district_code")
    assert "district_code 'Ciutat Vella' is not a code" in problem.message


def test_overlapping_districts_are_refused_and_slivers_only_reported():
    data = geojson(
        (rect(0, 0, 500, KM), {"district_code": "w"}),
        (rect(400, 0, 600, KM), {"district_code": "e"}),
    )
    problem = only_error(check_layer(data, "d.geojson", "districts"), "district_overlap")
    assert "feature 1 (district_code 'w') and feature 2 (district_code 'e') overlap by 100,000 m²" in problem.message
    slivers = geojson(
        (rect(0, 0, 500.2, KM), {"district_code": "w"}),  # 0.2 m x 1 km = 200 m², 0.04 % of a district
        (rect(500, 0, 500, KM), {"district_code": "e"}),
    )
    layer = check_layer(slivers, "d.geojson", "districts")
    assert layer.accepted
    assert (
        "1 pairs of districts overlap by digitising slivers (200 m² in all"
        in problems(layer, "district_slivers")[0].message
    )


def test_a_space_outside_the_boundary_is_refused_and_one_near_the_edge_is_not():
    layer = spaces(
        (rect(3 * KM, 0, 100, 100), space("far")),
        (rect(KM + 10, 0, 30, 30), space("within-tolerance")),
        (rect(100, 100, 10, 10), space("inside")),
        boundary=BOUNDARY,
    )
    problem = only_error(layer, "outside_boundary")
    assert problem.message.startswith("feature 1 (space_id 'far') lies outside the city boundary (2,000 m from it)")
    assert "longitude and latitude swapped?" in problem.message


def test_boundary_parts_are_merged_and_types_must_agree():
    data = geojson(
        (rect(0, 0, 100, 100), {"boundary_type": "built_up"}),
        (rect(200, 0, 100, 100), {"boundary_type": "administrative"}),
    )
    layer = check_layer(data, "b.geojson", "boundary")
    assert "mix boundary_type built_up and administrative" in only_error(layer, "boundary_type").message
    assert "2 features; they are merged" in problems(layer, "boundary_parts")[0].message


# ------------------------------------------------------------------------------------------------ GeoPackage
def write_gpkg(path, geometries, crs: str | None, layer: str = "spaces", **columns):
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(np.array(geometries, dtype=object)),
        [np.array(v, dtype=object) for v in columns.values()],
        list(columns),
        layer=layer,
        geometry_type="Polygon",
        crs=crs,
        driver="GPKG",
        append=path.exists(),
    )


def test_a_geopackage_in_its_own_crs_is_read_and_transformed(tmp_path):
    path = tmp_path / "spaces.gpkg"
    write_gpkg(
        path,
        [rect(0, 0, 100, 100), rect(200, 0, 100, 50)],
        "EPSG:3035",
        space_id=["a", "b"],
        type=["park", "garden"],
        access=["free", "free"],
    )
    layer = check_layer(path.read_bytes(), "spaces.gpkg", "open-spaces")
    assert layer.accepted, [str(p) for p in layer.problems]
    assert layer.file_format == "gpkg"
    assert [f.properties["space_id"] for f in layer.features] == ["a", "b"]
    assert sorted(g.area for g in layer.projected()) == pytest.approx([5_000, 10_000], rel=1e-6)
    assert "transformed from EPSG:3035" in problems(layer, "crs")[0].message


def test_a_geopackage_in_longitude_latitude_needs_no_transformation(tmp_path):
    path = tmp_path / "spaces.gpkg"
    write_gpkg(path, [lonlat(rect(0, 0, 100, 100))], "EPSG:4326", space_id=["a"], type=["park"], access=["fee"])
    layer = check_layer(path.read_bytes(), "spaces.gpkg", "open-spaces")
    assert layer.accepted and not problems(layer, "crs")
    assert layer.projected()[0].area == pytest.approx(10_000, rel=1e-6)


def test_a_geopackage_with_two_layers_is_refused(tmp_path):
    path = tmp_path / "two.gpkg"
    write_gpkg(path, [rect(0, 0, 100, 100)], "EPSG:3035", layer="parks", space_id=["a"])
    write_gpkg(path, [rect(0, 0, 100, 100)], "EPSG:3035", layer="gardens", space_id=["b"])
    problem = only_error(check_layer(path.read_bytes(), "two.gpkg", "open-spaces"), "format")
    assert "exactly one layer with geometries; it has 2 (parks, gardens)" in problem.message


def test_a_damaged_geopackage_is_refused(tmp_path):
    path = tmp_path / "spaces.gpkg"
    write_gpkg(path, [rect(0, 0, 100, 100)], "EPSG:3035", space_id=["a"])
    data = path.read_bytes()
    problem = only_error(check_layer(data[: len(data) // 3], "spaces.gpkg", "open-spaces"), "file")
    assert problem.message.startswith("The GeoPackage cannot be read")
