"""SDG 11.7.1 and its companions from a city's accepted layers (docs/methodology/open_public_space.md).

Every area is measured in ETRS89-LAEA (EPSG:3035, equal area). Open spaces for public use (access free or
restricted hours) are dissolved into one shape, so an overlap is counted once, and clipped to the city boundary:

- open_public_space_share = open public space area in the boundary / boundary area x 100, per city and district;
- open_public_space_per_capita = that area (m²) / inhabitants, where the boundary or districts give population;
- open_space_within_400m_share = share of the area within 400 m (straight line) of an open public space: an
  area-based approximation of UN-Habitat's population share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from pipelines.errors import SpsError
from pipelines.spaces.layers import EQUAL_AREA_EPSG, Layer, transform_coordinates, transformer
from pipelines.spaces.observations import GEOMETRY_COLUMNS, Observation, district_geo_code
from pipelines.spaces.vocabulary import COUNTED_ACCESS

ACCESS_DISTANCE_M = 400.0  # UN-Habitat: open public space within 400 m walking distance
# The 400 m zone is drawn around the dissolved spaces simplified to this tolerance (metres): far below any
# distance that matters at 400 m, and it keeps the buffer of 20 000 spaces fast.
ACCESS_SIMPLIFY_M = 2.0
ADMINISTRATIVE_CAVEAT = (
    "The boundary is the administrative area, not the built-up area UN-Habitat divides by: the share is lower "
    "where the municipality includes farmland, forest or water."
)
ACCESS_NOTE = (
    "Area-based approximation: share of the area within 400 m in a straight line of an open public space, not "
    "the share of the population (UN-Habitat); walking distance along streets is longer."
)


class MissingBoundary(SpsError):
    def __init__(self, city: str) -> None:
        self.hint = "Send the city boundary (--kind boundary) or its districts (--kind districts) first."
        super().__init__(f"{city} has no boundary and no districts: public-space shares need one of them.")


@dataclass(frozen=True)
class CityBoundary:
    geometry: object  # EPSG:3035
    boundary_type: str  # built_up | administrative
    population: int | None
    source: str  # boundary | districts


@dataclass(frozen=True)
class District:
    code: str
    name: str | None
    population: int | None
    geometry: object  # EPSG:3035, clipped to the boundary
    feature_number: int


@dataclass
class SpaceResults:
    observations: list[Observation] = field(default_factory=list)
    geometries: list[dict] = field(default_factory=list)  # rows in GEOMETRY_COLUMNS for dim_public_spaces
    figures: dict = field(default_factory=dict)  # areas (m²) behind the city figures, for reports and tests


def _population(features) -> int | None:
    values = [f.properties.get("population") for f in features]
    return sum(int(v) for v in values) if values and all(v is not None for v in values) else None


def city_boundary(boundary: Layer | None, districts: Layer | None, city: str) -> CityBoundary:
    if boundary is not None and boundary.usable():
        features = boundary.usable()
        types = {f.properties.get("boundary_type") or "administrative" for f in features}
        return CityBoundary(
            shapely.union_all(boundary.projected()),
            "built_up" if types == {"built_up"} else "administrative",
            _population(features),
            "boundary",
        )
    if districts is not None and districts.usable():
        return CityBoundary(
            shapely.union_all(districts.projected()), "administrative", _population(districts.usable()), "districts"
        )
    raise MissingBoundary(city)


def city_districts(districts: Layer | None, boundary: CityBoundary) -> list[District]:
    if districts is None:
        return []
    result = []
    for feature, geometry in zip(districts.usable(), districts.projected(), strict=True):
        clipped = geometry if boundary.source == "districts" else shapely.intersection(geometry, boundary.geometry)
        population = feature.properties.get("population")
        result.append(
            District(
                feature.properties["district_code"],
                feature.properties.get("name"),
                None if population is None else int(population),
                clipped,
                feature.number,
            )
        )
    return result


def dissolve(geoms: np.ndarray) -> np.ndarray:
    """Disjoint polygons covering exactly the union of `geoms`: each group of overlapping or touching shapes is
    unioned, every other shape is kept as it is (one union of 20 000 shapes costs several times more)."""
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    # Groups = connected components of the "touches or overlaps" pairs, by union-find (a few pairs per shape).
    parent = np.arange(len(geoms))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(left[left < right].tolist(), right[left < right].tolist(), strict=True):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    label = np.array([root(i) for i in range(len(geoms))])
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    parts = [
        geoms[group[0]] if len(group) == 1 else shapely.union_all(geoms[group]) for group in np.split(order, bounds)
    ]
    return _polygons(np.array(parts, dtype=object))


def _polygons(geoms: np.ndarray) -> np.ndarray:
    """The polygons of `geoms`, one per element (multipolygons and collections exploded, empties dropped)."""
    parts = shapely.get_parts(geoms)
    return parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]


def clip(parts: np.ndarray, area) -> np.ndarray:
    """`parts` cut to `area`: the parts wholly inside are kept as they are, only those crossing its edge are cut."""
    if len(parts) == 0:
        return parts
    shapely.prepare(area)
    inside = shapely.contains(area, parts)
    crossing = ~inside & shapely.intersects(area, parts)
    return np.concatenate([parts[inside], _polygons(shapely.intersection(parts[crossing], area))])


def access_zone(parts: np.ndarray):
    """Everything within ACCESS_DISTANCE_M of the dissolved spaces: the union of each part's buffer (one buffer of
    the whole multipolygon is two orders of magnitude slower in GEOS), parts simplified first (a part the
    simplification empties keeps its own shape)."""
    if len(parts) == 0:
        return shapely.Polygon()
    simple = shapely.simplify(parts, ACCESS_SIMPLIFY_M, preserve_topology=False)
    lost = shapely.is_empty(simple) | ~shapely.is_valid(simple)
    simple[lost] = parts[lost]
    return shapely.union_all(shapely.buffer(simple, ACCESS_DISTANCE_M, quad_segs=16))


def _areas_in(parts: np.ndarray, zones: list) -> np.ndarray:
    """Area of the disjoint `parts` inside each zone: parts wholly inside a zone count whole, only the parts
    crossing its edge are intersected."""
    areas = np.zeros(len(zones))
    if len(parts) == 0 or not zones:
        return areas
    tree = shapely.STRtree(parts)
    part_areas = shapely.area(parts)
    for index, zone in enumerate(zones):
        candidates = tree.query(zone, predicate="intersects")
        if not len(candidates):
            continue
        shapely.prepare(zone)
        inside = shapely.contains(zone, parts[candidates])
        crossing = shapely.intersection(parts[candidates[~inside]], zone)
        areas[index] = part_areas[candidates[inside]].sum() + shapely.area(crossing).sum()
    return areas


def map_shapes(geometries: np.ndarray) -> list[tuple[str, float, float]]:
    """For each EPSG:3035 geometry: (GeoJSON text in lon/lat with 6 decimals, lon and lat of a point inside it)."""
    if len(geometries) == 0:
        return []
    back = transformer(EQUAL_AREA_EPSG, 4326)
    lonlat = transform_coordinates(geometries, back)
    texts = shapely.to_geojson(shapely.set_precision(lonlat, 1e-6, mode="pointwise"))
    points = shapely.get_coordinates(shapely.point_on_surface(lonlat))
    return [(t, round(float(x), 6), round(float(y), 6)) for t, (x, y) in zip(texts, points, strict=True)]


def district_rows(city: str, zones: list[District], submission_id: str | None, period: str | None) -> list[dict]:
    """The districts' rows of the map layer (also written for a city that sent districts but no inventory)."""
    shapes = map_shapes(np.array([z.geometry for z in zones], dtype=object))
    return [
        _row(
            city_code=city,
            layer="district",
            feature_id=zone.code,
            geo_code=district_geo_code(city, zone.code),
            name=zone.name,
            area_m2=zone.geometry.area,
            area_in_boundary_m2=zone.geometry.area,
            period=period,
            submission_id=submission_id,
            feature_number=zone.feature_number,
            shape=shape,
        )
        for zone, shape in zip(zones, shapes, strict=True)
    ]


