"""The refresh's Great Expectations worker process (pipelines/shared/gx.py: start_worker, map_in_worker,
stop_worker; pipelines/shared/gx_worker.py): it validates exactly as this process does, an item it cannot do is
done here, a refresh ending while it still imports does not leave it running, and none is started where GX is
already loaded. The frames are small labelled fixtures, not observations."""

from __future__ import annotations

import logging
import os
import signal
import sys

import pandas as pd
import pytest

from pipelines.shared import gx
from pipelines.shared.gx_worker import process_id
from pipelines.warehouse.checks import validate_in_chunks


@pytest.fixture(autouse=True)
def _no_worker_left():
    gx.stop_worker(wait=0.5)
    yield
    gx.stop_worker(wait=0.5)


def _frames():
    """FIXTURE rows: one good, one percentage over 100, one interval upside down, one unknown source and method."""
    rows = [
        {"observation_id": i, "value": v, "ci_low": lo, "ci_high": hi, "source_type": s, "uncertainty_method": m,
         "pct": v, "non_pct": None}
        for i, (v, lo, hi, s, m) in enumerate(
            [(50.0, 45.0, 55.0, "survey", "wilson"), (140.0, None, None, "survey", "wilson"),
             (40.0, 60.0, 30.0, "eurostat", "published"), (10.0, 5.0, 15.0, "blog", "guess")]
        )
    ]  # fmt: skip
    return [pd.DataFrame(rows[:2]), pd.DataFrame(rows[2:])]


def _worker_pid() -> int:
    [pid] = gx.map_in_worker(process_id, [None])
    assert pid != os.getpid()  # it really is another process (and never this one, which a test then signals)
    return pid


def test_a_worker_process_validates_as_this_process_does():
    here = validate_in_chunks(_frames())
    assert gx.start_worker(force=True)
    _worker_pid()
    assert validate_in_chunks(_frames()) == here
    counts = {rule: count for rule, count, _ in here[0]}
    assert counts["percentages within 0-100"] == 1 and counts["known source type"] == 1 and here[1] == 4
    assert counts["interval low <= value"] == 1 and counts["value <= interval high"] == 1


def test_a_worker_that_died_is_replaced_by_this_process(caplog):
    assert gx.start_worker(force=True)
    worker = gx._worker
    os.kill(_worker_pid(), signal.SIGKILL)
    worker.wait(timeout=10)
    with caplog.at_level(logging.WARNING, logger="pipelines.shared.gx"):
        assert list(gx.map_in_worker(process_id, [None])) == [os.getpid()]
    assert "could not validate (it ended); validating here" in caplog.text
    assert gx._worker is None and list(gx.map_in_worker(process_id, [None])) == [os.getpid()]  # later calls: here
    assert gx.start_worker(force=True) and _worker_pid() != worker.pid  # a new refresh starts a new one


def test_frames_sent_ahead_to_a_worker_that_dies_are_validated_here(caplog):
    here = validate_in_chunks(_frames() * 3)
    assert gx.start_worker(force=True)
    worker_pid = _worker_pid()

    def frames_then_kill():
        for number, frame in enumerate(_frames() * 3):
            yield frame
            if number == 2:  # frames sent ahead, one of them perhaps validated already
                os.kill(worker_pid, signal.SIGKILL)

    with caplog.at_level(logging.WARNING, logger="pipelines.shared.gx"):
        assert validate_in_chunks(frames_then_kill()) == here
    assert caplog.text.count("validating here") == 1
    assert gx._worker is None


def test_an_item_the_worker_fails_on_fails_here_as_without_a_worker(caplog):
    assert gx.start_worker(force=True)
    with caplog.at_level(logging.WARNING, logger="pipelines.shared.gx"), pytest.raises(ValueError, match="'x'"):
        list(gx.map_in_worker(int, ["7", "x"]))
    assert "ValueError" in caplog.text  # the worker's own error, named in the warning
    assert gx._worker is None


def test_ending_while_the_worker_still_imports_ends_it_at_once():
    assert gx.start_worker(force=True)
    worker = gx._worker
    gx.stop_worker(wait=0.2)  # GX takes seconds to import: the worker is killed, not waited for
    assert worker.poll() is not None and gx._worker is None


def test_an_idle_worker_ends_by_itself_when_stopped():
    assert gx.start_worker(force=True)
    worker = gx._worker
    _worker_pid()  # it has imported GX and answered
    gx.stop_worker(wait=10)
    assert worker.returncode == 0  # ended on its own (stdin closed), not killed


def test_no_worker_where_gx_is_loaded_or_where_this_process_is_asked_for(monkeypatch):
    monkeypatch.setenv(gx.IN_PROCESS_ENV, "1")
    assert not gx.start_worker() and gx._worker is None
    monkeypatch.delenv(gx.IN_PROCESS_ENV)
    monkeypatch.setitem(sys.modules, "great_expectations", sys.modules.get("great_expectations") or object())
    assert not gx.start_worker() and gx._worker is None
    assert list(gx.map_in_worker(process_id, [None])) == [os.getpid()]


def test_map_in_worker_keeps_the_order_of_its_items():
    assert gx.start_worker(force=True)
    assert list(gx.map_in_worker(abs, range(-20, 0), ahead=3)) == list(range(20, 0, -1))
    gx.stop_worker()
    assert list(gx.map_in_worker(abs, range(-3, 0))) == [3, 2, 1]  # no worker: here
