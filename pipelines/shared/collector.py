"""Python's cyclic garbage collector in the two long-running processes, `sps serve` and `sps watch`, and in the
processes that import Dagster, dbt or Great Expectations (`sps refresh`, `sps upload`).

A full collection (generation 2) walks every object the process holds: the loaded modules of pandas, Altair,
PyArrow, DuckDB and Streamlit in the dashboard; Dagster's definitions, dbt's parsed project and Great Expectations in
the watch. Profiled (issue 21):

- `sps serve`: Streamlit runs a full collection after every script run (`runner.postScriptGC`); with ten sessions
  these were a third of the server's CPU, and every session waits for them (one interpreter lock).
- `sps watch`: about 540 000 objects are alive after its warm-up, so each full collection during an upload's run
  paused it for 100-480 ms (gc.callbacks, 12 uploads: three such pauses), and the younger generations took another
  ~0.08 s a run.

`freeze_loaded_objects` collects once and moves every object then alive into the collector's permanent generation
(`gc.freeze`): later collections skip them. Those objects are still freed when nothing refers to them; only a
reference cycle among them would stay. `collection_deferred` turns automatic collection off for one piece of work (a
run of `sps watch`) and collects once after it, when nobody is waiting for it. With the warm-up frozen, the
collections inside a run still took ~0.13 s of it (the young generations, and full ones over what is not frozen);
the one after it finds ~800 objects in reference cycles and takes 10-25 ms.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# After a freeze, Python starts a full collection at every 10th collection of the middle generation: its other
# condition (the objects added to the oldest generation since the last full collection outnumber a quarter of those
# in it) counts only unfrozen objects, and nearly nothing is left unfrozen. Every 100th keeps full collections about
# as rare as before the freeze: in a 1x `sps refresh --full`, six of them (0.39-0.43 s) -> one (0.02 s), peak RSS
# within the runs' spread (609-668 / 648-658 MB, three runs each).
FULL_COLLECTION_EVERY = 100

_lock = threading.Lock()
_frozen = False  # freeze_loaded_objects has run
_frozen_once = False  # anything here has frozen


def freeze_loaded_objects() -> None:
    """Once per process: collect, then freeze what is alive (see the module's docstring)."""
    global _frozen, _frozen_once
    with _lock:
        if _frozen:
            return
        _frozen = _frozen_once = True
        gc.collect()
        gc.freeze()


@contextmanager
def _collection_off() -> Iterator[bool]:
    """Automatic collection off inside the block, on again after it however it ends; yields whether this turned it
    off (False when it was already off: then it is left as it is)."""
    if not gc.isenabled():
        yield False
        return
    gc.disable()
    try:
        yield True
    finally:
        gc.enable()


@contextmanager
def loaded_then_frozen() -> Iterator[None]:
    """For what a process loads once and keeps (imports, the parsed dbt project): no automatic collection while the
    block loads it, then everything alive frozen, once per process. Without a collection first: the little garbage
    of imports stays, which saves the full collection `freeze_loaded_objects` starts with. Used by `sps refresh`
    (Dagster, dbt, the parsed project: the collector's time in a 1x `--full` ~1.6 -> ~0.8 s) and by every import
    of Great Expectations (deferred.py; `sps upload` 60 rows: 0.33-0.39 -> 0.01-0.02 s, gc.callbacks, three runs
    each). Full collections then come every FULL_COLLECTION_EVERY collections of the middle generation. Does
    nothing when the process already froze, or when automatic collection is off (a run of `sps watch`)."""
    global _frozen_once
    if _frozen_once:
        yield
        return
    with _collection_off() as turned_off:
        try:
            yield
        finally:
            if turned_off:
                with _lock:
                    if not _frozen_once:
                        _frozen_once = True
                        gc.freeze()
                        young, middle, _ = gc.get_threshold()
                        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


@contextmanager
def collection_deferred() -> Iterator[None]:
    """No automatic collection inside the block, one full collection after it (however it ends). Left as it is when
    automatic collection is already off."""
    turned_off = False
    try:
        with _collection_off() as turned_off:
            yield
    finally:
        if turned_off:
            gc.collect()
