"""Checks of a read layer's attributes and of where its features lie: required properties, allowed values,
population numbers, duplicate ids, districts that overlap, features outside the city boundary. Each problem
names the feature (position and id), the attribute, the value and the fix; any error rejects the whole file."""

from __future__ import annotations

import re

import numpy as np
import shapely

from pipelines.spaces.layers import Feature, Layer, LayerMapping, read_layer
from pipelines.spaces.vocabulary import ALLOWED_VALUES, OPTIONAL_PROPERTIES, REQUIRED_PROPERTIES, canonical_value
from pipelines.uploads.problems import error, warning

BOUNDARY_TOLERANCE_M = 50.0  # a feature may reach this far past the city boundary before it is "outside"
# Overlaps between districts up to this share of the smaller district are digitising slivers (warned, not refused).
DISTRICT_OVERLAP_TOLERANCE = 0.001
DEFAULTS = {"ownership": "unknown", "boundary_type": "administrative"}
WHOLE_NUMBER = re.compile(r"^[0-9]+(\.0+)?$")
DISTRICT_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")  # becomes CITY:code, a geography code


def check_layer(
    data: bytes,
    filename: str,
    kind: str,
    mapping: LayerMapping | None = None,
    *,
    boundary=None,
    repair: bool = False,
    max_bytes: int | None = None,
    tolerance_m: float = BOUNDARY_TOLERANCE_M,
) -> Layer:
    """Read and check a layer: every problem at once. `boundary`: the city's boundary in EPSG:3035 (from its
    accepted boundary layer, or the union of its districts), or None when the city has sent neither yet."""
    layer = read_layer(data, filename, kind, mapping, repair=repair, max_bytes=max_bytes)
    if layer.file_format is None or not layer.features:
        return layer
    check_attributes(layer)
    if kind == "districts":
        check_district_overlaps(layer)
    if boundary is not None and kind != "boundary":
        check_inside_boundary(layer, boundary, tolerance_m)
    return layer


def check_attributes(layer: Layer) -> None:
    kind = layer.kind
    present = {name for f in layer.features for name, value in f.properties.items() if value is not None}
    if _fill_ids(layer, present):
        present.add(layer.id_property)
    missing = [name for name in REQUIRED_PROPERTIES[kind] if name not in present]
    for name in missing:
        layer.problems.append(
            error(
                "missing_property",
                f"No feature has the property {name!r}, which a {kind} layer needs. The file's attributes are: "
                f"{', '.join(layer.attributes) or 'none'}. Name the one that holds it with --map ATTRIBUTE={name}.",
                column=name,
            )
        )
    checked = [n for n in REQUIRED_PROPERTIES[kind] + OPTIONAL_PROPERTIES[kind] if n not in missing]
    for feature in layer.features:
        for name in checked:
            _check_value(layer, feature, name)
    _check_duplicates(layer)
    if kind == "boundary":
        _check_boundary_parts(layer)


def _fill_ids(layer: Layer, present: set[str]) -> bool:
    """Without an id property, open spaces and streets take the feature's own id (GeoJSON `id`, GeoPackage fid).
    True when ids were filled in."""
    id_property = layer.id_property
    if layer.kind not in ("open-spaces", "streets") or id_property in present:
        return False
    if all(f.fid is not None for f in layer.features):
        for feature in layer.features:
            feature.properties[id_property] = feature.fid
        layer.problems.append(
            warning(
                "ids_from_features",
                f"No {id_property} property: the features' own ids ({layer.features[0].fid!r}, ...) are used. Map "
                f"the attribute that holds your stable ids with --map ATTRIBUTE={id_property} so later uploads keep "
                "the same ids.",
                column=id_property,
            )
        )
        return True
    if layer.kind == "streets":
        for feature in layer.features:
            feature.properties[id_property] = str(feature.number)
        return True
    return False


def _check_value(layer: Layer, feature: Feature, name: str) -> None:
    value = feature.properties.get(name)
    ref = feature.ref(layer.id_property)
    if value is None:
        if name in REQUIRED_PROPERTIES[layer.kind]:
            layer.problems.append(
                error(
                    "missing_value",
                    f"{ref} has no {name}. Fill it in for every feature.",
                    row=feature.number,
                    column=name,
                )
            )
        elif name in DEFAULTS:
            feature.properties[name] = DEFAULTS[name]
        return
    if name in ALLOWED_VALUES:
        mapped = layer.values_mapping.get(name, {}).get(value)
        canonical = mapped if mapped is not None else canonical_value(name, value)
        if canonical not in ALLOWED_VALUES[name]:
            layer.problems.append(
                error(
                    "value_not_allowed",
                    f"{ref}: {name} {value!r} is not one of {', '.join(ALLOWED_VALUES[name])}. Use one of those, "
                    f"or map your values in a mapping file (values: {{{name}: {{{value}: ...}}}}).",
                    row=feature.number,
                    column=name,
                    value=value,
                )
            )
        else:
            feature.properties[name] = canonical
    elif name == "district_code" and not DISTRICT_CODE.match(value):
        layer.problems.append(
            error(
                "district_code",
                f"{ref}: district_code {value!r} is not a code (letters, digits, - _ . only, at most 40). Use the "
                "codes your city publishes its district data with (e.g. d1, 01, E05001234).",
                row=feature.number,
                column=name,
                value=value,
            )
        )
    elif name == "population":
        if not WHOLE_NUMBER.match(value.replace(" ", "")):
            layer.problems.append(
                error(
                    "population",
                    f"{ref}: population {value!r} is not a whole number of inhabitants. Write digits only, without "
                    "thousands separators (e.g. 47235).",
                    row=feature.number,
                    column=name,
                    value=value,
                )
            )
        else:
            feature.properties[name] = str(int(float(value.replace(" ", ""))))


