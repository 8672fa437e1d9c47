"""City survey estimates at scale: a SYNTHETIC survey of 100 000 respondents (16 strata x 40 PSUs, 20 districts,
every core question) read and checked as an upload would be (`check_survey`), then every core indicator x every
disaggregation estimated (`estimate_survey`). Targets (issue 18): <= 10 s wall for check + estimates, peak RSS
<= 1 GB. One survey per process, so the peak RSS is the survey's alone.

    python -m benchmarks.survey_estimates [--rows 100000]     # prints one JSON object

The harness calls `bench_survey_estimates(work, repeats, log)` (a subprocess per repeat, measured from outside
with psutil like every other benchmark) and `survey_target(results)` for the results table.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

TARGET_S, TARGET_MB = 10.0, 1000.0
CITY = "PL013C"


def synthetic_survey_csv(rows: int, seed: int = 18) -> bytes:
    """SYNTHETIC microdata in the core variables (codes), with a cluster effect and skip logic. Not a real city."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    strata, psus = 16, 40
    psu = rng.integers(0, strata * psus, rows)
    stratum = psu // psus
    effect = rng.normal(0, 0.5, strata * psus)[psu]

    def coded(logit, yes, no, extra=None):
        out = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), rng.choice(yes, rows), rng.choice(no, rows))
        if extra:
            out = np.where(rng.random(rows) < extra[1], extra[0], out)
        return np.where(rng.random(rows) < 0.03, rng.choice([8, 9], rows), out)

    harassed = coded(-2 + effect, [1], [2])
    victim = np.zeros(rows, bool)
    data = {
        "resp_id": [f"SYN{i:07d}" for i in range(rows)],
        "stratum": np.char.add("S", stratum.astype(str)),
        "psu": np.char.add("P", psu.astype(str)),
        "weight": rng.uniform(20, 200, rows).round(3),
        "sex": np.where(rng.random(rows) < 0.01, 3, rng.integers(1, 3, rows)),
        "age": rng.integers(15, 95, rows),
        "district": np.char.add("d", (psu % 20 + 1).astype(str)),
        "disability": coded(-1.5, [1], [2]),
        "safe_night_area": coded(0.5 + effect, [1, 2], [3, 4], (5, 0.05)),
        "safe_night_centre": coded(0.2 + effect, [1, 2], [3, 4]),
        "safe_day_centre": coded(2 + effect, [1, 2], [3, 4]),
        "safe_transport_night": coded(0.3 + effect, [1, 2], [3, 4], (6, 0.2)),
        "avoid_places": coded(-1 - effect, [1], [2]),
        "trust_police": coded(0.8, [1, 2], [3, 4]),
        "harassment_12m": harassed,
        "harassment_place": np.where(harassed == 1, rng.integers(1, 7, rows), 0),
    }
    for name, logit in (
        ("physical_violence_12m", -3),
        ("psychological_violence_12m", -2.3),
        ("sexual_violence_12m", -3.5),
    ):
        data[name] = coded(logit + effect, [1], [2])
        victim |= data[name] == 1
    data["reported_police"] = np.where(victim, coded(-0.6, [1], [2]), 0)
    frame = pl.DataFrame(data).with_columns(
        pl.when(pl.col(c) == 0).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("harassment_place", "reported_police")
    )
    return frame.write_csv().encode()


def run(rows: int) -> dict:
    t0 = time.perf_counter()
    from pipelines.surveys.check import check_survey, estimate_survey

    import_s = time.perf_counter() - t0
    data = synthetic_survey_csv(rows)
    t1 = time.perf_counter()
    check = check_survey(data, "synthetic_survey.csv", CITY, period="2026", max_bytes=len(data) + 1)
    check_s = time.perf_counter() - t1
    if not check.accepted:
        raise SystemExit(f"the synthetic survey was refused: {[str(p) for p in check.errors][:5]}")
    t2 = time.perf_counter()
    estimates = estimate_survey(check)
    estimate_s = time.perf_counter() - t2
    return {
        "synthetic": True,
        "rows": rows,
        "file_mb": round(len(data) / 1e6, 1),
        "estimates": estimates.height,
        "published": int(estimates["value"].is_not_null().sum()),
        "indicators": estimates["indicator_code"].n_unique(),
        "seconds": {
            "import": round(import_s, 3),
            "check": round(check_s, 3),
            "estimate": round(estimate_s, 3),
            "check_and_estimate": round(check_s + estimate_s, 3),
        },
        "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_survey_estimates(work: Path, repeats: int, log, rows: int = 100_000) -> dict:
    """`repeats` runs of this module in its own process, wall time and peak RSS measured from outside."""
    from benchmarks.run import PYTHON, measured, summary

    runs = []
    for i in range(repeats):
        log(f"  survey estimates, {rows} SYNTHETIC respondents ({i + 1}/{repeats})")
        process = measured([PYTHON, "-m", "benchmarks.survey_estimates", "--rows", str(rows)])
        if process["returncode"] != 0:
            raise RuntimeError(f"survey benchmark failed: {process['stderr_tail']}")
        runs.append(
            {"wall_s": process["wall_s"], "peak_rss_mb": process["peak_rss_mb"], **json.loads(process["stdout"])}
        )
    return {
        "rows": rows,
        "wall": summary([r["wall_s"] for r in runs]),
        "check_and_estimate_s": summary([r["seconds"]["check_and_estimate"] for r in runs]),
        "estimate_s": summary([r["seconds"]["estimate"] for r in runs]),
        "peak_rss_mb": summary([r["peak_rss_mb"] for r in runs]),
        "last": runs[-1],
    }


def survey_target(results: dict | None) -> dict:
    """The results-table entry: met when check + estimates take <= 10 s and the process peaks <= 1 GB."""
    target = f"100 000 respondents x all core indicators x all disaggregations <= {TARGET_S:.0f} s, peak RSS <= 1 GB"
    if not results:
        return {"id": "survey_estimates", "target": target, "measured": "not measured in this run", "met": None}
    seconds, peak = results["check_and_estimate_s"]["median"], results["peak_rss_mb"]["median"]
    return {
        "id": "survey_estimates",
        "target": target,
        "measured": f"{seconds:.1f} s check + estimates ({results['estimate_s']['median']:.1f} s estimating "
        f"{results['last']['estimates']} rows), process wall {results['wall']['median']:.1f} s, {peak:.0f} MB",
        "met": seconds <= TARGET_S and peak <= TARGET_MB,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the city survey check and estimates on SYNTHETIC microdata.")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = run(args.rows)
    result["met"] = result["seconds"]["check_and_estimate"] <= TARGET_S and result["peak_rss_mb_self"] <= TARGET_MB
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
