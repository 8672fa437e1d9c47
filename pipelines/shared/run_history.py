"""Dagster's event log (the run history under `dagster_home/storage/`), stored as Dagster's own SQLite layout but
written cheaply: dagster.yaml names `PooledSqliteEventLogStorage` (settings.ensure_dirs writes it).

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine, opens a connection, commits and closes it for every
event it stores, and a materialization or check result is stored two or three times (the run's own file and the
cross-run index). A refresh of the real snapshot logs several hundred events; profiled (benchmarks/findings.py),
that was 2 600 engines, 2 200 commits each waiting for fsync, and 2 650 closes: about a third of the whole run.
This subclass keeps one engine per file for the life of the process (a small pool of connections that stay open)
and opens each connection with SQLite's `synchronous=NORMAL`, which in WAL mode (Dagster sets WAL on these files)
skips the fsync of each commit: a power cut can lose the last events of a run's history, never corrupt the file
and never anything of the warehouse or a published version. Same files, same schema, same queries: the Dagster
UI and daemon read them as before, and a data folder can go back to the default class by editing dagster.yaml.

It also stores a batch of events (`store_event_batch`: the planned materializations and checks Dagster logs when it
creates a run, 53 for an upload's run, ~250 for a full refresh) by Dagster's own `store_event` for each, inside one
transaction per file instead of one per statement; Dagster hands it batches when DAGSTER_EVENT_BATCH_SIZE is set
(`settings.export_env`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
import sqlalchemy.exc as db_exc
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import get_alembic_config, safe_commit
from dagster._core.storage.sqlite import create_db_conn_string
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

_scripts: list[ScriptDirectory] = []
_scripts_lock = threading.Lock()


def _migration_scripts() -> ScriptDirectory:
    """Dagster's SQLite event log migrations (alembic), read once per process."""
    with _scripts_lock:
        if not _scripts:
            _scripts.append(ScriptDirectory.from_config(get_alembic_config(sqlite_event_log.__file__)))
        return _scripts[0]


SQLITE_BUSY_TIMEOUT_SECONDS = 120  # as Dagster's own storage waits for a lock another process holds
OPEN_SHARDS = 8  # run files kept open besides the index (a long-lived process sees many runs)


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one engine per shard file kept open (see the module's docstring)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._present: set[tuple] = set()  # schema facts found true (tables, columns, migrations): never untrue later
        self._engines: dict[str, Engine] = {}
        self._engines_pid = os.getpid()
        self._engines_lock = threading.Lock()
        self._batch = threading.local()  # .connections: shard -> open connection, while this thread stores a batch
        super().__init__(base_dir, inst_data)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if self._engines_pid != os.getpid():  # a forked child never shares its parent's open connections
                self._engines = {}
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is None:
                engine = db.create_engine(
                    create_db_conn_string(self._base_dir, shard),
                    poolclass=QueuePool,
                    pool_size=2,
                    max_overflow=4,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                db.event.listen(engine, "connect", _on_connect)
                self._engines[shard] = engine
                runs = [name for name in self._engines if name != INDEX_SHARD_NAME]  # oldest first (insertion order)
                for old in runs[: max(0, len(runs) - OPEN_SHARDS)]:
                    self._engines.pop(old).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        batch = getattr(self._batch, "connections", None)
        if batch is not None:  # this thread is storing a batch and holds the lock: its transaction on this file
            if shard not in batch:
                batch[shard] = self._open(shard)
                batch[shard].begin()
            yield batch[shard]
            return
        with self._db_lock:
            with self._open(shard) as conn:
                with conn.begin():
                    yield conn

    def _open(self, shard: str) -> Connection:
        engine = self._engine(shard)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine.connect()

    def store_event_batch(self, events) -> None:
        """Each event stored by Dagster's own `store_event` (the run's file, the cross-run index, asset and check
        records), all of them in one transaction per file. Profiled on an upload's run (cProfile), the 53 planned
        events Dagster logs when it creates the run were 219 statements, each in a transaction of its own, and 0.33 s
        of the run creation's 0.54 s. Nothing of a batch that fails is kept (every file's transaction is rolled
        back), so Dagster's fallback of storing the events one by one does not store any twice; only a commit
        failing after another file's commit (a full disk) could."""
        if not events:
            return
        with self._db_lock:
            self._batch.connections = connections = {}
            try:
                for event in events:
                    super().store_event(event)
                for connection in connections.values():
                    connection.commit()
            finally:
                self._batch.connections = None
                for connection in connections.values():
                    connection.close()  # rolls back what was not committed

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        """A run's new file, made as Dagster makes it (its tables, WAL, stamped with the newest migration), with the
        migration scripts read once per process. Dagster's own `_initdb` reads all of them (some sixty Python files)
        twice for every new file: ~40 ms of each run, which `sps watch` makes one per upload (py-spy). An existing
        file, the index and any failure (another process making the same file) go Dagster's own way."""
        if for_index_shard:
            super()._initdb(engine, for_index_shard)
            return
        try:
            with engine.connect() as connection:
                if db.inspect(connection).get_table_names():
                    connection.close()
                    super()._initdb(engine, for_index_shard)
                    return
                SqlEventLogStorageMetadata.create_all(engine)
                connection.execute(db.text("PRAGMA journal_mode=WAL;"))
                MigrationContext.configure(connection).stamp(_migration_scripts(), "head")
                safe_commit(connection)
        except (db_exc.DatabaseError, sqlite3.DatabaseError):
            super()._initdb(engine, for_index_shard)

    # Dagster asks these for every asset event (has_table alone 175 times in one refresh, a new engine each time).
    # A table, a column or a finished data migration does not go away while the process runs; only "yes" is kept,
    # so one added by `dagster instance migrate` meanwhile is still seen.
    def has_table(self, table_name: str) -> bool:
        return self._remembered(
            ("table", table_name), lambda: super(PooledSqliteEventLogStorage, self).has_table(table_name)
        )

    def has_secondary_index(self, name: str) -> bool:
        return self._remembered(
            ("index", name), lambda: super(PooledSqliteEventLogStorage, self).has_secondary_index(name)
        )

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        return self._remembered(
            ("asset_key_column", column_name),
            lambda: super(PooledSqliteEventLogStorage, self)._has_asset_key_col_on_connection(conn, column_name),
        )

    def _remembered(self, fact: tuple, ask) -> bool:
        if fact in self._present:
            return True
        answer = bool(ask())
        if answer:
            self._present.add(fact)
        return answer

    def dispose(self) -> None:
        with self._engines_lock:
            engines, self._engines = self._engines, {}
        for engine in engines.values():
            engine.dispose()
        super().dispose()

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)
