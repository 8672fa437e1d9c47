"""The raw layer's register: append-only tables, one per source dataset, plus a load register.

- ``raw.<code>``        every load appended, tagged with ``load_id`` and lineage columns
                        (source_file, source_sha256, series_key, loaded_at, source_last_update)
- ``raw._loads``        one row per successful load (staging reads the latest load of each dataset)
- ``raw._source_status`` one row per attempt: loaded | unchanged | not_in_snapshot | failed, with a message

Every input family (sources/, uploads/, and those that come later) loads through these functions, each load in
one DuckDB transaction: a crash or a malformed file leaves the previous load untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb


@dataclass(frozen=True)
class LoadOutcome:
    dataset: str
    status: str  # loaded | unchanged | not_in_snapshot | failed
    message: str
    rows: int = 0
    source_file: str | None = None
    source_sha256: str | None = None
    source_last_update: str | None = None
    origin: str | None = None  # snapshot | live | live_fallback
    load_id: int | None = None


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute("create sequence if not exists raw._load_ids start 1")
    conn.execute(
        """create table if not exists raw._loads (
               load_id bigint primary key, dataset varchar not null, source_file varchar not null,
               source_sha256 varchar not null, source_last_update varchar, origin varchar not null,
               row_count bigint not null, loaded_at timestamptz not null)"""
    )
    conn.execute(
        """create table if not exists raw._source_status (
               dataset varchar not null, checked_at timestamptz not null, status varchar not null,
               message varchar, source_file varchar, source_sha256 varchar, source_last_update varchar,
               origin varchar, load_id bigint)"""
    )


def latest_load(conn: duckdb.DuckDBPyConnection, dataset: str) -> dict | None:
    rows = conn.execute(
        "select load_id, source_sha256, source_last_update from raw._loads where dataset = ? "
        "order by load_id desc limit 1",
        [dataset],
    ).fetchall()
    if not rows:
        return None
    load_id, sha, last_update = rows[0]
    return {"load_id": load_id, "source_sha256": sha, "source_last_update": last_update}


def record_status(conn: duckdb.DuckDBPyConnection, outcome: LoadOutcome) -> None:
    conn.execute(
        "insert into raw._source_status values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.dataset,
            datetime.now(UTC),
            outcome.status,
            outcome.message,
            outcome.source_file,
            outcome.source_sha256,
            outcome.source_last_update,
            outcome.origin,
            outcome.load_id,
        ],
    )


def rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction. A failed COMMIT (disk full, I/O error) has already ended it: then there is
    nothing to roll back, and the original error, not "no transaction is active", is the one to report."""
    try:
        conn.execute("rollback")
    except duckdb.TransactionException:
        pass


def append_by_name(conn: duckdb.DuckDBPyConnection, target: str, incoming: str) -> None:
    """Insert by column name, widening the target when a new load brings a new column (e.g. `freq`)."""
    schema, name = target.split(".")
    existing = conn.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    if not existing:
        conn.execute(f"create table {target} as select * from {incoming}")
        return
    have = {row[0] for row in existing}
    for column, dtype in conn.execute(f"select column_name, column_type from (describe {incoming})").fetchall():
        if column not in have:
            quoted = '"' + column.replace('"', '""') + '"'  # a file's own column name may hold a double quote
            conn.execute(f"alter table {target} add column {quoted} {dtype}")
    conn.execute(f"insert into {target} by name select * from {incoming}")
