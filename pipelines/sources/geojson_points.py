"""Reader for GISCO label-point GeoJSON (Urban Audit cities, NUTS regions): properties plus lon/lat.

GISCO files are small and of fixed size (a few thousand features), so plain `json` is the simplest
correct reader here; the rows go to DuckDB as one Arrow table, not row by row.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.errors import SourceFileError
from pipelines.sources.files import read_feature_collection


def load_geojson_points(conn: duckdb.DuckDBPyConnection, path: Path, target: str, lineage_sql: str) -> int:
    document, features = read_feature_collection(path)
    records, names = [], {}
    for index, feature in enumerate(features):
        feature = feature if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        coords = geometry.get("coordinates")
        if (
            geometry.get("type") != "Point"
            or not isinstance(coords, list)
            or len(coords) < 2
            or not all(isinstance(c, int | float) for c in coords[:2])
        ):
            raise SourceFileError(path, f"feature {index} is not a Point with [lon, lat] coordinates")
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise SourceFileError(path, f"feature {index} has properties that are not an object")
        props = {str(k).lower(): (None if v is None else str(v)) for k, v in properties.items()}
        names.update(dict.fromkeys(props))
        props["lon"], props["lat"] = float(coords[0]), float(coords[1])
        props["feature_index"] = index
        records.append(props)
    # explicit schema: every property any feature has (not only the first feature's), always as text
    schema = pa.schema(
        [(name, pa.string()) for name in names if name not in ("lon", "lat", "feature_index")]
        + [("lon", pa.float64()), ("lat", pa.float64()), ("feature_index", pa.int64())]
    )
    table = pa.Table.from_pylist(records, schema=schema)
    conn.register("_geojson_points", table)
    try:
        conn.execute(
            f"""create or replace table {target} as
                select *, cast(feature_index as varchar) as series_key, {lineage_sql}
                from _geojson_points"""
        )
    finally:
        conn.unregister("_geojson_points")
    return conn.execute(f"select count(*) from {target}").fetchall()[0][0]
