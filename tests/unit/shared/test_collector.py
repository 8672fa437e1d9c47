"""The collector settings of `sps serve` and `sps watch` (pipelines/shared/collector.py). Freezing is permanent for
a process, so it is tried in fresh interpreters."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

import pytest

from pipelines.shared.collector import collection_deferred


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
