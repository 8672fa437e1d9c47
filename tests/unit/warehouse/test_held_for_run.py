"""A refresh holds the warehouse open for its run (pipelines/warehouse/connection.py `held_for_run`): the steps'
connections share that open database, so the write-ahead log is checkpointed once, after the run, not each time a
step closes the file; a warehouse another process holds does not stop the run from starting."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.warehouse.connection import held_for_run, warehouse_connection


def _write(resource: DuckDBResource, value: int) -> None:
    with warehouse_connection(resource) as conn:
        conn.execute("create or replace table t as select range as x from range(?)", [value])


def test_steps_share_the_held_warehouse_and_it_is_checkpointed_after_the_run(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    wal = tmp_path / "warehouse.duckdb.wal"
    resource = DuckDBResource(database=str(path))
    _write(resource, 10)
    assert not wal.exists()  # without a hold, closing the last connection checkpoints the file
    with held_for_run(path):
        _write(resource, 20)  # a step: opens the held database (same configuration as dbt's) and closes it
        assert wal.exists() and wal.stat().st_size > 0  # not checkpointed yet: the run goes on
        _write(resource, 30)
        with warehouse_connection(resource) as conn:
            assert conn.execute("select count(*) from t").fetchall()[0][0] == 30
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed once, when the hold ends
    with duckdb.connect(str(path), read_only=True) as conn:
        assert conn.execute("select count(*) from t").fetchall()[0][0] == 30


def test_a_warehouse_another_process_holds_does_not_stop_the_run(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with held_for_run(path):  # cannot open it: the run starts anyway, its steps wait for the file as before
            entered = time.monotonic() - started
        assert entered < 5
    finally:
        holder.kill()
        holder.wait()
    with held_for_run(path):  # released: held again
        with warehouse_connection(DuckDBResource(database=str(path))) as conn:
            assert conn.execute("select 1").fetchall() == [(1,)]
