"""SYNTHETIC public-space inventory and site safety audits for València, to try the public-space upload.

    python -m examples.spaces.generate --out data/examples/valencia [--spaces 400] [--audits 300] [--seed 7]

Reads the real district outlines in place from the snapshot (SPS_SNAPSHOT_DIR or ../shared/data:
city_reported/valencia/Distritos.geojson; never copied into this repository) and writes into --out:

- boundary.geojson      the union of the real districts (an administrative boundary), to upload as --kind boundary;
- open_spaces.geojson   SYNTHETIC open spaces inside the districts: invented shapes, names "[SYNTHETIC] ...",
                        types, access and ownership drawn at random (some gardens overlap parks on purpose);
- audits.csv            SYNTHETIC site safety audits as a KoboToolbox export of the SPS audit form, half at
                        open spaces (site_id = space_id), half at street sites; after dark darker and emptier;
- SYNTHETIC.md          what the files are. Nothing here describes real places: never show it as València's.

The districts themselves are uploaded from the snapshot file as they are (see README.md beside this file).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
from pyproj import Transformer

from pipelines.spaces.vocabulary import AUDITOR_GROUPS, STANDARD_FORM_VERSION, audit_items

DISTRICTS_PATH = Path("city_reported") / "valencia" / "Distritos.geojson"
LABEL = "[SYNTHETIC]"
TYPES = {  # type: (share of spaces, relative size)
    "park": (0.18, 4.0),
    "garden": (0.30, 1.0),
    "square": (0.17, 0.8),
    "playground": (0.15, 0.3),
    "sports_ground": (0.08, 2.0),
    "street_plaza": (0.07, 0.6),
    "beach": (0.01, 6.0),
    "other": (0.04, 1.0),
}
ACCESS = {"free": 0.82, "restricted_hours": 0.13, "fee": 0.05}
OWNERSHIP = {"public": 0.85, "private": 0.06, "mixed": 0.04, "unknown": 0.05}
# After dark, compared with the day: the places are darker, emptier and feel less safe.
AFTER_DARK_SHIFT = {"lighting": -0.8, "people": -0.6, "gender_diversity": -0.7, "feeling": -0.5, "visibility": -0.3}
AUDIT_YEAR = 2025


def snapshot_dir() -> Path:
    value = os.environ.get("SPS_SNAPSHOT_DIR", "").strip()
    return Path(value) if value else Path(__file__).resolve().parents[3] / "shared" / "data"


def districts_file(snapshot: Path | None = None) -> Path:
    path = (snapshot or snapshot_dir()) / DISTRICTS_PATH
    if not path.exists():
        raise SystemExit(f"{path} not found: set SPS_SNAPSHOT_DIR to the data snapshot (../shared/data).")
    return path


@dataclass
class Inventory:
    boundary: object  # EPSG:3035
    spaces: list[dict]  # {"geometry": EPSG:3035, "properties": {...}}
    audits: list[dict]  # Kobo export rows


_TO_LAEA = Transformer.from_crs(4326, 3035, always_xy=True)
_TO_LONLAT = Transformer.from_crs(3035, 4326, always_xy=True)


def _transform(geoms, transformer):
    def apply(coords):
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def read_districts(path: Path) -> tuple[list[str], np.ndarray]:
    document = json.loads(path.read_text(encoding="utf-8"))
    codes = [f["properties"]["coddistrit"] for f in document["features"]]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in document["features"]], dtype=object)
    return codes, _transform(geoms, _TO_LAEA)


def _pick(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    names = list(weights)
    p = np.array([weights[n] if not isinstance(weights[n], tuple) else weights[n][0] for n in names], dtype=float)
    return np.array(names)[rng.choice(len(names), size=size, p=p / p.sum())]


def _points_inside(rng: np.random.Generator, area, count: int) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found = np.empty((0, 2))
    while len(found) < count:
        candidates = rng.uniform((minx, miny), (maxx, maxy), size=(max(count * 3, 100), 2))
        found = np.vstack([found, candidates[shapely.contains_xy(area, candidates[:, 0], candidates[:, 1])]])
    return found[:count]


def generate(path: Path, spaces: int, audits: int, seed: int = 7, coverage: float = 0.06) -> Inventory:
    """SYNTHETIC spaces covering about `coverage` of the city, and `audits` audits at spaces and street sites."""
    rng = np.random.default_rng(seed)
    _, districts = read_districts(path)
    boundary = shapely.union_all(districts)
    # Spaces sit inside the districts, shrunk by 60 m, so none crosses the city boundary by more than the tolerance.
    inner = shapely.buffer(boundary, -60)
    types = _pick(rng, TYPES, spaces)
    relative = np.array([TYPES[t][1] for t in types])
    mean_area = coverage * boundary.area / spaces
    areas = mean_area * relative / relative.mean() * rng.lognormal(0, 0.5, spaces)
    centres = _points_inside(rng, inner, spaces)
    shapes = []
    for (x, y), area, kind in zip(centres, areas, types, strict=True):
        if kind in ("playground", "square") and rng.random() < 0.5:
            shapes.append(shapely.Point(x, y).buffer(np.sqrt(area / np.pi), quad_segs=6))  # a round one
            continue
        ratio = rng.uniform(0.4, 1.0)
        width, height = np.sqrt(area / ratio), np.sqrt(area * ratio)
        rectangle = shapely.box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)
        shapes.append(shapely.affinity.rotate(rectangle, rng.uniform(0, 90)))
    geoms = shapely.intersection(np.array(shapes, dtype=object), inner)
    access = _pick(rng, ACCESS, spaces)
    ownership = _pick(rng, OWNERSHIP, spaces)
    result = []
    for index, (geometry, kind, acc, own) in enumerate(zip(geoms, types, access, ownership, strict=True)):
        if geometry.is_empty or shapely.get_type_id(geometry) not in (3, 6):
            continue
        space_id = f"SYN-{index + 1:05d}"
        result.append(
            {
                "geometry": geometry,
                "properties": {
                    "space_id": space_id,
                    "name": f"{LABEL} {kind.replace('_', ' ')} {index + 1}",
                    "type": str(kind),
                    "access": str(acc),
                    "ownership": str(own),
                },
            }
        )
    return Inventory(boundary, result, _audits(rng, result, inner, audits))


def _audits(rng: np.random.Generator, spaces: list[dict], inner, count: int) -> list[dict]:
    if count == 0:
        return []
    items = audit_items()
    n_sites = max(2, count // 5)
    at_spaces = min(n_sites // 2, len(spaces))
    chosen = rng.choice(len(spaces), size=at_spaces, replace=False) if at_spaces else []
    sites = [(spaces[i]["properties"]["space_id"], spaces[i]["geometry"].representative_point()) for i in chosen]
    street_points = _points_inside(rng, inner, n_sites - len(sites))
    sites += [(f"SYN-STREET-{i + 1:04d}", shapely.Point(x, y)) for i, (x, y) in enumerate(street_points)]
    quality = rng.uniform(0.8, 2.7, len(sites))  # each site's own level, 0-3
    site_index = rng.integers(0, len(sites), count)
    after_dark = rng.random(count) < 0.5
    offsets = rng.normal(0, 0.4, (len(sites), len(items)))  # sites differ item by item too
    noise = rng.normal(0, 0.6, (count, len(items)))
    shift = np.array([AFTER_DARK_SHIFT.get(i.item, 0.0) for i in items])
    scores = quality[site_index, None] + offsets[site_index] + noise + np.outer(after_dark, shift)
    scores = np.clip(np.rint(scores), 0, 3).astype(int)
    start = dt.date(AUDIT_YEAR, 1, 1)
    days = rng.integers(0, 365, count)
    groups = np.array(AUDITOR_GROUPS)[rng.integers(0, len(AUDITOR_GROUPS) - 1, count)]
    jitter = rng.normal(0, 8, (count, 2))  # GPS: a few metres around the site
    xs = np.array([sites[s][1].x for s in site_index]) + jitter[:, 0]
    ys = np.array([sites[s][1].y for s in site_index]) + jitter[:, 1]
    lons, lats = _TO_LONLAT.transform(xs, ys)
    rows = []
    for n in range(count):
        row = {
            "start": "",
            "site_id": sites[site_index[n]][0],
            "site_name": f"{LABEL} site {sites[site_index[n]][0]}",
            "location": f"{lats[n]:.7f} {lons[n]:.7f} 0 6",
            "_location_latitude": f"{lats[n]:.7f}",
            "_location_longitude": f"{lons[n]:.7f}",
            "audit_date": (start + dt.timedelta(days=int(days[n]))).isoformat(),
            "time_of_day": "after_dark" if after_dark[n] else "day",
            "auditor_group": str(groups[n]),
            **{item.item: str(scores[n, k]) for k, item in enumerate(items)},
            "comments": f"{LABEL} generated audit",
            "form_version": STANDARD_FORM_VERSION,
            "_id": str(100000 + n),
            "_uuid": f"00000000-0000-4000-8000-{n:012d}",
            "_index": str(n + 1),
        }
        rows.append(row)
    return rows


def _feature_collection(name: str, features: list[tuple[object, dict]]) -> dict:
    geoms = _transform(np.array([g for g, _ in features], dtype=object), _TO_LONLAT)
    geoms = shapely.set_precision(geoms, 1e-7)  # about 1 cm; the default mode keeps every shape valid
    return {
        "type": "FeatureCollection",
        "name": name,
        "features": [
            {"type": "Feature", "properties": properties, "geometry": json.loads(shapely.to_geojson(g))}
            for g, (_, properties) in zip(geoms, features, strict=True)
        ],
    }


def write(inventory: Inventory, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "boundary": out / "boundary.geojson",
        "open-spaces": out / "open_spaces.geojson",
        "audits": out / "audits.csv",
    }
    boundary = _feature_collection(
        f"{LABEL} València boundary: union of the districts in Distritos.geojson",
        [(inventory.boundary, {"name": "València (union of the districts)", "boundary_type": "administrative"})],
    )
    paths["boundary"].write_text(json.dumps(boundary), encoding="utf-8")
    spaces = _feature_collection(
        f"{LABEL} open spaces for València (invented)",
        [(s["geometry"], s["properties"]) for s in inventory.spaces],
    )
    paths["open-spaces"].write_text(json.dumps(spaces), encoding="utf-8")
    if inventory.audits:
        with open(paths["audits"], "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(inventory.audits[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(inventory.audits)
    (out / "SYNTHETIC.md").write_text(
        "# SYNTHETIC public-space example for València\n\n"
        "open_spaces.geojson and audits.csv are invented by examples/spaces/generate.py: no real park, garden,\n"
        "square or audit. boundary.geojson is the union of the real district outlines (snapshot\n"
        "city_reported/valencia/Distritos.geojson). Never present figures computed from these files as\n"
        "València's.\n",
        encoding="utf-8",
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SYNTHETIC València public-space inventory and audits.")
    parser.add_argument("--out", required=True, type=Path, help="folder to write into (e.g. data/examples/valencia)")
    parser.add_argument("--spaces", type=int, default=400)
    parser.add_argument("--audits", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--snapshot-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    inventory = generate(districts_file(args.snapshot_dir), args.spaces, args.audits, args.seed)
    paths = write(inventory, args.out)
    print(f"{len(inventory.spaces)} SYNTHETIC open spaces, {len(inventory.audits)} SYNTHETIC audits in {args.out}")
    for kind, path in paths.items():
        print(f"  {kind}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
