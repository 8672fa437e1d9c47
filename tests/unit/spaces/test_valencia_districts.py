"""The real València districts file (snapshot city_reported/valencia/Distritos.geojson, read in place) loads as is
with a mapping: 22 features, district 17 (Poblats del Nord) in four parts kept as the city's own codes d171-d174
(docs/adr/0016), no overlaps beyond digitising slivers, 136.96 km² in EPSG:3035."""

from __future__ import annotations

import itertools
import json

import pytest
import shapely
from pyproj import Transformer

from pipelines.spaces.compute import city_boundary, city_districts
from pipelines.spaces.layers import LayerMapping
from pipelines.spaces.validate import check_layer
from tests.conftest import real_snapshot_dir

MAPPING = LayerMapping.from_options(["coddistrit=district_code", "nombre=name"])


@pytest.fixture(scope="module")
def districts_file():
    return real_snapshot_dir() / "city_reported" / "valencia" / "Distritos.geojson"


def independent_areas(path) -> dict[str, float]:
    """Areas in km² computed without pipelines.spaces: plain json, pyproj on each ring, shapely.Polygon."""
    to_laea = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)

    def ring(positions):
        xs, ys = to_laea.transform([p[0] for p in positions], [p[1] for p in positions])
        return list(zip(xs, ys, strict=True))

    areas = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        area = sum(shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]).area for rings in polygons)
        areas[feature["properties"]["coddistrit"]] = area / 1e6
    return areas


def test_valencia_districts_load_with_a_mapping(districts_file):
    layer = check_layer(districts_file.read_bytes(), districts_file.name, "districts", MAPPING)
    assert layer.accepted, [str(p) for p in layer.problems if p.severity == "error"]
    assert {p.rule for p in layer.problems} <= {"district_slivers"}
    codes = [f.properties["district_code"] for f in layer.features]
    assert len(codes) == 22
    expected = {f"d{n}" for n in range(1, 20) if n != 17} | {"d171", "d172", "d173", "d174"}
    assert set(codes) == expected
    names = {f.properties["district_code"]: f.properties["name"] for f in layer.features}
    assert {names[c] for c in ("d171", "d172", "d173", "d174")} == {"POBLATS DEL NORD"}
    assert names["d1"] == "CIUTAT VELLA"


def test_valencia_districts_without_a_mapping_say_which_attribute_to_map(districts_file):
    layer = check_layer(districts_file.read_bytes(), districts_file.name, "districts")
    (problem,) = [p for p in layer.problems if p.severity == "error"]
    assert (
        "attributes are: nombre, coddistrit" in problem.message and "--map ATTRIBUTE=district_code" in problem.message
    )


def test_valencia_area_is_136_96_km2_and_agrees_with_an_independent_computation(districts_file):
    independent = independent_areas(districts_file)
    assert sum(independent.values()) == pytest.approx(136.96, rel=2e-3)
    layer = check_layer(districts_file.read_bytes(), districts_file.name, "districts", MAPPING)
    ours = {f.properties["district_code"]: g.area / 1e6 for f, g in zip(layer.usable(), layer.projected(), strict=True)}
    assert ours == pytest.approx(independent, rel=1e-9)
    outline = city_boundary(None, layer, "ES003C")
    assert outline.geometry.area / 1e6 == pytest.approx(136.96, rel=2e-3)
    assert len(city_districts(layer, outline)) == 22


def test_valencia_districts_do_not_overlap(districts_file):
    layer = check_layer(districts_file.read_bytes(), districts_file.name, "districts", MAPPING)
    geoms = layer.projected()
    overlap = sum(shapely.intersection(a, b).area for a, b in itertools.combinations(geoms, 2))
    total = sum(g.area for g in geoms)
    assert overlap / total < 1e-5  # 675 m² of slivers along shared borders in 137 km²
    assert shapely.union_all(geoms).area == pytest.approx(total, rel=1e-5)
