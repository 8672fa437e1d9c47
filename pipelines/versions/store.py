"""The published-version store: where versions live, which one is current, and opening it read-only.

    data/published/
        20261125T120000123456Z.duckdb         the version: views over its table files, and its own small tables
                                              (_publication, _health, _sources); open it read-only like any
                                              DuckDB file
        20261125T120000123456Z.tables/        one Parquet file per table; a table whose content did not change
                                              since the version before is a hard link to that version's file
        20261125T120000123456Z.manifest.json  every file's sha256 and size, row counts (versions/verify.py)
        CURRENT                               one line: the file name of the version readers must open

A version's views name their table files relative to the published folder, so a moved, copied or restored data
folder reads as it did; `pipelines.versions.connection` opens every version with DuckDB's `file_search_path` set to
its folder (from the DuckDB shell: `cd data/published` first). The last N versions are kept; versions published
before table files (docs/adr/0024) are one DuckDB file holding every table, and are read the same way.

Readers (dashboard, exports, reports, the upload check) only ever open the file CURRENT names, read-only.
Only `pipelines.publishing` writes new versions; the pointer is swapped atomically (write temp + rename), so
a refresh that fails or is killed before the swap leaves CURRENT and the file it names exactly as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import DamagedVersion, NothingPublished, SpsError
from pipelines.settings import Settings
from pipelines.versions.connection import connect_version
from pipelines.versions.verify import DAMAGED, manifest_path, verified

POINTER = "CURRENT"
TMP_SUFFIX = ".tmp"
TABLES_SUFFIX = ".tables"


def tables_dir(version_path: Path) -> Path:
    """`<version>.tables/`: the folder of a version's table files (absent for a single-file version)."""
    return version_path.with_name(version_path.stem + TABLES_SUFFIX)


def _remove_tree(folder: Path) -> None:
    """Remove a version's table folder; its files and the folder are read-only once published."""
    if not folder.is_dir():
        return
    folder.chmod(0o755)
    for child in folder.iterdir():
        child.unlink(missing_ok=True)  # unlinking needs the folder writable, not the (shared, read-only) file
    folder.rmdir()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_pointer(published_dir: Path, file_name: str) -> None:
    tmp = published_dir / f".{POINTER}{TMP_SUFFIX}"
    with open(tmp, "w") as fh:
        fh.write(file_name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, published_dir / POINTER)
    fsync_path(published_dir)


def sweep_temporary_files(published_dir: Path) -> list[str]:
    """Remove what a publish that failed or was killed left: temporary files, and table folders whose version
    file was never written (they are written first; the version file, its manifest and CURRENT follow)."""
    removed = []
    for leftover in published_dir.glob(f".*{TMP_SUFFIX}*"):
        if leftover.is_dir():
            _remove_tree(leftover)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    for folder in published_dir.glob(f"*{TABLES_SUFFIX}"):
        if (
            not folder.name.startswith(".")
            and not folder.with_name(folder.name.removesuffix(TABLES_SUFFIX) + ".duckdb").exists()
        ):
            _remove_tree(folder)
            removed.append(folder.name)
    return removed


def list_versions(published_dir: Path) -> list[Path]:
    return sorted(p for p in published_dir.glob("*.duckdb") if not p.name.startswith("."))


def prune_versions(published_dir: Path, keep: int) -> list[str]:
    current = current_version_path(published_dir, required=False)
    versions = list_versions(published_dir)
    removed = []
    for old in versions[: max(0, len(versions) - max(1, keep))]:
        if current is not None and old == current:
            continue
        old.chmod(0o644)
        old.unlink()
        manifest = manifest_path(old)
        if manifest.exists():
            manifest.chmod(0o644)
            manifest.unlink()
        _remove_tree(tables_dir(old))  # files shared with newer versions live on through their hard links
        removed.append(old.name)
    return removed


def current_version_path(published_dir: Path, required: bool = True) -> Path | None:
    pointer = published_dir / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        if required:
            raise NothingPublished(str(published_dir)) from None
        return None
    path = published_dir / name
    if not name or "/" in name or not name.endswith(".duckdb") or not path.is_file():
        if required:
            raise DamagedVersion(f"the pointer {pointer} names {name!r}, which is not a published version")
        return None
    return path


def open_version(version_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published version. Its tables are views over Parquet files: DuckDB keeps their
    metadata cached for the connection's database instead of reading each file's footer on every query."""
    conn = connect_version(version_path)
    conn.execute("set parquet_metadata_cache = true")
    return conn


def open_published(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the version CURRENT names, unchecked (the publish step, right after writing
    it). Readers use `pipelines.versions.serving.open_serving`, which verifies it and falls back."""
    return open_version(current_version_path(settings.published_dir))


@dataclass(frozen=True)
class VersionInfo:
    version: str
    path: Path
    published_at: str | None
    health: str | None
    observations: int | None
    is_current: bool
    verification: str = ""  # intact | damaged | unverified


def describe_versions(published_dir: Path) -> list[VersionInfo]:
    """Every kept version, oldest first, with when it was published, its health and its size."""
    current = current_version_path(published_dir, required=False)
    infos = []
    for path in list_versions(published_dir):
        published_at = health = observations = None
        check = verified(path)
        try:
            with connect_version(path) as conn:
                published_at = str(conn.execute("select published_at from _publication").fetchall()[0][0])[:19]
                observations = conn.execute("select count(*) from fct_observations").fetchall()[0][0]
                tables = {row[0] for row in conn.execute("select table_name from information_schema.tables").fetchall()}
                if "_health" in tables:
                    health = conn.execute("select status from _health").fetchall()[0][0]
        except duckdb.Error:
            health = "unreadable"
        infos.append(VersionInfo(path.stem, path, published_at, health, observations, path == current, check.state))
    return infos


def rollback(published_dir: Path, version: str | None = None) -> tuple[str, str]:
    """Point CURRENT at an earlier kept version (default: the newest intact one before the current). Returns
    (from, to).

    Nothing is deleted: the newer versions stay on disk (until pruned) and `sps publish --rollback NEWER`
    goes forward again. The next refresh plans against the version rolled back to. A damaged version is never
    switched to; a broken pointer can always be repaired this way."""
    try:
        current = current_version_path(published_dir)
    except DamagedVersion:
        current = None  # a pointer naming no version: roll "back" to the newest intact one
    if current is None and not (published_dir / POINTER).exists():
        raise NothingPublished(str(published_dir))
    versions = list_versions(published_dir)
    if version is None:
        older = [path for path in versions if current is None or path.stem < current.stem]
        intact = [path for path in older if verified(path).state != DAMAGED]
        if not intact:
            where = f"before {current.stem}" if current else "in the store"
            raise SpsError(f"there is no intact version {where} to roll back to")
        target = intact[-1]
    else:
        target = published_dir / f"{version.removesuffix('.duckdb')}.duckdb"
        if "/" in version or target not in versions:
            kept = ", ".join(path.stem for path in versions)
            raise SpsError(f"no published version {version!r}; kept versions: {kept}")
    check = verified(target)
    if check.state == DAMAGED:
        raise SpsError(f"{target.stem} is damaged ({check.reason}); not switching to it")
    try:
        with connect_version(target) as conn:
            conn.execute("select version from _publication").fetchall()
    except duckdb.Error as exc:
        raise SpsError(f"{target.name} cannot be read ({type(exc).__name__}); not switching to it") from exc
    write_pointer(published_dir, target.name)
    return (current.stem if current else "a pointer naming no version"), target.stem
