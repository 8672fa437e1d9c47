"""Public-space benchmark (issue 20): 20 000 SYNTHETIC open spaces and 5 000 SYNTHETIC audits for one city,
around València's real districts (read in place from the snapshot), checked and computed by pipelines.spaces,
beside a plain shapely + pyproj script that computes the same areas with no checks. Targets: the product's work
(read, check and compute every layer and the audits) in at most 5 s, peak RSS at most 1 GB.

    python -m benchmarks.spaces [--spaces 20000] [--audits 5000] [--repeats 3]
    python -m benchmarks.spaces --run product|baseline DIR     one measured process; prints one JSON line

The files are made by examples/spaces/generate.py under benchmarks/scratch/spaces/ (gitignored). Each run is its
own process (benchmarks.run.measured: wall time and peak RSS of the process tree); the ratio product / baseline
is measured in the same run on the same files, so it holds on a busy machine where absolute times do not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0
TARGET_RSS_MB = 1000.0
CITY = "ES003C"
DISTRICT_MAPPING = ["coddistrit=district_code", "nombre=name"]


def _snapshot() -> Path:
    from examples.spaces.generate import snapshot_dir

    return snapshot_dir()


# ------------------------------------------------------------------------------------------------ the runs
def run_product(folder: Path) -> dict:
    """What `sps space upload` (x3), `sps audit upload` and the refresh do with the files, in one process."""
    t0 = time.perf_counter()
    from pipelines.spaces.audit_indicators import compute_audit_indicators
    from pipelines.spaces.audits import check_audits
    from pipelines.spaces.compute import city_boundary, city_districts, compute_space_indicators
    from pipelines.spaces.layers import LayerMapping
    from pipelines.spaces.validate import check_layer

    imported = time.perf_counter()
    cpu_start = time.process_time()  # CPU seconds: less sensitive than wall time to other users of a shared machine
    districts_path = _snapshot() / "city_reported" / "valencia" / "Distritos.geojson"
    boundary = check_layer((folder / "boundary.geojson").read_bytes(), "boundary.geojson", "boundary")
    outline = boundary.projected()[0]
    districts = check_layer(
        districts_path.read_bytes(),
        districts_path.name,
        "districts",
        LayerMapping.from_options(DISTRICT_MAPPING),
        boundary=outline,
    )
    spaces = check_layer(
        (folder / "open_spaces.geojson").read_bytes(), "open_spaces.geojson", "open-spaces", boundary=outline
    )
    audits = check_audits((folder / "audits.csv").read_bytes(), "audits.csv", boundary=outline)
    checked = time.perf_counter()
    if not all(layer.accepted for layer in (boundary, districts, spaces)) or not audits.accepted:
        raise SystemExit("the SYNTHETIC files were refused: " + "; ".join(str(p) for p in spaces.problems[:3]))
    results = compute_space_indicators(CITY, "2025", spaces, boundary=boundary, districts=districts)
    zones = city_districts(districts, city_boundary(boundary, districts, CITY))
    space_ids = {f.properties["space_id"] for f in spaces.features}
    audit_results = compute_audit_indicators(CITY, audits, districts=zones, space_ids=space_ids)
    done = time.perf_counter()
    cpu = time.process_time() - cpu_start
    return {
        "spaces": len(spaces.features),
        "audits": len(audits.audits),
        "observations": len(results.observations) + len(audit_results.observations),
        "map_rows": len(results.geometries) + len(audit_results.sites),
        "open_area_m2": results.figures["open_public_space_area_m2"],
        "served_area_m2": results.figures["served_area_m2"],
        "district_open_areas_m2": results.figures["district_open_areas_m2"],
        "seconds": {
            "import": round(imported - t0, 3),
            "read_and_check": round(checked - imported, 3),
            "compute": round(done - checked, 3),
            "work": round(done - imported, 3),
            "work_cpu": round(cpu, 3),
        },
    }


def run_baseline(folder: Path) -> dict:
    """The same areas the plain way: json, shapely.geometry.shape, pyproj, union, clip, per district, 400 m zone.
    No checks, no lineage, no map layer: the floor the product is compared with."""
    t0 = time.perf_counter()
    import numpy as np
    import shapely
    from pyproj import Transformer

    imported = time.perf_counter()
    cpu_start = time.process_time()
    to_laea = Transformer.from_crs(4326, 3035, always_xy=True)

    def projected(path: Path):
        document = json.loads(path.read_text(encoding="utf-8"))
        geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in document["features"]], dtype=object)

        def apply(coords):
            x, y = to_laea.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return document["features"], shapely.transform(geoms, apply)

    _, boundary = projected(folder / "boundary.geojson")
    city = shapely.union_all(boundary)
    features, districts = projected(_snapshot() / "city_reported" / "valencia" / "Distritos.geojson")
    codes = [f["properties"]["coddistrit"] for f in features]
    features, spaces = projected(folder / "open_spaces.geojson")
    counted = np.array([f["properties"]["access"] in ("free", "restricted_hours") for f in features])
    union = shapely.intersection(shapely.union_all(spaces[counted]), city)
    parts = shapely.get_parts(union)
    tree = shapely.STRtree(parts)
    by_district = {}
    for code, district in zip(codes, districts, strict=True):
        near = tree.query(district, predicate="intersects")
        by_district[code] = float(shapely.area(shapely.intersection(parts[near], district)).sum())
    zone = shapely.union_all(shapely.buffer(shapely.get_parts(union), 400, quad_segs=16))
    served = shapely.intersection(zone, city).area
    done = time.perf_counter()
    cpu = time.process_time() - cpu_start
    return {
        "open_area_m2": union.area,
        "served_area_m2": served,
        "district_open_areas_m2": by_district,
        "seconds": {
            "import": round(imported - t0, 3),
            "work": round(done - imported, 3),
            "work_cpu": round(cpu, 3),
        },
    }


# ------------------------------------------------------------------------------------------------ the harness
def generate_files(work: Path, spaces: int, audits: int, snapshot: Path | None = None) -> Path:
    from examples.spaces.generate import districts_file, generate, write

    folder = work / "files"
    shutil.rmtree(folder, ignore_errors=True)
    write(generate(districts_file(snapshot), spaces, audits, seed=20), folder)
    return folder


def bench_spaces(
    work: Path, repeats: int, log, spaces: int = 20_000, audits: int = 5_000, snapshot: Path | None = None
) -> dict:
    """Generate the files, then `repeats` product and baseline processes each, alternating."""
    from benchmarks.run import PYTHON, json_line, measured, summary

    folder = generate_files(work, spaces, audits, snapshot)
    env = {**os.environ, "SPS_UPLOAD_MAX_MB": "1000"}  # the size limit is not what is measured
    if snapshot is not None:
        env["SPS_SNAPSHOT_DIR"] = str(snapshot)
    runs: dict[str, list[dict]] = {"product": [], "baseline": []}
    for i in range(repeats):
        for kind in ("product", "baseline"):
            log(f"  public space {kind} ({i + 1}/{repeats})")
            process = measured([PYTHON, "-m", "benchmarks.spaces", "--run", kind, str(folder)], env=env)
            if process["returncode"] != 0:
                raise RuntimeError(f"public-space {kind} run failed: {process['stderr_tail']}")
            runs[kind].append(
                {"wall_s": process["wall_s"], "peak_rss_mb": process["peak_rss_mb"], **json_line(process["stdout"])}
            )
    product, baseline = runs["product"][-1], runs["baseline"][-1]
    work_s = summary([r["seconds"]["work"] for r in runs["product"]])
    base_s = summary([r["seconds"]["work"] for r in runs["baseline"]])
    rss = summary([r["peak_rss_mb"] for r in runs["product"]])
    worst_district = max(
        abs(product["district_open_areas_m2"][code] - area) / max(area, 1.0)
        for code, area in baseline["district_open_areas_m2"].items()
    )
    return {
        "spaces": product["spaces"],
        "audits": product["audits"],
        "files_mb": round(sum(p.stat().st_size for p in folder.iterdir()) / 1e6, 1),
        "product_work_s": work_s,
        "product_wall_s": summary([r["wall_s"] for r in runs["product"]]),
        "product_phases_s": product["seconds"],
        "product_peak_rss_mb": rss,
        "baseline_work_s": base_s,
        "baseline_wall_s": summary([r["wall_s"] for r in runs["baseline"]]),
        "baseline_peak_rss_mb": summary([r["peak_rss_mb"] for r in runs["baseline"]]),
        "ratio_work": round(work_s["median"] / base_s["median"], 2),
        "product_work_cpu_s": summary([r["seconds"]["work_cpu"] for r in runs["product"]]),
        "baseline_work_cpu_s": summary([r["seconds"]["work_cpu"] for r in runs["baseline"]]),
        "open_area_relative_difference": abs(product["open_area_m2"] - baseline["open_area_m2"])
        / baseline["open_area_m2"],
        "served_area_relative_difference": abs(product["served_area_m2"] - baseline["served_area_m2"])
        / baseline["served_area_m2"],
        "worst_district_relative_difference": worst_district,
        "met": {
            "seconds": work_s["median"] <= TARGET_SECONDS,
            "peak_rss": rss["max"] <= TARGET_RSS_MB,
        },
    }


def render(result: dict) -> str:
    w, b, met = result["product_work_s"], result["baseline_work_s"], result["met"]
    files = f"{result['spaces']} SYNTHETIC open spaces + {result['audits']} audits ({result['files_mb']} MB)"
    seconds = "met" if met["seconds"] else "NOT met"
    rss = "met" if met["peak_rss"] else "NOT met"
    return "\n".join(
        [
            f"Public space: {files}",
            f"  product  read+check+compute {w['median']} s (min {w['min']}, max {w['max']}; "
            f"target <= {TARGET_SECONDS} s: {seconds}), phases {result['product_phases_s']}",
            f"           peak RSS {result['product_peak_rss_mb']['max']} MB (target <= {TARGET_RSS_MB:.0f} MB: {rss}); "
            f"process wall {result['product_wall_s']['median']} s",
            f"           CPU {result['product_work_cpu_s']['median']} s (less sensitive to other users of the machine)",
            f"  baseline plain shapely/pyproj areas {b['median']} s (CPU {result['baseline_work_cpu_s']['median']} s), "
            f"peak RSS {result['baseline_peak_rss_mb']['max']} MB",
            f"  ratio product / baseline (work) {result['ratio_work']}x; open area differs by "
            f"{result['open_area_relative_difference']:.1e}, 400 m zone by "
            f"{result['served_area_relative_difference']:.1e}, worst district by "
            f"{result['worst_district_relative_difference']:.1e}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the public-space computation (issue 20).")
    parser.add_argument("--run", choices=("product", "baseline"), help="one measured run on the files in FOLDER")
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--spaces", type=int, default=20_000)
    parser.add_argument("--audits", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "benchmarks" / "scratch" / "spaces")
    args = parser.parse_args(argv)
    if args.run:
        if args.folder is None:
            parser.error("--run needs the folder of generated files")
        result = run_product(args.folder) if args.run == "product" else run_baseline(args.folder)
        print(json.dumps(result))
        return 0
    result = bench_spaces(args.work, args.repeats, lambda m: print(m, flush=True), args.spaces, args.audits)
    print(render(result))
    print(json.dumps(result))
    return 0 if all(result["met"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
