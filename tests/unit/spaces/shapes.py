"""SYNTHETIC test shapes: rectangles laid out in metres in EPSG:3035 near València's centre, written as GeoJSON
in longitude/latitude (the format cities send), so every expected area can be worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import shapely
from pyproj import Transformer

ORIGIN = (3_426_000.0, 1_881_000.0)  # EPSG:3035 metres, about -0.377 E 39.469 N
_TO_LONLAT = Transformer.from_crs(3035, 4326, always_xy=True)


def rect(x: float, y: float, width: float, height: float):
    """A rectangle `width` x `height` metres whose south-west corner is (x, y) metres from ORIGIN (EPSG:3035)."""
    return shapely.box(ORIGIN[0] + x, ORIGIN[1] + y, ORIGIN[0] + x + width, ORIGIN[1] + y + height)


def lonlat(geometry):
    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = _TO_LONLAT.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, apply)


def geojson(*features: tuple, crs: str | None = None, projected: bool = False) -> bytes:
    """features: (geometry in EPSG:3035 or a GeoJSON geometry dict, properties) pairs."""
    items = []
    for geometry, properties in features:
        if isinstance(geometry, dict) or geometry is None:
            shape = geometry
        else:
            shape = json.loads(shapely.to_geojson(geometry if projected else lonlat(geometry)))
        items.append({"type": "Feature", "properties": properties, "geometry": shape})
    document = {"type": "FeatureCollection", "features": items}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(document).encode()


def space(space_id: str, kind: str = "park", access: str = "free", **extra) -> dict:
    return {"space_id": space_id, "type": kind, "access": access, **extra}
