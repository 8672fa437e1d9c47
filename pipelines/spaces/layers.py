"""Reading a city's public-space layer (GeoJSON or GeoPackage) into features with canonical properties and
shapely geometries in WGS 84 longitude/latitude, with every geometric problem found (docs/adr/0015).

GeoJSON is parsed with the standard `json` module and each geometry built by shapely, so a problem names the
feature (its position in the file and its id) and the exact reason; a GeoPackage is an SQLite file with its own
geometry encoding, CRS table and extensions, so it is read through GDAL (pyogrio.raw: arrays, no GeoDataFrame).
Both end in the same checks. The size limit is checked before anything is parsed.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import shapely
import yaml
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from pipelines.spaces.vocabulary import ID_PROPERTY, KINDS, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES
from pipelines.uploads.problems import Problem, error, warning

GPKG_MAGIC = b"SQLite format 3\x00"
# CRS names GeoJSON files use for plain longitude/latitude (RFC 7946 has no `crs` member; older files write one).
LONLAT_CRS_NAMES = {"urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84"}
EQUAL_AREA_EPSG = 3035  # ETRS89-LAEA Europe: every area and distance is measured in it
POLYGON_TYPE_IDS = (3, 6)  # shapely: Polygon, MultiPolygon
GEOMETRY_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def default_max_bytes() -> int:
    """The upload size limit (SPS_UPLOAD_MAX_MB, the same variable as city uploads; README)."""
    return int(float(os.environ.get("SPS_UPLOAD_MAX_MB", "20")) * 1_000_000)


@dataclass
class LayerMapping:
    """How a file's attributes map onto the canonical properties: `columns` file attribute -> canonical name
    (`--map coddistrit=district_code`), `values` canonical name -> {file value: canonical value}."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: list[str] | None) -> LayerMapping:
        """From `--map ATTR=field` options; a malformed option raises ValueError with the fix."""
        columns = {}
        for option in options or []:
            source, sep, target = option.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise ValueError(
                    f"--map {option!r}: write it as ATTRIBUTE=property, e.g. --map coddistrit=district_code"
                )
            columns[source.strip()] = target.strip()
        return cls(columns)

    @classmethod
    def from_yaml(cls, text: str) -> LayerMapping:
        data = yaml.safe_load(text) or {}
        return cls(
            {str(k): str(v) for k, v in (data.get("columns") or {}).items()},
            {str(k): {str(a): str(b) for a, b in (v or {}).items()} for k, v in (data.get("values") or {}).items()},
        )

    def as_dict(self) -> dict:
        return {k: v for k, v in {"columns": self.columns, "values": self.values}.items() if v}


@dataclass
class Feature:
    number: int  # position in the file, from 1
    fid: str | None  # the GeoJSON feature's `id` or the GeoPackage fid
    properties: dict[str, str | None]  # canonical names (after mapping), text; unmapped attributes keep their name
    geometry: object | None = None  # shapely Polygon/MultiPolygon in lon/lat, None when it cannot be used
    repaired: bool = False

    def ref(self, id_property: str | None = None) -> str:
        ident = self.properties.get(id_property) if id_property else None
        return f"feature {self.number}" + (f" ({id_property} {ident!r})" if ident else "")


