"""Opening a published version's DuckDB file: the one place that knows how its views find their table files.

A version's tables are views over `read_parquet(['<version>.tables/<table>.parquet'])` (a table in parts lists one
file per part, ADR 0030): file names relative to the
published folder, never absolute, so a data folder that is moved, copied or restored from a backup still reads
(docs/adr/0024). DuckDB resolves a relative file name against the `file_search_path` setting, so every connection
to a version is opened with it set to the version's folder. Opening the same file twice in one process with
different settings is refused by DuckDB, so every reader opens versions here, never with a bare `duckdb.connect`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.errors import SpsError


def searchable_folder(folder: Path | str) -> str:
    """`folder` as DuckDB's `file_search_path` takes it: absolute, and without a comma (it separates entries)."""
    resolved = str(Path(folder).resolve())
    if "," in resolved:
        raise SpsError(
            f"the published folder {resolved} contains a comma, which DuckDB cannot search: "
            "set SPS_DATA_DIR to a folder without one"
        )
    return resolved


def version_config(version_path: Path | str) -> dict[str, str]:
    """The DuckDB settings every connection to `version_path` is opened with."""
    return {"file_search_path": searchable_folder(Path(version_path).resolve().parent)}


def connect_version(version_path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to a published version's file (read-only unless a test edits a copy of one)."""
    return duckdb.connect(str(version_path), read_only=read_only, config=version_config(version_path))


def search_published_folder(conn: duckdb.DuckDBPyConnection, published_dir: Path) -> None:
    """Let a connection that is not a version's own (the warehouse, while publishing) attach and write versions:
    their relative table file names resolve in `published_dir`."""
    conn.execute("set file_search_path = ?", [searchable_folder(published_dir)])
