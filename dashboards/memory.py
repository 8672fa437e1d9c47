"""The dashboard process's garbage collector.

Streamlit runs a full collection (`gc.collect(2)`) after every script run (`runner.postScriptGC`), and a full
collection walks every object the process holds: the modules of pandas, Altair, PyArrow, DuckDB and Streamlit, and
the cached query results. Profiled with ten sessions against `sps serve` (py-spy, issue 21 target 4), these
collections were a third of the server's CPU, and every session waits for them (one interpreter lock).

After the first run has imported what the pages need, `freeze_loaded_objects` collects once and moves every object
then alive into the collector's permanent generation (`gc.freeze`): later collections, Streamlit's and Python's own,
skip them. Those objects are still freed when nothing refers to them; only a reference cycle among them would stay.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_loaded_objects() -> None:
    """Once per process: collect, then freeze what is alive (see the module's docstring)."""
    global _frozen
    with _lock:
        if _frozen:
            return
        _frozen = True
        gc.collect()
        gc.freeze()