def _check_duplicates(layer: Layer) -> None:
    if layer.kind == "boundary":
        return
    id_property = layer.id_property
    first: dict[str, Feature] = {}
    for feature in layer.features:
        ident = feature.properties.get(id_property)
        if ident is None:
            continue
        if ident in first:
            layer.problems.append(
                error(
                    "duplicate_id",
                    f"feature {feature.number}: {id_property} {ident!r} is already used by feature "
                    f"{first[ident].number}. Give every feature its own {id_property} (for a district drawn in "
                    "several parts, merge the parts into one MultiPolygon feature).",
                    row=feature.number,
                    column=id_property,
                    value=ident,
                )
            )
        else:
            first[ident] = feature


def _check_boundary_parts(layer: Layer) -> None:
    types = {f.properties.get("boundary_type") for f in layer.features} - {None}
    if len(types & {"built_up", "administrative"}) > 1:
        layer.problems.append(
            error(
                "boundary_type",
                "The boundary's features mix boundary_type built_up and administrative. Send one kind of boundary.",
                column="boundary_type",
                value=", ".join(sorted(types)),
            )
        )
    if len(layer.features) > 1:
        layer.problems.append(
            warning(
                "boundary_parts",
                f"The boundary has {len(layer.features)} features; they are merged into one city boundary.",
            )
        )


def check_district_overlaps(layer: Layer) -> None:
    features = layer.usable()
    if len(features) < 2:
        return
    geoms = layer.projected()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    slivers, sliver_area = 0, 0.0
    for i, j in zip(left[keep], right[keep], strict=True):
        area = shapely.intersection(geoms[i], geoms[j]).area
        if area <= 0:
            continue
        smaller = min(geoms[i].area, geoms[j].area)
        a, b = features[i], features[j]
        if area > DISTRICT_OVERLAP_TOLERANCE * smaller:
            layer.problems.append(
                error(
                    "district_overlap",
                    f"{a.ref(layer.id_property)} and {b.ref(layer.id_property)} overlap by {area:,.0f} m² "
                    f"({100 * area / smaller:.2f} % of the smaller). Districts must not overlap: fix the shared "
                    "border in your GIS (QGIS: Vector > Geometry Tools > Check Validity / Topology Checker).",
                    row=b.number,
                    column="geometry",
                    value=b.properties.get(layer.id_property),
                )
            )
        else:
            slivers += 1
            sliver_area += area
    if slivers:
        layer.problems.append(
            warning(
                "district_slivers",
                f"{slivers} pairs of districts overlap by digitising slivers ({sliver_area:,.0f} m² in all, each under "
                f"{100 * DISTRICT_OVERLAP_TOLERANCE:g} % of the smaller district); they are ignored.",
            )
        )


def check_inside_boundary(layer: Layer, boundary, tolerance_m: float = BOUNDARY_TOLERANCE_M) -> None:
    """Errors for features wholly outside the boundary (beyond the tolerance); a warning for a feature partly
    outside (only the part inside counts)."""
    features = layer.usable()
    if not features:
        return
    geoms = layer.projected()
    # The prepared boundary goes first: contains(prepared, geoms) is 20x faster than within(geoms, boundary).
    shapely.prepare(boundary)
    inside = shapely.contains(boundary, geoms)
    reach = shapely.buffer(boundary, tolerance_m)
    shapely.prepare(reach)
    near = shapely.intersects(reach, geoms)
    within_reach = shapely.contains(reach, geoms)
    what = {"districts": "district", "open-spaces": "open space", "streets": "street area"}[layer.kind]
    for index in np.flatnonzero(~inside):
        feature, geometry = features[index], geoms[index]
        ref = feature.ref(layer.id_property)
        if not near[index]:
            distance = shapely.distance(geometry, boundary)
            layer.problems.append(
                error(
                    "outside_boundary",
                    f"{ref} lies outside the city boundary ({distance:,.0f} m from it). Leave it out of the file, or "
                    "check the city boundary you sent and the coordinates of this feature (longitude and latitude "
                    "swapped?).",
                    row=feature.number,
                    column="geometry",
                    value=feature.properties.get(layer.id_property),
                )
            )
        elif not within_reach[index]:
            share = 100 * (1 - shapely.intersection(geometry, boundary).area / geometry.area)
            layer.problems.append(
                warning(
                    "partly_outside_boundary",
                    f"{ref}: {share:.1f} % of this {what}'s area lies outside the city boundary; only the part inside "
                    "counts.",
                    row=feature.number,
                    column="geometry",
                    value=feature.properties.get(layer.id_property),
                )
            )
