"""The warehouse connection for assets, and the refresh's hold on the warehouse for the length of its run.

`warehouse_connection`: dagster-duckdb's `DuckDBResource.get_connection()` closes its connection only when the block
ends without an exception, so an asset that fails inside it (a broken source, a failed download, an empty warehouse
at publish) left a read-write connection open in the process until garbage collection, and every later read-only
connection of `sps refresh` to the same file (its source summary, its failure record) was refused ("different
configuration"). This one always closes, and caps DuckDB's memory (SPS_DUCKDB_MEMORY_LIMIT, set on the open
connection: a setting passed to `connect` would count as another configuration of the file). It also opens the file
with DuckDB's default configuration, as dbt-duckdb does, where `get_connection()` adds
`custom_user_agent=dagster`: two configurations of one file cannot be open at once in a process, and
`held_for_run` below keeps one open for the whole run.

`held_for_run`: DuckDB closes a database when its last connection closes, and closing a database that was written
checkpoints it (its write-ahead log into the file, with an fsync). Each step of a run opened and closed the
warehouse on its own (the source or upload step, dbt, the GX check, publish), so a run paid for a checkpoint after
dbt and before publish: ~0.25 s of every upload published by `sps watch` (profiled, issue 21 target 1). Held open
for the run, every connection of the run shares one open database (DuckDB's instance cache, same file and same
configuration) and the checkpoint comes once, when the hold ends, after CURRENT names the new version. DuckDB still
checkpoints by itself when the log passes its threshold (16 MiB) and every commit is still durable in the log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings


def _connect(database: str) -> duckdb.DuckDBPyConnection:
    # as DuckDBResource.get_connection: another process may hold the file for a moment (a reader's verification)
    return backoff(
        fn=duckdb.connect,
        retry_on=(RuntimeError, duckdb.IOException),
        kwargs={"database": database, "read_only": False},
        max_retries=10,
    )


@contextmanager
def warehouse_connection(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = _connect(resource.database)
    try:
        conn.execute(f"set memory_limit = '{load_settings().duckdb_memory_limit}'")  # checked by load_settings
        yield conn
    finally:
        conn.close()


@contextmanager
def held_for_run(warehouse: Path) -> Iterator[None]:
    """Keep the warehouse open while a run of this process uses it (see the module's docstring). If it cannot be
    opened now (another process holds it), the run goes on without the hold: its steps open the file themselves,
    wait for it and say so if it stays locked, as they did before."""
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(warehouse), read_only=False)
    except (duckdb.Error, OSError):
        yield
        return
    try:
        yield
    finally:
        conn.close()