def _row(shape: tuple[str, float, float], **values) -> dict:
    text, lon, lat = shape
    row = {**values, "geometry_json": text, "lon": lon, "lat": lat}
    return {name: row.get(name) for name in GEOMETRY_COLUMNS}


def compute_space_indicators(
    city: str,
    period: str,
    spaces: Layer,
    *,
    boundary: Layer | None = None,
    districts: Layer | None = None,
    streets: Layer | None = None,
    submissions: dict[str, str] | None = None,
) -> SpaceResults:
    """Indicators and the map layer from accepted layers. `submissions`: kind -> submission id (lineage)."""
    submissions = submissions or {}
    outline = city_boundary(boundary, districts, city)
    zones = city_districts(districts, outline)
    features = spaces.usable()
    geoms = spaces.projected()
    counted = np.array([f.properties.get("access") in COUNTED_ACCESS for f in features], dtype=bool)
    street_geoms = streets.projected() if streets is not None and streets.usable() else np.empty(0, dtype=object)
    # Dissolve: the union of every counted space (and street area) counts each square metre once.
    dissolved = dissolve(np.concatenate([geoms[counted], street_geoms]))
    inside = clip(dissolved, outline.geometry)
    city_area = outline.geometry.area
    open_area = float(shapely.area(inside).sum())
    served = clip(_polygons(np.array([access_zone(dissolved)], dtype=object)), outline.geometry)
    served_area = float(shapely.area(served).sum())

    variant = "open spaces and streets" if len(street_geoms) else "open spaces only"
    boundary_label = "built-up area" if outline.boundary_type == "built_up" else "administrative boundary"
    group = f"public_space_inventory:{variant}:{boundary_label}"
    caveat = ADMINISTRATIVE_CAVEAT if outline.boundary_type == "administrative" else None
    kinds = [kind for kind in ("boundary", "districts", "open-spaces", "streets") if kind in submissions]
    lineage = "public_space/" + ";".join(f"{kind}:{submissions[kind]}" for kind in kinds)
    spaces_submission = submissions.get("open-spaces")
    results = SpaceResults(
        figures={
            "boundary_area_m2": city_area,
            "open_public_space_area_m2": open_area,
            "served_area_m2": served_area,
            "spaces": len(features),
            "spaces_counted": int(counted.sum()),
            "boundary_type": outline.boundary_type,
            "variant": variant,
        }
    )

    def add(code: str, geo: str, value: float | None, parent: str | None, note: str | None, feature: str) -> None:
        if value is None:
            return
        results.observations.append(
            Observation(
                code,
                geo,
                period,
                round(value, 6),
                group,
                f"{lineage}/{period}/{code}/{feature}",
                submission_id=spaces_submission,
                parent_geo_code=parent,
                note=note,
                has_caveat=caveat is not None and caveat in (note or ""),
            )
        )

    def notes(*texts: str | None) -> str | None:
        return " ".join(t for t in texts if t) or None

    count_note = f"{int(counted.sum())} of {len(features)} mapped spaces are open for public use."
    add("open_public_space_share", city, 100 * open_area / city_area, None, notes(count_note, caveat), "city")
    if outline.population:
        add("open_public_space_per_capita", city, open_area / outline.population, None, None, "city")
    add("open_space_within_400m_share", city, 100 * served_area / city_area, None, notes(ACCESS_NOTE, caveat), "city")

    zone_geoms = [z.geometry for z in zones]
    open_by_zone = _areas_in(inside, zone_geoms)
    served_by_zone = _areas_in(served, zone_geoms)
    for zone, open_m2, served_m2 in zip(zones, open_by_zone, served_by_zone, strict=True):
        geo = district_geo_code(city, zone.code)
        area = zone.geometry.area
        if area <= 0:
            continue
        feature = f"district:{zone.code}"
        add("open_public_space_share", geo, 100 * open_m2 / area, city, caveat, feature)
        if zone.population:
            add("open_public_space_per_capita", geo, open_m2 / zone.population, city, None, feature)
        add("open_space_within_400m_share", geo, 100 * served_m2 / area, city, notes(ACCESS_NOTE, caveat), feature)
    results.figures["district_areas_m2"] = {z.code: z.geometry.area for z in zones}
    results.figures["district_open_areas_m2"] = {z.code: float(a) for z, a in zip(zones, open_by_zone, strict=True)}

    results.geometries = _geometry_rows(city, period, outline, zones, spaces, counted, streets, submissions)
    return results


