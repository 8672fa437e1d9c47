"""Unit tests for the GISCO outline reader (geojson_polygons) and its place in the raw store.

Every file is tiny, SYNTHETIC and written into tmp_path (codes ZZ/ZZ1, see tests/fixtures/README.md).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import SourceFileError
from pipelines.sources.catalog import dataset
from pipelines.sources.geojson_polygons import load_geojson_polygons
from pipelines.sources.ingest import LOADERS, ensure_empty_table, ingest_file
from tests.fixtures.specs import synthetic_spec

LINEAGE = "'unit-test' as source_file, cast(7 as bigint) as load_id"
SQUARE = [[[10.0, 50.0], [11.0, 50.0], [11.0, 51.0], [10.0, 51.0], [10.0, 50.0]]]
ISLAND = [[[12.5, 54.0], [12.75, 54.0], [12.75, 54.25], [12.5, 54.0]]]
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}


@pytest.fixture
def conn():
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


def feature(props: dict, geometry: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(rings=SQUARE) -> dict:
    return {"type": "Polygon", "coordinates": rings}


def write(tmp_path: Path, document: object, name: str = "outlines.geojson") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def collection(*features: dict, **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": list(features)}


def load(conn, path: Path, target: str = "outlines") -> int:
    return load_geojson_polygons(conn, path, target, LINEAGE)


def test_properties_lower_cased_as_text_and_geometry_kept_as_geojson(conn, tmp_path):
    path = write(
        tmp_path,
        collection(
            feature({"NUTS_ID": "ZZ", "LEVL_CODE": 0, "NAME_LATN": "Zedland", "URBN_TYPE": None}, polygon()),
            feature(
                {"NUTS_ID": "ZZ1", "LEVL_CODE": 0, "NAME_LATN": "Zed Isles"},
                {"type": "MultiPolygon", "coordinates": [SQUARE, ISLAND]},
            ),
            crs=CRS,
        ),
    )
    assert load(conn, path) == 2
    columns = conn.execute("select column_name, column_type from (describe outlines)").fetchall()
    assert columns == [
        ("nuts_id", "VARCHAR"),
        ("levl_code", "VARCHAR"),
        ("name_latn", "VARCHAR"),
        ("urbn_type", "VARCHAR"),
        ("geometry_json", "VARCHAR"),
        ("feature_index", "BIGINT"),
        ("series_key", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("load_id", "BIGINT"),
    ]
    rows = conn.execute("select nuts_id, levl_code, urbn_type, geometry_json, series_key from outlines").fetchall()
    assert [r[:3] for r in rows] == [("ZZ", "0", None), ("ZZ1", "0", None)]
    assert json.loads(rows[0][3]) == polygon()
    assert json.loads(rows[1][3]) == {"type": "MultiPolygon", "coordinates": [SQUARE, ISLAND]}
    assert " " not in rows[0][3]  # compact text: the dashboard sends it to the browser
    assert [r[4] for r in rows] == ["0", "1"]


def test_property_missing_from_first_feature_is_kept_and_gzip_is_read(conn, tmp_path):
    plain = write(
        tmp_path, collection(feature({"NUTS_ID": "ZZ1"}, polygon()), feature({"NUTS_ID": "ZZ2", "X": "y"}, polygon()))
    )
    gz = tmp_path / "outlines.geojson.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert load(conn, gz) == 2
    assert conn.execute("select nuts_id, x from outlines order by 1").fetchall() == [("ZZ1", None), ("ZZ2", "y")]


def test_crs84_and_no_crs_are_accepted(conn, tmp_path):
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert load(conn, write(tmp_path, collection(feature({}, polygon()), crs=crs84), "a.geojson")) == 1
    assert load(conn, write(tmp_path, collection(feature({}, polygon())), "b.geojson")) == 1


OPEN_RING = [[[10.0, 50.0], [11.0, 50.0], [11.0, 51.0], [10.0, 51.0]]]


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",}\n]}', "is not valid JSON", 3),
        ("", "is not valid JSON", 1),
        ("[1, 2]", "is not a GeoJSON FeatureCollection with features", None),
        (collection(), "is not a GeoJSON FeatureCollection with features", None),
        ({"type": "Feature", "geometry": polygon()}, "is not a GeoJSON FeatureCollection with features", None),
        (collection("x"), "feature 0 is not a GeoJSON Feature object", None),
        (
            collection(feature({}, polygon()), feature({}, {"type": "Point", "coordinates": [1, 2]})),
            "feature 1 is not a Polygon or MultiPolygon (geometry type 'Point')",
            None,
        ),
        (collection(feature({}, None)), "feature 0 is not a Polygon or MultiPolygon (geometry type 'NoneType')", None),
        (collection(feature({}, polygon([]))), "feature 0 has a polygon without rings", None),
        (
            collection(feature({}, polygon([[[1, 1], [2, 2], [1, 1]]]))),
            "feature 0 has a ring with fewer than 4 positions",
            None,
        ),
        (collection(feature({}, polygon(OPEN_RING))), "feature 0 has a ring that is not closed", None),
        (
            collection(feature({}, polygon([[[1, 1], [2, "2"], [3, 1], [1, 1]]]))),
            "feature 0 has a position that is not [lon, lat] numbers",
            None,
        ),
        (
            collection(feature({}, polygon([[[4321000.0, 3210000.0], [1, 2], [2, 2], [4321000.0, 3210000.0]]]))),
            "feature 0 has the position [4321000.0, 3210000.0], outside longitude/latitude",
            None,
        ),
        (
            collection(feature({}, {"type": "MultiPolygon", "coordinates": []})),
            "feature 0 is a MultiPolygon without polygons",
            None,
        ),
        (collection(feature([1], polygon())), "feature 0 has properties that are not an object", None),
        (
            collection(
                feature({}, polygon()), crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3035"}}
            ),
            "declares the coordinate reference system 'urn:ogc:def:crs:EPSG::3035', not longitude/latitude",
            None,
        ),
    ],
)
def test_malformed_files_fail_with_file_line_and_reason(conn, tmp_path, text, reason, line):
    path = write(tmp_path, text, "bad.geojson")
    with pytest.raises(SourceFileError) as info:
        load(conn, path)
    assert info.value.reason.startswith(reason), info.value.reason
    assert info.value.line == line
    assert "bad.geojson" in str(info.value)
    tables = conn.execute("select table_name from information_schema.tables").fetchall()
    assert ("outlines",) not in tables  # nothing half-loaded


def test_truncated_gzip_is_a_source_file_error(conn, tmp_path):
    path = tmp_path / "cut.geojson.gz"
    path.write_bytes(gzip.compress(json.dumps(collection(feature({}, polygon()))).encode())[:-12])
    with pytest.raises(SourceFileError, match="cannot be read"):
        load(conn, path)


# --- catalogue and raw store


def test_catalogue_declares_both_outline_levels():
    for level in (0, 3):
        spec = dataset(f"gisco_nuts_outlines_{level}")
        assert spec.format == "geojson_polygons" and LOADERS[spec.format] is load_geojson_polygons
        assert spec.snapshot_files == (f"geo/NUTS_RG_60M_2021_4326_LEVL_{level}.geojson",)
        assert spec.live == "gisco" and spec.live_path == f"nuts/geojson/NUTS_RG_60M_2021_4326_LEVL_{level}.geojson"
        assert spec.source_columns[-1] == "geometry_json"


SPEC = synthetic_spec(
    code="tst_outlines",
    format="geojson_polygons",
    snapshot_files=("geo/TST_OUTLINES.geojson",),
    live="none",
    dimensions=(),
    columns=("nuts_id", "levl_code"),
)


def test_empty_shell_has_the_catalogue_columns_and_geometry_json(conn):
    ensure_empty_table(conn, SPEC)
    columns = dict(conn.execute("select column_name, column_type from (describe raw.tst_outlines)").fetchall())
    assert columns["nuts_id"] == columns["levl_code"] == columns["geometry_json"] == "VARCHAR"
    assert "value" not in columns and {"load_id", "series_key", "source_sha256"} <= set(columns)


def test_ingest_appends_after_the_empty_shell_and_recognises_unchanged_bytes(conn, tmp_path):
    ensure_empty_table(conn, SPEC)
    path = write(tmp_path, collection(feature({"NUTS_ID": "ZZ1", "LEVL_CODE": 3, "CNTR_CODE": "ZZ"}, polygon())))
    kwargs = {"source_file": "geo/TST_OUTLINES.geojson", "origin": "snapshot", "source_last_update": None}
    first = ingest_file(conn, SPEC, path, **kwargs)
    assert first.status == "loaded" and first.rows == 1
    again = ingest_file(conn, SPEC, path, **kwargs)
    assert again.status == "unchanged"
    row = conn.execute("select nuts_id, levl_code, cntr_code, geometry_json, load_id from raw.tst_outlines").fetchall()
    assert row == [("ZZ1", "3", "ZZ", json.dumps(polygon(), separators=(",", ":")), first.load_id)]
