"""Reader for GISCO region GeoJSON (NUTS outlines): properties plus the geometry as GeoJSON text.

Like the label points (geojson_points.py), GISCO outline files are small and of fixed size (the 1:60 million
NUTS 3 file is ~1 500 features, under 1 MB), so plain `json` is the simplest correct reader. The geometry is
kept as compact GeoJSON text (`geometry_json`), not a spatial type: the marts stay portable SQL and the
dashboard draws the text directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.sources.files import read_feature_collection

POLYGON_TYPES = ("Polygon", "MultiPolygon")
# CRS names GeoJSON files use for plain longitude/latitude (RFC 7946 has no `crs` member; GISCO still writes one)
LONLAT_CRS = ("urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84")


def _position_problem(position: object) -> str | None:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
    ):
        return "has a position that is not [lon, lat] numbers"
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"has the position [{lon}, {lat}], outside longitude/latitude (is the file in a projected CRS?)"
    return None


def _ring_problem(ring: object) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return "has a ring with fewer than 4 positions"
    for position in ring:
        problem = _position_problem(position)
        if problem:
            return problem
    if ring[0][:2] != ring[-1][:2]:
        return "has a ring that is not closed (first and last positions differ)"
    return None


def _polygon_problem(rings: object) -> str | None:
    if not isinstance(rings, list) or not rings:
        return "has a polygon without rings"
    for ring in rings:
        problem = _ring_problem(ring)
        if problem:
            return problem
    return None


def geometry_problem(geometry: object) -> str | None:
    """Why `geometry` is not a valid GeoJSON Polygon or MultiPolygon in lon/lat, or None when it is."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        found = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return f"is not a Polygon or MultiPolygon (geometry type {found!r})"
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        return _polygon_problem(coordinates)
    if not isinstance(coordinates, list) or not coordinates:
        return "is a MultiPolygon without polygons"
    for polygon in coordinates:
        problem = _polygon_problem(polygon)
        if problem:
            return problem
    return None


def _read(path: Path) -> dict:
    document, features = read_feature_collection(path)
    crs = document.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and name not in LONLAT_CRS:
        raise SourceFileError(
            path,
            f"declares the coordinate reference system {name or crs!r}, not longitude/latitude (EPSG:4326)",
            hint="Download the *_4326_* variant of the GISCO file.",
        )
    return document


def load_geojson_polygons(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    document = _read(path)
    records, names = [], {}
    for index, feature in enumerate(document["features"]):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise SourceFileError(path, f"feature {index} is not a GeoJSON Feature object")
        problem = geometry_problem(feature.get("geometry"))
        if problem:
            raise SourceFileError(path, f"feature {index} {problem}")
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise SourceFileError(path, f"feature {index} has properties that are not an object")
        props = {str(k).lower(): (None if v is None else str(v)) for k, v in properties.items()}
        names.update(dict.fromkeys(props))
        props["geometry_json"] = json.dumps(feature["geometry"], separators=(",", ":"))
        props["feature_index"] = index
        records.append(props)
    # explicit schema: every property any feature has (not only the first feature's), always as text
    schema = pa.schema(
        [(name, pa.string()) for name in names if name not in ("geometry_json", "feature_index")]
        + [("geometry_json", pa.string()), ("feature_index", pa.int64())]
    )
    table = pa.Table.from_pylist(records, schema=schema)
    conn.register("_geojson_polygons", table)
    try:
        conn.execute(
            f"""create or replace table {target} as
                select *, cast(feature_index as varchar) as series_key, {lineage_sql}
                from _geojson_polygons"""
        )
    finally:
        conn.unregister("_geojson_polygons")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]
