"""Issue 21, target 1: from `sps upload` returning to a new published version the dashboard reads (p95 of 20 files
of <= 100 rows, SYNTHETIC, one city). Two ways the product publishes an upload, measured side by side:

- `sps watch` running (Dagster, dbt and the parsed project kept loaded): the time from `sps upload` returning
  until CURRENT names a version whose fct_observations holds the submission (the target), and from `sps upload`
  starting until then (what a city officer waits in all: an upload that returns sooner leaves the target's clock
  less of a head start, since the watch starts as soon as the submission is in the inbox);
- without it: `sps refresh` started right after `sps upload` (a new process: imports, plan, run, publish); the
  time is that process's wall time.

    python -m benchmarks.upload_latency --data-dir DIR [--uploads 20] [--rows 60] [--refreshes 3]

DIR must hold a published version of the real snapshot (benchmarks/run.py passes the 1x data folder). Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil

from benchmarks.scale import upload_rows, write_upload_csv
from pipelines.versions.connection import connect_version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPS = str(Path(sys.executable).with_name("sps"))
CITY = "AT001C"  # Wien: a real city of the snapshot; the uploaded values are SYNTHETIC


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_HOME")}
    env.update({"SPS_DATA_DIR": str(data_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    # uploads are sealed: the benchmarks' own key (benchmarks/run.py passes it), never ~/.config's
    env.setdefault("SPS_VAULT_KEY_FILE", str(PROJECT_ROOT / "benchmarks" / "scratch" / "vault" / "vault.key"))
    return env


def _sps(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    done = subprocess.run([SPS, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    return done, time.perf_counter() - t0


def _current(published: Path) -> str | None:
    try:
        return (published / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None


def _holds(version_file: Path, submission: str) -> bool:
    try:
        with connect_version(version_file) as conn:
            query = "select count(*) from fct_observations where submission_id = ?"
            return conn.execute(query, [submission]).fetchall()[0][0] > 0
    except duckdb.Error:
        return False


def _upload(path: Path, token: str, env: dict) -> tuple[str, float]:
    done, seconds = _sps(["upload", "--city", CITY, "--token", token, str(path)], env)
    found = re.search(r"accepted as submission (\S+):", done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"sps upload failed: {done.stdout[-800:]} {done.stderr[-800:]}")
    return found.group(1), seconds


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))] if ordered else None
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 3) if values else None,
        "p95": round(p95, 3) if p95 is not None else None,
        "min": round(min(values), 3) if values else None,
        "max": round(max(values), 3) if values else None,
    }


def run(data_dir: Path, uploads: int, rows: int, refreshes: int, work: Path) -> dict:
    env = _env(data_dir)
    published = data_dir / "published"
    issued, _ = _sps(["token", "issue", "--city", CITY], env)
    token = issued.stdout.strip().splitlines()[-1].strip()
    work.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(uploads + refreshes):
        path = work / f"{i:03d}_{CITY}_SYNTHETIC.csv"
        write_upload_csv(path, upload_rows(CITY, rows, seed=1000 + i))
        files.append(path)

    # 1. `sps watch` running
    log = open(work / "watch.log", "w")  # noqa: SIM115 - closed below
    watch = subprocess.Popen([SPS, "watch"], env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    latencies, end_to_end, upload_s, peak_rss = [], [], [], 0
    try:
        deadline = time.monotonic() + 300
        while "ready in" not in (work / "watch.log").read_text():
            if watch.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sps watch did not start: {(work / 'watch.log').read_text()[-1500:]}")
            time.sleep(0.1)
        ready = (work / "watch.log").read_text()
        for path in files[:uploads]:
            started = time.perf_counter()
            submission, seconds = _upload(path, token, env)
            upload_s.append(seconds)
            t0 = time.perf_counter()
            looked_at = set()  # versions already opened: the poll must not load the cores the run needs
            while True:
                name = _current(published)
                if name and name not in looked_at:
                    looked_at.add(name)
                    if _holds(published / name, submission):
                        break
                if time.perf_counter() - t0 > 120:
                    raise RuntimeError(
                        f"{submission} not published after 120 s: {(work / 'watch.log').read_text()[-2000:]}"
                    )
                time.sleep(0.01)
            latencies.append(time.perf_counter() - t0)
            end_to_end.append(time.perf_counter() - started)
            process = psutil.Process(watch.pid)
            peak_rss = max(peak_rss, process.memory_info().rss)
    finally:
        watch.terminate()
        try:
            watch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            watch.kill()
        log.close()

    # 2. without it: `sps refresh` right after `sps upload`
    fresh = []
    for path in files[uploads:]:
        submission, _ = _upload(path, token, env)
        done, seconds = _sps(["refresh"], env)
        if done.returncode != 0 or not _holds(published / _current(published), submission):
            raise RuntimeError(f"sps refresh after an upload failed: {done.stdout[-800:]} {done.stderr[-800:]}")
        fresh.append(seconds)
    return {
        "rows_per_file": rows,
        "city": CITY,
        "watch_ready": ready.strip().splitlines()[-1],
        "watch_latency_s": _summary(latencies),
        "watch_latencies": [round(x, 3) for x in latencies],
        "upload_start_to_published_s": _summary(end_to_end),
        "watch_peak_rss_mb": round(peak_rss / 1e6, 1),
        "upload_command_s": _summary(upload_s),
        "refresh_after_upload_s": _summary(fresh),
        "met": bool(latencies) and _summary(latencies)["p95"] <= 2.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--work", default=str(PROJECT_ROOT / "benchmarks" / "scratch" / "upload-latency"))
    args = parser.parse_args(argv)
    print(json.dumps(run(Path(args.data_dir).resolve(), args.uploads, args.rows, args.refreshes, Path(args.work))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