@dataclass
class Layer:
    kind: str
    file_format: str | None  # geojson | gpkg
    features: list[Feature] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)  # the file's own attribute names, in order
    declared_crs: str | None = None
    problems: list[Problem] = field(default_factory=list)
    values_mapping: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical name -> {file value: value}
    _projected: np.ndarray | None = None

    @property
    def id_property(self) -> str:
        return ID_PROPERTY[self.kind]

    def ref(self, feature: Feature) -> str:
        return feature.ref(self.id_property)

    @property
    def accepted(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def usable(self) -> list[Feature]:
        return [f for f in self.features if f.geometry is not None]

    def projected(self) -> np.ndarray:
        """The usable features' geometries in EPSG:3035 (metres, equal area), in `usable()` order."""
        if self._projected is None:
            self._projected = to_equal_area(np.array([f.geometry for f in self.usable()], dtype=object))
        return self._projected


@cache
def transformer(source, target) -> Transformer:
    """One transformer per pair of CRSs per process: building one reads PROJ's database (~20 ms, far more on a
    busy machine), and every layer needs the same few."""
    return Transformer.from_crs(source, target, always_xy=True)


def _lonlat_to(epsg: int) -> Transformer:
    return transformer(4326, epsg)


def transform_coordinates(geoms: np.ndarray, transformer: Transformer) -> np.ndarray:
    """Every coordinate of `geoms` (an array) through `transformer`, in one call."""

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def to_equal_area(geoms: np.ndarray) -> np.ndarray:
    """Lon/lat geometries (an array) to ETRS89-LAEA (EPSG:3035), vectorised over every coordinate."""
    return transform_coordinates(geoms, _lonlat_to(EQUAL_AREA_EPSG))


def read_layer(
    data: bytes,
    filename: str,
    kind: str,
    mapping: LayerMapping | None = None,
    *,
    repair: bool = False,
    max_bytes: int | None = None,
) -> Layer:
    """Every problem of the file's format, coordinates and geometries (attribute and boundary checks: validate)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    limit = default_max_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        return Layer(
            kind,
            None,
            problems=[
                error(
                    "file_size",
                    f"The file is {_size(len(data))}, over the {_size(limit)} limit. Split the layer "
                    "(e.g. one file per district), simplify the shapes (about 1 m is enough), or ask the secretariat "
                    "to raise SPS_UPLOAD_MAX_MB.",
                )
            ],
        )
    if not data.strip():
        return Layer(kind, None, problems=[error("file", "The file is empty. Export the layer again.")])
    if data.startswith(GPKG_MAGIC):
        layer = _read_geopackage(data, kind)
    elif data.lstrip()[:1] in (b"{", b"\xef"):
        layer = _read_geojson(data, kind)
    else:
        return Layer(
            kind,
            None,
            problems=[
                error(
                    "format",
                    f"{os.path.basename(filename.replace(chr(92), '/'))!r} is neither GeoJSON nor a GeoPackage. "
                    "Export the layer as GeoJSON (WGS 84) or GeoPackage from your GIS (a zipped shapefile can be "
                    "saved as GeoPackage in QGIS: Export > Save Features As).",
                )
            ],
        )
    if not layer.accepted:
        return layer
    if not layer.features:
        layer.problems.append(
            error("empty", "The file holds no features. Export the layer with its features (check any filter).")
        )
        return layer
    _apply_mapping(layer, mapping or LayerMapping())
    _check_geometries(layer, repair)
    return layer


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


# ------------------------------------------------------------------------------------------------ GeoJSON
def _read_geojson(data: bytes, kind: str) -> Layer:
    layer = Layer(kind, "geojson")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        layer.problems.append(error("file", "The file is not UTF-8 text. Export the GeoJSON again as UTF-8."))
        return layer
    except json.JSONDecodeError as exc:
        layer.problems.append(
            error(
                "file",
                f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). Export the layer "
                "again; a file cut short by a failed download or edited by hand often looks like this.",
            )
        )
        return layer
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
    elif isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") in GEOMETRY_TYPE_NAMES.values():
        features = [{"type": "Feature", "properties": {}, "geometry": document}]
    else:
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        layer.problems.append(
            error("format", f"The file is JSON but not GeoJSON (type {found!r}). Send a GeoJSON FeatureCollection.")
        )
        return layer
    if not isinstance(features, list):
        layer.problems.append(error("format", "The FeatureCollection has no `features` list. Export the layer again."))
        return layer
    layer.declared_crs = _declared_geojson_crs(document, layer)
    names: dict[str, None] = {}
    for number, item in enumerate(features, start=1):
        if not isinstance(item, dict) or item.get("type") != "Feature":
            layer.problems.append(error("feature", f"Feature {number} is not a GeoJSON Feature object.", row=number))
            continue
        properties = item.get("properties") or {}
        if not isinstance(properties, dict):
            layer.problems.append(
                error("feature", f"Feature {number} has `properties` that are not an object.", row=number)
            )
            properties = {}
        text = {str(k): _text(v) for k, v in properties.items()}
        names.update(dict.fromkeys(text))
        fid = item.get("id")
        feature = Feature(number, None if fid is None else str(fid), text)
        feature.geometry = _geojson_geometry(item.get("geometry"), feature, layer)
        layer.features.append(feature)
    layer.attributes = list(names)
    return layer


def _declared_geojson_crs(document: dict, layer: Layer) -> str | None:
    crs = document.get("crs")
    if crs is None:
        return None
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    return None if name in LONLAT_CRS_NAMES else str(name or crs)


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _geojson_geometry(geometry, feature: Feature, layer: Layer):
    if geometry is None:
        layer.problems.append(
            error(
                "geometry_empty",
                f"{layer.ref(feature)} has no geometry. Draw its shape or leave the feature out.",
                row=feature.number,
                column="geometry",
            )
        )
        return None
    try:
        return shapely.geometry.shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates; the reason is shown
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        layer.problems.append(
            error(
                "geometry_unreadable",
                f"{layer.ref(feature)} has a {kind} geometry that cannot be read ({exc}). Its coordinates must be "
                "[longitude, latitude] pairs in closed rings; export the layer again from your GIS.",
                row=feature.number,
                column="geometry",
            )
        )
        return None


# ------------------------------------------------------------------------------------------------ GeoPackage
def _read_geopackage(data: bytes, kind: str) -> Layer:
    import pyogrio
    import pyogrio.raw
    from pyogrio.errors import DataLayerError, DataSourceError

    layer = Layer(kind, "gpkg")
    with warnings.catch_warnings():
        # GDAL notes that an in-memory copy has no .gpkg extension: true, and harmless.
        warnings.filterwarnings("ignore", message=".*non conformant file extension.*")
        try:
            layers = pyogrio.list_layers(io.BytesIO(data))
            spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
            if len(spatial) != 1:
                found = ", ".join(spatial) or "none"
                layer.problems.append(
                    error(
                        "format",
                        f"The GeoPackage must hold exactly one layer with geometries; it has {len(spatial)} "
                        f"({found}). Save the one layer you mean to send into its own GeoPackage.",
                    )
                )
                return layer
            meta, fids, wkb, columns = pyogrio.raw.read(
                io.BytesIO(data), layer=spatial[0], return_fids=True, datetime_as_string=True
            )
        except (DataSourceError, DataLayerError) as exc:
            layer.problems.append(
                error("file", f"The GeoPackage cannot be read ({exc}). Save the layer again as GeoPackage.")
            )
            return layer
    names = [str(n) for n in meta["fields"]]
    layer.attributes = names
    crs = meta.get("crs")
    if crs:
        try:
            layer.declared_crs = None if CRS.from_user_input(crs).equals(CRS.from_epsg(4326)) else str(crs)
        except CRSError:
            layer.declared_crs = str(crs)
    geometries = shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else np.full(len(fids), None)
    for index in range(len(fids)):
        properties = {name: _text(column[index]) for name, column in zip(names, columns, strict=True)}
        feature = Feature(index + 1, str(fids[index]), properties)
        geometry = geometries[index]
        if geometry is None:
            layer.problems.append(
                error(
                    "geometry_empty",
                    f"{layer.ref(feature)} has no geometry (or one GDAL cannot decode). Draw its shape or leave it "
                    "out.",
                    row=feature.number,
                    column="geometry",
                )
            )
        feature.geometry = geometry
        layer.features.append(feature)
    return layer


# ------------------------------------------------------------------------------------------------ mapping
def _apply_mapping(layer: Layer, mapping: LayerMapping) -> None:
    canonical = set(REQUIRED_PROPERTIES[layer.kind]) | set(OPTIONAL_PROPERTIES[layer.kind])
    allowed = ", ".join(REQUIRED_PROPERTIES[layer.kind] + OPTIONAL_PROPERTIES[layer.kind])
    rename = {}
    for source, target in mapping.columns.items():
        if target not in canonical:
            layer.problems.append(
                error(
                    "mapping",
                    f"--map {source}={target}: {target!r} is not a property of the {layer.kind} layer (use one of "
                    f"{allowed}).",
                    column=source,
                    value=target,
                )
            )
        elif source not in layer.attributes:
            layer.problems.append(
                error(
                    "mapping",
                    f"--map {source}={target}: the file has no attribute {source!r} (its attributes: "
                    f"{', '.join(layer.attributes) or 'none'}).",
                    column=source,
                    value=source,
                )
            )
        else:
            rename[source] = target
    for target, count in _counts(rename.values()).items():
        if count > 1:
            sources = [s for s, t in rename.items() if t == target]
            layer.problems.append(
                error(
                    "mapping",
                    f"{' and '.join(sources)} are all mapped onto {target}. Map only one attribute onto it.",
                    value=target,
                )
            )
    if rename:
        for feature in layer.features:
            feature.properties = {
                name: value for name, value in feature.properties.items() if name not in rename.values()
            } | {rename.get(name, name): value for name, value in feature.properties.items() if name in rename}
    layer.values_mapping = mapping.values


def _counts(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


# ------------------------------------------------------------------------------------------------ geometry
def _check_geometries(layer: Layer, repair: bool) -> None:
    features = layer.usable()
    if not features:
        return
    geoms = shapely.force_2d(np.array([f.geometry for f in features], dtype=object))
    type_ids = shapely.get_type_id(geoms)
    for feature, geometry, type_id in zip(features, geoms, type_ids, strict=True):
        feature.geometry = geometry
        if type_id not in POLYGON_TYPE_IDS:
            layer.problems.append(
                error(
                    "geometry_type",
                    f"{layer.ref(feature)} is a {GEOMETRY_TYPE_NAMES.get(int(type_id), 'geometry')}, not a Polygon or "
                    f"MultiPolygon. This {layer.kind} layer holds areas: draw the outline, or leave points and lines "
                    "out of this file.",
                    row=feature.number,
                    column="geometry",
                    value=GEOMETRY_TYPE_NAMES.get(int(type_id)),
                )
            )
            feature.geometry = None
        elif shapely.is_empty(geometry):
            layer.problems.append(
                error(
                    "geometry_empty",
                    f"{layer.ref(feature)} has an empty geometry. Draw its shape or leave the feature out.",
                    row=feature.number,
                    column="geometry",
                )
            )
            feature.geometry = None
    features = layer.usable()
    if not features:
        return
    if layer.declared_crs is not None and not _reproject(layer, features):
        return
    _check_lonlat(layer, features)
    _check_validity(layer, layer.usable(), repair)


def _reproject(layer: Layer, features: list[Feature]) -> bool:
    try:
        source = CRS.from_user_input(layer.declared_crs)
    except CRSError:
        layer.problems.append(
            error(
                "crs",
                f"The file declares the coordinate reference system {layer.declared_crs!r}, which is not known. "
                "Export it in WGS 84 longitude/latitude (EPSG:4326).",
                value=layer.declared_crs,
            )
        )
        for feature in features:
            feature.geometry = None
        return False
    to_lonlat = Transformer.from_crs(source, 4326, always_xy=True)
    geoms = transform_coordinates(np.array([f.geometry for f in features], dtype=object), to_lonlat)
    for feature, geometry in zip(features, geoms, strict=True):
        feature.geometry = geometry
    name = source.to_string()
    layer.problems.append(
        warning(
            "crs",
            f"The coordinates were transformed from {name} ({source.name}) to WGS 84 longitude/latitude.",
            value=name,
        )
    )
    return True


def _check_lonlat(layer: Layer, features: list[Feature]) -> None:
    bounds = shapely.bounds(np.array([f.geometry for f in features], dtype=object))
    outside = (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)
    outside |= ~np.isfinite(bounds).all(axis=1)
    if not outside.any():
        return
    first = bounds[np.argmax(outside)]
    hint = (
        "The file looks projected (metres, e.g. UTM or a national grid) but declares no coordinate reference "
        "system. Export it as GeoJSON in WGS 84 (EPSG:4326), or as a GeoPackage, which keeps its CRS."
    )
    if outside.all():
        layer.problems.append(
            error(
                "coordinates",
                f"No coordinate is a longitude/latitude (the first feature starts at x={first[0]:.0f}, "
                f"y={first[1]:.0f}). {hint}",
                column="geometry",
                value=f"{first[0]:.0f} {first[1]:.0f}",
            )
        )
        for feature in features:
            feature.geometry = None
        return
    for feature, is_outside, box in zip(features, outside, bounds, strict=True):
        if is_outside:
            layer.problems.append(
                error(
                    "coordinates",
                    f"{layer.ref(feature)} has coordinates outside longitude/latitude (x {box[0]:.6g} to {box[2]:.6g}, "
                    f"y {box[1]:.6g} to {box[3]:.6g}). {hint}",
                    row=feature.number,
                    column="geometry",
                    value=f"{box[0]:.6g} {box[1]:.6g}",
                )
            )
            feature.geometry = None


def _check_validity(layer: Layer, features: list[Feature], repair: bool) -> None:
    geoms = np.array([f.geometry for f in features], dtype=object)
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return
    for feature, geometry in zip(
        [f for f, bad in zip(features, invalid, strict=True) if bad], geoms[invalid], strict=True
    ):
        reason = shapely.is_valid_reason(geometry)
        if not repair:
            layer.problems.append(
                error(
                    "geometry_invalid",
                    f"{layer.ref(feature)} is not a valid polygon: {reason}. Fix it in your GIS (QGIS: Vector > "
                    "Geometry Tools > Fix Geometries), or send the file again with --repair to have it repaired "
                    "here (the repair is reported).",
                    row=feature.number,
                    column="geometry",
                    value=reason,
                )
            )
            feature.geometry = None
            continue
        fixed = _polygonal_part(shapely.make_valid(geometry))
        if fixed is None:
            layer.problems.append(
                error(
                    "geometry_invalid",
                    f"{layer.ref(feature)} is not a valid polygon ({reason}) and repairing it leaves no area. "
                    "Redraw it.",
                    row=feature.number,
                    column="geometry",
                    value=reason,
                )
            )
            feature.geometry = None
            continue
        before, after = (float(a) for a in shapely.area(to_equal_area(np.array([geometry, fixed], dtype=object))))
        layer.problems.append(
            warning(
                "geometry_repaired",
                f"{layer.ref(feature)} was not a valid polygon ({reason}); it was repaired with make_valid (area "
                f"{before:,.0f} m² as drawn, {after:,.0f} m² repaired). Check the shape in your GIS.",
                row=feature.number,
                column="geometry",
                value=reason,
            )
        )
        feature.geometry = fixed
        feature.repaired = True


def _polygonal_part(geometry):
    """The polygons of a make_valid result (it may add the lines or points a self-touching ring collapses to)."""
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in POLYGON_TYPE_IDS]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None
