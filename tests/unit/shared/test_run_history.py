"""The run history's event log (pipelines/shared/run_history.py) makes a run's new file as Dagster makes it, with the
migration scripts read once per process, and an existing file still goes Dagster's own way."""

from __future__ import annotations

import sqlite3

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import check_alembic_revision, get_alembic_config

from pipelines.shared import run_history
from pipelines.shared.run_history import PooledSqliteEventLogStorage


def _schema(path) -> tuple[list, list]:
    with sqlite3.connect(path) as conn:
        tables = conn.execute("select type, name, tbl_name, sql from sqlite_master order by type, name").fetchall()
        versions = conn.execute("select * from alembic_version").fetchall()
        journal = conn.execute("pragma journal_mode").fetchall()
    return tables, versions + journal


def _made(storage_class, base_dir, run_id: str):
    storage = storage_class(str(base_dir))
    with storage.run_connection(run_id):
        pass
    storage.dispose()
    return _schema(base_dir / f"{run_id}.db")


def test_a_new_run_file_is_the_file_dagster_makes(tmp_path):
    ours = _made(PooledSqliteEventLogStorage, tmp_path / "ours", "run-1")
    dagsters = _made(SqliteEventLogStorage, tmp_path / "dagster", "run-1")
    assert ours == dagsters
    assert ours[0] and ours[1][0][0]  # tables, and a stamped revision
    engine_path = tmp_path / "ours" / "run-1.db"
    import sqlalchemy as db

    engine = db.create_engine(f"sqlite:///{engine_path}")
    with engine.connect() as conn:  # Dagster's own check finds it at the newest migration
        found, head = check_alembic_revision(get_alembic_config(run_history.sqlite_event_log.__file__), conn)
    engine.dispose()
    assert found == head


def test_the_migration_scripts_are_read_once_for_many_new_files(tmp_path, monkeypatch):
    reads = []
    real = run_history.ScriptDirectory.from_config
    monkeypatch.setattr(run_history.ScriptDirectory, "from_config", lambda config: reads.append(1) or real(config))
    monkeypatch.setattr(run_history, "_scripts", [])
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    reads.clear()  # the index, made when the storage starts, goes Dagster's way
    for number in range(5):
        with storage.run_connection(f"run-{number}"):
            pass
    storage.dispose()
    assert len(reads) == 1
    assert all(_schema(tmp_path / f"run-{n}.db")[1] == _schema(tmp_path / "run-0.db")[1] for n in range(5))


def _event(message: str, timestamp: float):
    from dagster._core.events.log import EventLogEntry

    return EventLogEntry(error_info=None, level="debug", user_message=message, run_id="run-x", timestamp=timestamp)


def test_an_existing_run_file_is_opened_dagsters_way_and_keeps_its_events(tmp_path):
    first = SqliteEventLogStorage(str(tmp_path))
    first.store_event(_event("kept", 1.0))
    first.dispose()
    ours = PooledSqliteEventLogStorage(str(tmp_path))
    ours.store_event(_event("added", 2.0))
    messages = [record.event_log_entry.user_message for record in ours.get_records_for_run("run-x").records]
    ours.dispose()
    assert messages == ["kept", "added"]


def test_a_file_another_process_is_making_at_the_same_moment_goes_dagsters_way(tmp_path, monkeypatch):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    real_create = run_history.SqlEventLogStorageMetadata.create_all
    failed = []

    def create_all(engine):  # the first attempt meets the other process's tables, as SQLite says it
        if not failed:
            failed.append(1)
            real_create(engine)
            raise sqlite3.OperationalError("table event_logs already exists")
        real_create(engine)

    monkeypatch.setattr(run_history.SqlEventLogStorageMetadata, "create_all", create_all)
    dagsters = []
    real_initdb = SqliteEventLogStorage._initdb
    monkeypatch.setattr(
        SqliteEventLogStorage, "_initdb", lambda self, *a, **k: dagsters.append(a) or real_initdb(self, *a, **k)
    )
    with storage.run_connection("run-y"):
        pass
    storage.dispose()
    assert failed and dagsters  # ours failed, Dagster's own way made it
    monkeypatch.undo()
    assert _schema(tmp_path / "run-y.db") == _made(SqliteEventLogStorage, tmp_path / "dagster", "run-y")
