"""Publishing: copy the marts into a new immutable DuckDB file and swap a pointer atomically.

    data/published/
        20261125T120000123456Z.duckdb   read-only copies, newest last; the last N are kept
        CURRENT                         one line: the file name of the version readers must open

Readers (dashboard, exports, reports) only ever open the file CURRENT names, read-only. A refresh that
fails or is killed before the pointer swap leaves CURRENT and the file it names exactly as they were;
temporary files it may leave behind are swept by the next publish.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import NothingPublished, PublishError
from pipelines.settings import Settings, pause_for_tests

POINTER = "CURRENT"
TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class Publication:
    version: str
    path: Path
    tables: dict[str, int]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(published_dir: Path, file_name: str) -> None:
    tmp = published_dir / f".{POINTER}{TMP_SUFFIX}"
    with open(tmp, "w") as fh:
        fh.write(file_name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, published_dir / POINTER)
    _fsync_dir(published_dir)


def sweep_temporary_files(published_dir: Path) -> list[str]:
    removed = []
    for leftover in published_dir.glob(f".*{TMP_SUFFIX}*"):
        leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


def publish_marts(conn: duckdb.DuckDBPyConnection, settings: Settings, schema: str = "marts") -> Publication:
    """Copy every table of `schema` from the open warehouse connection into a new published version."""
    published_dir = settings.published_dir
    published_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporary_files(published_dir)
    now = datetime.now(UTC)
    version = now.strftime("%Y%m%dT%H%M%S%fZ")
    final = published_dir / f"{version}.duckdb"
    tmp = published_dir / f".{version}.duckdb{TMP_SUFFIX}"
    tables = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_catalog = current_database() order by table_name",
            [schema],
        ).fetchall()
    ]
    if not tables:
        raise PublishError(f"the warehouse has no tables in schema {schema!r} (did dbt build run?)")
    counts: dict[str, int] = {}
    try:
        conn.execute(f"attach '{tmp.as_posix()}' as _publish")
        try:
            for table in tables:
                conn.execute(f'create table _publish.main."{table}" as select * from {schema}."{table}"')
                counts[table] = conn.execute(f'select count(*) from _publish.main."{table}"').fetchall()[0][0]
            conn.execute(
                "create table _publish.main._publication as select ? as version, ?::timestamptz as published_at",
                [version, now.isoformat()],
            )
            conn.execute("checkpoint _publish")
        finally:
            conn.execute("detach _publish")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        pause_for_tests("publish")  # test-only: a crash here leaves a whole temporary file, no pointer swap
        os.replace(tmp, final)
        final.chmod(0o444)
        _write_pointer(published_dir, final.name)
    except (duckdb.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        for extra in published_dir.glob(f".{version}.duckdb{TMP_SUFFIX}*"):
            extra.unlink(missing_ok=True)
        raise PublishError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from exc
    prune_versions(published_dir, keep=settings.published_keep)
    return Publication(version=version, path=final, tables=counts)


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
    if not name or "/" in name or not path.is_file():
        if required:
            raise PublishError(f"{pointer} names {name!r}, which is not a published file")
        return None
    return path


def open_published(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current published version (never the warehouse)."""
    return duckdb.connect(str(current_version_path(settings.published_dir)), read_only=True)
