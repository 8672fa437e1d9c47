"""The run history's event log (pipelines/shared/run_history.py) makes a run's new file as Dagster makes it, with the
migration scripts read once per process, and an existing file still goes Dagster's own way."""

from __future__ import annotations

import sqlite3

import dagster as dg
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


# ------------------------------------------------------------------------------------ batches of events
def _job():
    """A small job: two assets and a check, whose run Dagster plans with three events."""

    @dg.asset
    def upstream() -> int:
        return 1

    @dg.asset
    def downstream(upstream: int) -> int:
        return upstream

    @dg.asset_check(asset=downstream)
    def downstream_is_fine() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    definitions = dg.Definitions(
        assets=[upstream, downstream], asset_checks=[downstream_is_fine], jobs=[dg.define_asset_job("all")]
    )
    return definitions.resolve_job_def("all")


def _planned_events(tmp_path) -> list:
    """The events Dagster logs when it creates a run: planned materializations and checks, as a real run's first."""
    (tmp_path / "source_home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "source_home")) as instance:
        run = instance.create_run_for_job(job_def=_job())
        events = [record.event_log_entry for record in instance.get_records_for_run(run.run_id).records]
    kinds = [event.dagster_event_type.value for event in events]
    assert sorted(kinds) == ["ASSET_CHECK_EVALUATION_PLANNED", *["ASSET_MATERIALIZATION_PLANNED"] * 2]
    return events


# Made when a storage opens the index (its data migrations, with the time they ran), not by storing events.
MIGRATION_RECORDS = {"alembic_version", "secondary_indexes"}
# Filled by SQLite's clock when a row is written (a column default, to the second), not from the event.
WRITE_TIMES = {"create_timestamp", "update_timestamp"}


def _contents(base_dir) -> dict:
    """Every row of every table of every file of an event log folder, but the migration records and write times."""
    found = {}
    for path in sorted(base_dir.glob("*.db")):
        with sqlite3.connect(path) as conn:
            tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
            found[path.name] = {}
            for table in sorted(set(tables) - MIGRATION_RECORDS):
                columns = [c[1] for c in conn.execute(f'pragma table_info("{table}")') if c[1] not in WRITE_TIMES]
                listed = ", ".join(f'"{c}"' for c in columns)
                found[path.name][table] = conn.execute(f'select {listed} from "{table}" order by 1').fetchall()
    return found


def _stored_by_dagster(tmp_path) -> list:
    """A new run's planned events, stored event by event by Dagster's own storage in tmp_path/dagster."""
    events = _planned_events(tmp_path)
    dagsters = SqliteEventLogStorage(str(tmp_path / "dagster"))
    for event in events:
        dagsters.store_event(event)
    dagsters.dispose()
    return events


def test_a_batch_is_stored_exactly_as_dagster_stores_its_events_one_by_one(tmp_path):
    events = _stored_by_dagster(tmp_path)
    ours = PooledSqliteEventLogStorage(str(tmp_path / "ours"))
    ours.store_event_batch(events)
    ours.dispose()
    stored = _contents(tmp_path / "ours")
    assert stored == _contents(tmp_path / "dagster")
    # the run's file and the index, with the planned check and the planned materializations in it
    assert len(stored) == 2 and stored["index.db"]["asset_check_executions"] and stored["index.db"]["asset_keys"]


def test_a_batch_that_fails_keeps_nothing_so_storing_it_again_stores_each_event_once(tmp_path, monkeypatch):
    events = _stored_by_dagster(tmp_path)
    ours = PooledSqliteEventLogStorage(str(tmp_path / "ours"))
    real = SqliteEventLogStorage.store_event
    stored = []

    def failing(self, event):
        if len(stored) == len(events) - 1:
            raise sqlite3.OperationalError("disk I/O error")  # the batch's last event
        stored.append(event)
        real(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", failing)
    try:
        ours.store_event_batch(events)
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("the batch did not fail")
    monkeypatch.undo()
    assert len(stored) == len(events) - 1  # all but the last were stored, in the batch's transactions
    kept = {
        name: {t: rows for t, rows in tables.items() if rows} for name, tables in _contents(tmp_path / "ours").items()
    }
    assert kept == dict.fromkeys(kept, {})  # and none of them is left
    for event in events:  # what Dagster does when a batch fails
        ours.store_event(event)
    ours.dispose()
    assert _contents(tmp_path / "ours") == _contents(tmp_path / "dagster")


def test_dagster_hands_a_new_runs_planned_events_over_as_one_batch(tmp_path, monkeypatch):
    batches = []
    real = PooledSqliteEventLogStorage.store_event_batch
    monkeypatch.setattr(
        PooledSqliteEventLogStorage,
        "store_event_batch",
        lambda self, events: batches.append(len(events)) or real(self, events),
    )
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")  # as settings.export_env sets it
    overrides = {
        "event_log_storage": {
            "module": "pipelines.shared.run_history",
            "class": "PooledSqliteEventLogStorage",
            "config": {"base_dir": str(tmp_path / "storage")},
        }
    }
    (tmp_path / "home").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "home"), overrides=overrides) as instance:
        run = instance.create_run_for_job(job_def=_job())
        planned = instance.get_records_for_run(run.run_id).records
    assert batches == [3] and len(planned) == 3
