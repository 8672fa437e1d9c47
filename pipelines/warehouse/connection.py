"""The warehouse connection for assets: dagster-duckdb's `DuckDBResource.get_connection()` closes its connection only
when the block ends without an exception, so an asset that fails inside it (a broken source, a failed download, an
empty warehouse at publish) left a read-write connection open in the process until garbage collection, and every
later read-only connection of `sps refresh` to the same file (its source summary, its failure record) was refused
("different configuration"). This one always closes, and caps DuckDB's memory (SPS_DUCKDB_MEMORY_LIMIT, set on
the open connection: a setting passed to `connect` would count as another configuration of the file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings


@contextmanager
def warehouse_connection(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    with resource.get_connection() as conn:
        try:
            conn.execute(f"set memory_limit = '{load_settings().duckdb_memory_limit}'")  # checked by load_settings
            yield conn
        finally:
            conn.close()
