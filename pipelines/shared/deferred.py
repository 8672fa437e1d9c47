"""Importing Great Expectations without the modules it loads for expectations this project never runs.

`import great_expectations` imports every core expectation, and one of them
(expect_column_kl_divergence_to_be_less_than) imports `scipy.stats` and `altair` at its top: ~0.9 s and ~0.25 s of
GX's ~3.5 s import on this machine (`python -X importtime`), paid by every `sps upload`, by `sps watch` before it is
ready, and by the refresh's validation process. The suites here (pipelines/warehouse/observation_rules.py,
pipelines/uploads/validate.py) use neither. `import_great_expectations()` puts a stand-in for each in `sys.modules`
first; the real module is imported the first time anything reads an attribute of the stand-in (a function, a class,
`__path__` for a submodule), so code that does use them gets them, a moment later. importlib's own LazyLoader cannot
do this on Python 3.11: the import statement reads the module's `__spec__`, which makes it load at once.

Modules already imported (the dashboard imports altair for its charts) and modules that are not installed are left
alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

from pipelines.shared.collector import loaded_then_frozen

DEFERRED = ("scipy.stats", "altair")
_lock = threading.RLock()


class _StandIn(types.ModuleType):
    """A module whose first attribute lookup that it cannot answer itself imports the real module and answers from
    it (and so does every later one). Its own attributes are its name, spec, loader and package, as the import
    system reads them."""

    def __getattr__(self, attribute: str):
        return getattr(_real(self), attribute)

    def __dir__(self):
        return dir(_real(self))


def _real(stand_in: _StandIn) -> types.ModuleType:
    with _lock:
        real = stand_in.__dict__.get("_sps_real")
        if real is None:
            name = stand_in.__name__
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            real = importlib.import_module(name)
            stand_in.__dict__["_sps_real"] = real
    return real


def defer(names: tuple[str, ...] = DEFERRED) -> list[str]:
    """Put a stand-in in `sys.modules` for each of `names` not yet imported and installed; returns those deferred."""
    deferred = []
    with _lock:
        for name in names:
            if name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)  # a submodule's parent is imported for this (scipy: ~5 ms)
            except (ImportError, ValueError):
                spec = None
            if spec is None:
                continue
            stand_in = _StandIn(name)
            stand_in.__spec__ = spec  # what importlib.util.find_spec(name) returns from now on, as for the real one
            stand_in.__loader__ = spec.loader
            stand_in.__package__ = spec.parent
            sys.modules[name] = stand_in
            deferred.append(name)
    return deferred


def import_great_expectations() -> types.ModuleType:
    """`import great_expectations`, with DEFERRED put off until used."""
    if "great_expectations" not in sys.modules:
        defer()
        with loaded_then_frozen():  # GX's modules: never walked by a collection again (collector.py)
            return importlib.import_module("great_expectations")
    return importlib.import_module("great_expectations")  # waits for an import still running in another thread
