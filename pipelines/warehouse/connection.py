"""The warehouse connection for assets: dagster-duckdb's `DuckDBResource.get_connection()` closes its connection only
when the block ends without an exception, so an asset that fails inside it (a broken source, a failed download, an
empty warehouse at publish) left a read-write connection open in the process until garbage collection, and every
later read-only connection of `sps refresh` to the same file (its source summary, its failure record) was refused
("different configuration"). This one always closes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster_duckdb import DuckDBResource


@contextmanager
def warehouse_connection(resource: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    with resource.get_connection() as conn:
        try:
            yield conn
        finally:
            conn.close()
