"""Verified published versions: a manifest written with each version before CURRENT moves, and the check that
a version's file is still the one that was published.

    data/published/<version>.manifest.json   (read-only)
        format               "sps-version-manifest/1"
        version              the version
        files                {"<version>.duckdb": {"sha256": ..., "bytes": ...},
                              "<version>.tables/<table>.parquet": {...}, ...}: every file of the version
        tables               {table: row count} of every table in the version
        table_files          {table: {"file": ..., "content": ...}}: the file of each table and a fingerprint of
                             its content, which the next publish compares to link an unchanged table (ADR 0024);
                             a table in parts has one entry per part, {"table.part": {..., "table": table}}
                             (fct_observations.official and fct_observations.cities, ADR 0030)
        commit               the git commit of the code that built it (null outside a git checkout)
        inputs_fingerprint   sha256 of the inputs' fingerprint (`_publication.inputs_json`)

`verify_version` compares each file's size and sha256 with its manifest (`deep` also opens the version read-only
and counts every table's rows). Readers call `verified()`, which checks a version once per process and remembers
the answer for its files (path, inode, size, mtime); a table file shared with an earlier version through a hard
link is hashed once. Hashing the 15 MB single-file version of the real snapshot took ~25 ms (benchmarks/backup.py,
`bench_verify`), once, when a reader first opens it; later opens ~5 µs. A version published before manifests
existed is "unverified": served, but reported as such.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = "sps-version-manifest/1"

INTACT, DAMAGED, UNVERIFIED = "intact", "damaged", "unverified"


@dataclass(frozen=True)
class Verification:
    version: str
    state: str  # intact | damaged | unverified
    reason: str  # one line: what was checked, or what is wrong
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state != DAMAGED


def manifest_path(version_path: Path) -> Path:
    return version_path.with_name(version_path.stem + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(
    version_path: Path,
    version: str,
    tables: dict[str, int],
    inputs_json: str,
    commit: str | None,
    table_files: dict[str, dict] | None = None,
    known_files: dict[str, dict] | None = None,
) -> Path:
    """Write the version's manifest (read-only, flushed) beside it: the sha256 and size of the version's file and
    of each table file. `known_files` gives those of files already hashed (hard links to an earlier version's
    files, whose manifest has them), keyed by the name relative to the published folder."""
    files = {version_path.name: {"sha256": file_sha256(version_path), "bytes": version_path.stat().st_size}}
    for entry in sorted((table_files or {}).values(), key=lambda e: e["file"]):
        name = entry["file"]
        files[name] = (known_files or {}).get(name) or {
            "sha256": file_sha256(version_path.parent / name),
            "bytes": (version_path.parent / name).stat().st_size,
        }
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": version,
        "written_at": datetime.now(UTC).isoformat(),
        "files": files,
        "tables": dict(sorted(tables.items())),
        "table_files": dict(sorted((table_files or {}).items())),
        "commit": commit,
        "inputs_fingerprint": hashlib.sha256(inputs_json.encode("utf-8")).hexdigest(),
    }
    target = manifest_path(version_path)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    target.chmod(0o444)
    return target


def read_manifest(version_path: Path) -> dict | None:
    try:
        return json.loads(manifest_path(version_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def verify_version(version_path: Path, deep: bool = False) -> Verification:
    """Is the file the one that was published? Never raises for a damaged version: says so."""
    started = time.perf_counter()
    version = version_path.stem

    def result(state: str, reason: str) -> Verification:
        return Verification(version, state, reason, round(time.perf_counter() - started, 4))

    try:
        manifest = read_manifest(version_path)
    except (OSError, ValueError) as exc:
        return result(DAMAGED, f"its manifest cannot be read ({type(exc).__name__})")
    if manifest is None:
        return result(UNVERIFIED, "no manifest (published before versions were verified)")
    files = manifest.get("files") or {}
    if (
        manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("version") != version
        or not files.get(version_path.name)
    ):
        return result(DAMAGED, f"its manifest does not describe {version_path.name}")
    # File names are relative to the published folder, as in the version's views (versions/connection.py): a moved
    # or restored data folder checks, and reads, its own files.
    for name, expected in files.items():
        problem = _check_file(version_path.parent / name, name, expected)
        if problem:
            return result(DAMAGED, problem)
    what = "sha256 matches its manifest" if len(files) == 1 else f"the sha256 of its {len(files)} files match"
    if deep:
        problem = _count_rows(version_path, manifest.get("tables") or {})
        if problem:
            return result(DAMAGED, problem)
        return result(INTACT, f"{what}, and the row counts of {len(manifest.get('tables') or {})} tables")
    return result(INTACT, what)


_hashed: dict[tuple[int, int, int, int], str] = {}  # (device, inode, size, mtime) -> sha256, for this process


def _check_file(path: Path, name: str, expected: dict) -> str | None:
    """None when `path` has the size and sha256 its manifest says; otherwise what is wrong, in one line. A file
    hashed before in this process (the same inode: a table file linked into several versions) is not read again."""
    try:
        info = path.stat()
        if info.st_size != expected["bytes"]:
            return f"{name} has {info.st_size} bytes, its manifest says {expected['bytes']}"
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with _verified_lock:
            sha = _hashed.get(key)
        if sha is None:
            sha = file_sha256(path)
            with _verified_lock:
                _hashed[key] = sha
    except OSError as exc:
        return f"{name} cannot be read ({exc.strerror or type(exc).__name__})"
    if sha != expected["sha256"]:
        return (
            f"the sha256 of {name} is {sha[:12]}…, its manifest says {expected['sha256'][:12]}…: "
            "the file changed after it was published"
        )
    return None


def _count_rows(version_path: Path, tables: dict[str, int]) -> str | None:
    import duckdb

    from pipelines.versions.connection import connect_version

    try:
        with connect_version(version_path) as conn:
            for table, rows in tables.items():
                found = conn.execute(f'select count(*) from "{table}"').fetchall()[0][0]
                if found != rows:
                    return f"table {table} has {found} rows, its manifest says {rows}"
    except duckdb.Error as exc:
        return f"{version_path.name} cannot be read ({str(exc).splitlines()[0][:200]})"
    return None


_verified: dict[tuple[str, int, int, int], Verification] = {}
_verified_lock = threading.Lock()


def verified(version_path: Path) -> Verification:
    """`verify_version`, once per process for a given file (path, inode, size, mtime)."""
    try:
        info = version_path.stat()
    except OSError as exc:
        return Verification(version_path.stem, DAMAGED, f"{version_path.name} cannot be read ({exc.strerror})")
    key = (str(version_path), info.st_ino, info.st_size, info.st_mtime_ns)
    with _verified_lock:
        known = _verified.get(key)
    if known is not None:
        return known
    outcome = verify_version(version_path)
    with _verified_lock:
        _verified[key] = outcome
    return outcome