def _space_districts(geoms: np.ndarray, zones: list[District]) -> list[str | None]:
    """The district holding most of each space's area (None outside every district): a space wholly inside a
    district belongs to it; only spaces crossing district borders are intersected."""
    best: list[str | None] = [None] * len(geoms)
    if not zones or len(geoms) == 0:
        return best
    tree = shapely.STRtree(geoms)
    best_area = np.zeros(len(geoms))
    for zone in zones:
        candidates = tree.query(zone.geometry, predicate="intersects")
        if not len(candidates):
            continue
        shapely.prepare(zone.geometry)
        inside = shapely.contains(zone.geometry, geoms[candidates])
        for index in candidates[inside]:
            best[index], best_area[index] = zone.code, np.inf
        crossing = candidates[~inside]
        overlap = shapely.area(shapely.intersection(geoms[crossing], zone.geometry))
        for index, area in zip(crossing, overlap, strict=True):
            if area > best_area[index]:
                best[index], best_area[index] = zone.code, area
    return best


def _geometry_rows(city, period, outline, zones, spaces, counted, streets, submissions) -> list:
    geoms = spaces.projected()
    shapely.prepare(outline.geometry)
    in_boundary = shapely.area(geoms)
    crossing = ~shapely.contains(outline.geometry, geoms)  # only these need an intersection
    in_boundary[crossing] = shapely.area(shapely.intersection(geoms[crossing], outline.geometry))
    owners = _space_districts(geoms, zones)
    rows = [
        _row(
            city_code=city,
            layer="open_space",
            feature_id=feature.properties.get("space_id"),
            geo_code=district_geo_code(city, owner) if owner else city,
            name=feature.properties.get("name"),
            space_type=feature.properties.get("type"),
            access=feature.properties.get("access"),
            ownership=feature.properties.get("ownership"),
            is_counted=bool(is_counted),
            area_m2=geometry.area,
            area_in_boundary_m2=float(inside),
            period=period,
            submission_id=submissions.get("open-spaces"),
            feature_number=feature.number,
            shape=shape,
        )
        for feature, geometry, is_counted, inside, owner, shape in zip(
            spaces.usable(), geoms, counted, in_boundary, owners, map_shapes(geoms), strict=True
        )
    ]
    rows += district_rows(city, zones, submissions.get("districts"), period)
    (shape,) = map_shapes(np.array([outline.geometry], dtype=object))
    rows.append(
        _row(
            city_code=city,
            layer="boundary",
            feature_id=outline.source,
            geo_code=city,
            area_m2=outline.geometry.area,
            area_in_boundary_m2=outline.geometry.area,
            period=period,
            submission_id=submissions.get(outline.source),
            shape=shape,
        )
    )
    if streets is not None and streets.usable():
        street_geoms = streets.projected()
        for feature, geometry, shape in zip(streets.usable(), street_geoms, map_shapes(street_geoms), strict=True):
            rows.append(
                _row(
                    city_code=city,
                    layer="street",
                    feature_id=feature.properties.get("street_id"),
                    geo_code=city,
                    name=feature.properties.get("name"),
                    is_counted=True,
                    area_m2=geometry.area,
                    area_in_boundary_m2=shapely.intersection(geometry, outline.geometry).area,
                    period=period,
                    submission_id=submissions.get("streets"),
                    feature_number=feature.number,
                    shape=shape,
                )
            )
    return rows
