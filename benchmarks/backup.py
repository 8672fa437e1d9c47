"""Backups and verified versions (issue 23), measured as users run them.

Backup: a data folder holding 1 000 SYNTHETIC city uploads (each an inbox submission of three sealed files,
written by the product's own inbox writer) is backed up with `sps backup DEST`; one more upload arrives and
`sps backup DEST` runs again: it must copy that submission's files (and the audit trail, which grew), not the
1 000. Then `sps backup --verify` (every object read, hashed and opened with the key) and `sps restore` into an
empty folder. Each command is its own process, timed from outside.

Verification: the first open of a published version hashes its file against the manifest (`verify_version`);
later opens in the same process reuse the answer (`verified`). Both are timed on the scale's published version.

    python -m benchmarks.backup --work DIR [--uploads 1000] [--published FILE]   # prints one JSON object

The harness calls `bench_backup(work, log)`, `bench_verify(published_file)` and `backup_targets(results)`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SPS = str(Path(sys.executable).with_name("sps"))
CITY = "AT001C"
HEADER_ROW = {"indicator_code": "feel_safe_after_dark", "geo_code": CITY, "unit": "% of population"}


def _env(data_dir: Path, key_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPS_", "DAGSTER_HOME"))}
    env.update({"SPS_DATA_DIR": str(data_dir), "SPS_VAULT_KEY_FILE": str(key_file)})
    return env


def seed_uploads(data_dir: Path, count: int, start: int = 0) -> None:
    """`count` SYNTHETIC accepted submissions, written by the inbox writer (sealed, as an upload stores them)."""
    from pipelines.uploads.inbox import write_accepted

    for i in range(start, start + count):
        day = f"2026{1 + i // 28 // 24 % 12:02d}{1 + i // 24 % 28:02d}"
        submission_id = f"{day}T{i % 24:02d}0000{i:06d}Z-{CITY}-syn{i:05d}"
        rows = [HEADER_ROW | {"period": str(2000 + i % 25), "value": f"{50 + i % 40}.5", "note": f"SYNTHETIC {i}"}]
        metadata = {
            "submission_id": submission_id,
            "city_code": CITY,
            "token_id": "benchmark",
            "uploaded_at": "2026-01-01T00:00:00+00:00",
            "original_filename": "synthetic.csv",
            "sha256": f"{i:064d}",
            "format": "sps_template",
            "row_count": 1,
            "warnings": [],
        }
        original = f"SYNTHETIC upload {i}\n".encode() * 40  # ~1 KB, as a small city file
        write_accepted(data_dir / "inbox", submission_id, original, "csv", rows, metadata)


def _timed(command: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} failed: {done.stderr.strip()[-500:]}")
    return round(seconds, 3), done.stdout


def _copied(stdout: str) -> tuple[int, float]:
    found = re.search(r"copied (\d+) new object\(s\), ([\d.]+) MB", stdout)
    return int(found[1]), float(found[2])


def run(work: Path, uploads: int = 1000) -> dict:
    root = work / "backup-bench"
    shutil.rmtree(root, ignore_errors=True)
    data, dest, restored = root / "data", root / "backup-disk", root / "restored"
    key_file = root / "keys" / "vault.key"
    os.environ["SPS_VAULT_KEY_FILE"] = str(key_file)  # this process seeds with the same key the commands use
    os.environ["SPS_DATA_DIR"] = str(data)
    env = _env(data, key_file)
    started = time.perf_counter()
    seed_uploads(data, uploads)
    seed_s = time.perf_counter() - started
    first_s, out = _timed([SPS, "backup", str(dest)], env)
    first_objects, first_mb = _copied(out)
    seed_uploads(data, 1, start=uploads)
    second_s, out = _timed([SPS, "backup", str(dest)], env)
    second_objects, second_mb = _copied(out)
    manifests = sorted((dest / "backups").glob("*.json"))
    first_paths = {f["path"] for f in json.loads(manifests[0].read_text())["files"]}
    copied_paths = [
        f["path"] for f in json.loads(manifests[-1].read_text())["files"] if f.get("object_sha256") is not None
    ]
    new_paths = sorted(p for p in copied_paths if p not in first_paths or p == "audit.jsonl")
    verify_s, _ = _timed([SPS, "backup", str(dest), "--verify"], env)
    restore_s, _ = _timed([SPS, "restore", str(dest)], _env(restored, key_file))
    restored_files = sum(1 for p in restored.rglob("*") if p.is_file())
    result = {
        "uploads": uploads,
        "kept_files": len(first_paths),
        "seed_s": round(seed_s, 2),
        "first_backup": {"seconds": first_s, "objects": first_objects, "mb": first_mb},
        "second_backup": {"seconds": second_s, "objects": second_objects, "mb": second_mb},
        "second_backup_new_files": [p for p in new_paths if p != "audit.jsonl"][:10],
        "verify_s": verify_s,
        "restore_s": restore_s,
        "restored_files": restored_files,
    }
    shutil.rmtree(root, ignore_errors=True)
    return result


def bench_verify(published_file: Path, repeats: int = 20) -> dict:
    """Seconds to verify a published version on first open (sha256 of the file against its manifest) and on every
    later open (the remembered answer), in this process."""
    from pipelines.versions import verify

    first = []
    for _ in range(max(3, repeats // 4)):
        started = time.perf_counter()
        outcome = verify.verify_version(published_file)
        first.append(time.perf_counter() - started)
    verify._verified.clear()
    verify.verified(published_file)
    later = []
    for _ in range(repeats):
        started = time.perf_counter()
        verify.verified(published_file)
        later.append(time.perf_counter() - started)
    return {
        "file_mb": round(published_file.stat().st_size / 1e6, 1),
        "state": outcome.state,
        "first_open_s": round(statistics.median(first), 4),
        "later_open_s": round(statistics.median(later), 6),
    }


def bench_backup(work: Path, log, uploads: int = 1000) -> dict:
    log(f"  backup of {uploads} uploads, then one more")
    return run(work, uploads)


def backup_targets(results: dict) -> list[dict]:
    """Results-table entries: the second backup copies the one new submission (3 files + the audit trail), and a
    version's verification is cheap (first open <= 0.2 s at 1x, later opens <= 1 ms)."""
    entries = []
    backup = results.get("backup")
    target = "second backup after 1 new upload copies that submission's 3 files (+ the audit trail), not 1 000"
    if backup:
        second = backup["second_backup"]
        entries.append(
            {
                "id": "backup_incremental",
                "target": target,
                "measured": f"first backup {backup['first_backup']['objects']} objects, "
                f"{backup['first_backup']['mb']} MB in {backup['first_backup']['seconds']:.1f} s; second "
                f"{second['objects']} objects, {second['mb']} MB in {second['seconds']:.1f} s; verify "
                f"{backup['verify_s']:.1f} s; restore {backup['restore_s']:.1f} s",
                "met": second["objects"] <= 4 and len(backup["second_backup_new_files"]) == 3,
            }
        )
    verified = results.get("verify")
    if verified:
        entries.append(
            {
                "id": "version_verification",
                "target": "verify a published version on first open <= 0.2 s (1x); later opens <= 1 ms",
                "measured": f"{verified['file_mb']} MB file: first open {verified['first_open_s'] * 1000:.0f} ms, "
                f"later {verified['later_open_s'] * 1e6:.0f} µs",
                "met": verified["first_open_s"] <= 0.2 and verified["later_open_s"] <= 0.001,
            }
        )
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time incremental backups and version verification.")
    parser.add_argument("--work", required=True, help="scratch folder (a data folder and a backup disk go there)")
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--published", help="a published version file to time the verification on")
    args = parser.parse_args(argv)
    results = {"backup": run(Path(args.work), args.uploads)}
    if args.published:
        results["verify"] = bench_verify(Path(args.published))
    results["targets"] = backup_targets(results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
