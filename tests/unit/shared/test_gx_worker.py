"""The refresh's Great Expectations worker process (pipelines/shared/gx.py: start_worker, in_worker, stop_worker):
it validates exactly as this process does, a worker that dies is replaced by this process, a refresh ending while it
still imports does not leave it running, and none is started where GX is already loaded."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

import pandas as pd
import pytest

from pipelines.shared import gx
from pipelines.warehouse.checks import validate_in_chunks


@pytest.fixture(autouse=True)
def _no_worker_left():
    gx.stop_worker(now=True)
    yield
    gx.stop_worker(now=True)


def _frames():
    rows = [
        {"observation_id": i, "value": v, "ci_low": lo, "ci_high": hi, "source_type": s, "uncertainty_method": m,
         "pct": v, "non_pct": None}
        for i, (v, lo, hi, s, m) in enumerate(
            [(50.0, 45.0, 55.0, "survey", "wilson"), (140.0, None, None, "survey", "wilson"),
             (40.0, 60.0, 30.0, "eurostat", "published"), (10.0, 5.0, 15.0, "blog", "guess")]
        )
    ]  # fmt: skip
    return [pd.DataFrame(rows[:2]), pd.DataFrame(rows[2:])]


def _worker_processes():
    return list((getattr(gx._worker, "_processes", None) or {}).values())


def test_a_worker_process_validates_as_this_process_does():
    here = validate_in_chunks(_frames())
    assert gx.start_worker(force=True)
    assert gx.in_worker(os.getpid) != os.getpid()  # it really is another process
    assert validate_in_chunks(_frames()) == here
    counts = {rule: count for rule, count, _ in here[0]}
    assert counts["percentages within 0-100"] == 1 and counts["known source type"] == 1 and here[1] == 4


def test_a_worker_that_died_is_replaced_by_this_process(caplog):
    assert gx.start_worker(force=True)
    worker_pid = gx.in_worker(os.getpid)
    assert worker_pid != os.getpid()  # never kill this process itself
    os.kill(worker_pid, signal.SIGKILL)
    for _ in range(100):  # until the pool has seen it go
        if not any(p.is_alive() for p in _worker_processes()):
            break
        time.sleep(0.05)
    with caplog.at_level(logging.WARNING, logger="pipelines.shared.gx"):
        assert gx.in_worker(os.getpid) == os.getpid()
    assert "worker process ended; validating here" in caplog.text
    assert gx._worker is None and gx.in_worker(os.getpid) == os.getpid()  # later calls stay here
    assert gx.start_worker(force=True) and gx.in_worker(os.getpid) not in (os.getpid(), worker_pid)


def test_ending_while_the_worker_still_imports_ends_it():
    assert gx.start_worker(force=True)
    processes = _worker_processes()
    assert processes  # the import started at once, not at the first suite
    gx.stop_worker(now=True)
    for process in processes:
        process.join(timeout=10)
        assert not process.is_alive()
    assert gx._worker is None


def test_an_idle_worker_ends_when_the_refresh_ends():
    assert gx.start_worker(force=True)
    gx.in_worker(os.getpid)
    processes = _worker_processes()
    gx.stop_worker(now=True)
    for process in processes:
        process.join(timeout=10)
        assert process.exitcode is not None


def test_no_worker_where_gx_is_loaded_or_where_this_process_is_asked_for(monkeypatch):
    monkeypatch.setenv(gx.IN_PROCESS_ENV, "1")
    assert not gx.start_worker() and gx._worker is None
    monkeypatch.delenv(gx.IN_PROCESS_ENV)
    monkeypatch.setitem(sys.modules, "great_expectations", sys.modules.get("great_expectations") or object())
    assert not gx.start_worker() and gx._worker is None
    assert gx.in_worker(os.getpid) == os.getpid()


def test_frames_sent_ahead_to_a_worker_that_dies_are_validated_here(caplog):
    here = validate_in_chunks(_frames() * 3)
    assert gx.start_worker(force=True)
    worker_pid = gx.in_worker(os.getpid)
    assert worker_pid != os.getpid()  # never kill this process itself

    def frames_then_kill():
        for number, frame in enumerate(_frames() * 3):
            yield frame
            if number == 2:  # two frames sent ahead, one of them perhaps validated already
                os.kill(worker_pid, signal.SIGKILL)

    with caplog.at_level(logging.WARNING, logger="pipelines.shared.gx"):
        assert validate_in_chunks(frames_then_kill()) == here
    assert caplog.text.count("worker process ended; validating here") == 1
    assert gx._worker is None


def test_map_in_worker_keeps_the_order_of_its_items():
    assert gx.start_worker(force=True)
    assert list(gx.map_in_worker(abs, range(-20, 0), ahead=3)) == list(range(20, 0, -1))
    gx.stop_worker(now=True)
    assert list(gx.map_in_worker(abs, range(-3, 0))) == [3, 2, 1]  # no worker: here
