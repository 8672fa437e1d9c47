"""The collector settings of `sps serve` and `sps watch` (pipelines/shared/collector.py). Freezing is permanent for
a process, so it is tried in fresh interpreters."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import weakref

import pytest

from pipelines.shared.collector import FULL_COLLECTION_EVERY, collection_deferred


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def _cycle() -> weakref.ref:
    return weakref.ref(_Node())


def test_collection_is_deferred_to_the_end_of_the_block():
    assert gc.isenabled()
    with collection_deferred():
        assert not gc.isenabled()
        garbage = [_cycle() for _ in range(5_000)]  # enough allocations to trigger young collections if it were on
        assert all(ref() is not None for ref in garbage), "collected inside the block"
    assert gc.isenabled()
    assert all(ref() is None for ref in garbage), "not collected after the block"


def test_collection_comes_back_when_the_block_fails():
    with pytest.raises(RuntimeError, match="run failed"), collection_deferred():
        ref = _cycle()
        raise RuntimeError("run failed")
    assert gc.isenabled()
    assert ref() is None


def test_collection_left_off_when_it_was_off():
    gc.disable()
    try:
        with collection_deferred():
            ref = _cycle()
        assert not gc.isenabled()
        assert ref() is not None  # nobody collected: it was off before, and stays the caller's business
    finally:
        gc.enable()
        gc.collect()


def test_freeze_once_per_process():
    script = textwrap.dedent(
        """
        import gc, json
        from pipelines.shared.collector import freeze_loaded_objects
        before = gc.get_freeze_count()
        freeze_loaded_objects()
        first = gc.get_freeze_count()
        garbage_later = [object() for _ in range(10)]
        freeze_loaded_objects()
        print(json.dumps([before, first, gc.get_freeze_count()]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, first, second = (int(x) for x in done.stdout.strip().strip("[]").split(","))
    assert before == 0
    assert first > 1_000  # every loaded module's objects
    assert second == first  # the second call freezes nothing more


def test_loaded_then_frozen_once_and_not_inside_a_deferred_run():
    script = textwrap.dedent(
        """
        import gc, json
        from pipelines.shared.collector import collection_deferred, loaded_then_frozen
        seen = {}
        before_thresholds = gc.get_threshold()
        with collection_deferred(), loaded_then_frozen():  # a run of `sps watch`: left alone
            seen["in_run_frozen"] = gc.get_freeze_count()
        with loaded_then_frozen():
            seen["collecting_while_loading"] = gc.isenabled()
            import json as loaded  # noqa: F401
        seen["after"] = [gc.isenabled(), gc.get_freeze_count()]
        seen["thresholds"] = [list(before_thresholds), list(gc.get_threshold())]
        with loaded_then_frozen():
            seen["collecting_second_time"] = gc.isenabled()
            kept = [object() for _ in range(10)]
        seen["after_second"] = gc.get_freeze_count()
        print(json.dumps(seen))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["in_run_frozen"] == 0
    assert seen["collecting_while_loading"] is False
    assert seen["after"][0] is True and seen["after"][1] > 1_000
    assert seen["collecting_second_time"] is True  # once per process
    assert seen["after_second"] == seen["after"][1]
    before, after = seen["thresholds"]  # full collections as rare after the freeze as the heuristic made them before
    assert after == [before[0], before[1], FULL_COLLECTION_EVERY] and before[2] < FULL_COLLECTION_EVERY
