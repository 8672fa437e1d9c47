"""One way to run a Great Expectations suite over a pandas frame, for the upload validation
(pipelines/uploads/validate.py) and the warehouse's observation check (pipelines/warehouse/checks.py).

Great Expectations takes 3-4 s to import on this machine, so it is imported only when a suite runs. `warm_up()`
starts that import in a background thread while other work (DuckDB checks) runs; `start_worker()` starts it in a
process of its own while dbt builds, and `in_worker()` then runs a suite there (see start_worker)."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import ModuleType
from typing import Any, TypeVar

_warm_up_lock = threading.Lock()
_warm_up_started = False
_worker_lock = threading.Lock()
_worker: ProcessPoolExecutor | None = None
IN_PROCESS_ENV = "SPS_GX_IN_PROCESS"  # "1": never start a worker process (suites run in the calling process)
T = TypeVar("T")


def warm_up() -> None:
    """Import Great Expectations in the background (once per process). The import lock makes a suite's own
    import wait for this one if it is still running; any failure here is left for that import to report."""
    global _warm_up_started
    with _warm_up_lock:
        if _warm_up_started or "great_expectations" in sys.modules:
            return
        _warm_up_started = True

    def _import() -> None:
        try:
            importlib.import_module("great_expectations")
        except Exception:  # noqa: BLE001 - reported by the real import in run_suite
            pass

    threading.Thread(target=_import, name="warm-up-gx", daemon=True).start()


def _import_gx() -> bool:
    importlib.import_module("great_expectations")
    return True


def start_worker(force: bool = False) -> bool:
    """Start one process that imports Great Expectations now, for the suites this process runs later
    (`in_worker`); True if one is running. Once per process: later refreshes of a long-lived process reuse it.

    Why a process and not warm_up's thread: a refresh imports GX while dbt builds, and both are Python work under
    one interpreter lock; on two cores the import in a thread slowed dbt by about as much as the import itself
    (~3 s of a 1x `sps refresh --full`, measured in benchmarks/results/2026-12-04-round-2.md). A process imports on
    the other core. Not started when GX is already loaded here (`sps watch`, a test session: the suite runs here
    at no import cost) or when SPS_GX_IN_PROCESS=1; `force` starts one anyway (tests)."""
    global _worker
    with _worker_lock:
        if _worker is not None:
            return True
        if not force and ("great_expectations" in sys.modules or os.environ.get(IN_PROCESS_ENV) == "1"):
            return False
        try:
            executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            executor.submit(_import_gx)  # the pool starts its process on the first task: start the import now
        except Exception:  # noqa: BLE001 - no process can be started here: the suites run in this process
            return False
        _worker = executor
        return True


def stop_worker(now: bool = False) -> None:
    """Let the worker process end after what it is doing (`now`: at once, as the process exits); the next
    start_worker starts another."""
    global _worker
    with _worker_lock:
        executor, _worker = _worker, None
    if executor is None:
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())  # the pool's own record of them
    if now:
        if _worker_idle(executor):
            # as `sps` itself ends (pipelines/cli.py: run): the process releases what multiprocessing registered
            # for it and skips the interpreter's teardown of Great Expectations
            try:
                executor.submit(_end_this_process)
            except (BrokenProcessPool, RuntimeError):  # it died already, or the pool is shutting down
                pass
            for process in processes:
                process.join(timeout=10)
        for process in processes:  # still importing (a refresh that failed before its check): end it at once
            if process.is_alive():
                process.terminate()
                process.join(timeout=2)
            if process.is_alive():  # a library imported meanwhile may handle SIGTERM
                process.kill()
                process.join(timeout=5)
    executor.shutdown(wait=False, cancel_futures=True)


def _end_this_process() -> None:
    import multiprocessing.util

    multiprocessing.util._exit_function()
    os._exit(0)


def _worker_idle(executor: ProcessPoolExecutor) -> bool:
    pending = getattr(executor, "_pending_work_items", None)
    return pending is not None and not pending


def map_in_worker(function: Callable[[Any], T], items: Iterable[Any], ahead: int = 1) -> Iterator[T]:
    """`function(item)` for each item, in order, in the worker process if one was started (else here), with up to
    `ahead` items sent before the current one's result is awaited: the caller makes the next item (a frame read from
    DuckDB) while the worker validates this one, each on its own core. Sending one frame at a time and waiting made
    the check at 100x ~3 s slower than validating here (17.2 s against 13.9 s, 11 frames of 1 M rows). A worker that
    dies: the item it had and every later one are done here, as in_worker does."""
    worker = _worker
    pending: deque = deque()
    for item in items:
        if worker is not None and _worker is worker:
            try:
                pending.append((item, worker.submit(function, item)))
            except BrokenProcessPool:
                _worker_ended()
            else:
                while len(pending) > ahead:
                    yield _settle(pending.popleft(), function)
                continue
        while pending:  # no worker (any more): what was sent comes first, in order
            yield _settle(pending.popleft(), function)
        yield function(item)
    while pending:
        yield _settle(pending.popleft(), function)


def _settle(entry, function):
    item, future = entry
    try:
        return future.result()
    except BrokenProcessPool:
        _worker_ended()
        return function(item)


def _worker_ended() -> None:
    if _worker is not None:
        stop_worker()
        logging.getLogger(__name__).warning("the Great Expectations worker process ended; validating here")


def in_worker(function: Callable[..., T], *args) -> T:
    """`function(*args)` in the worker process if one was started, else in this process. A worker that died (killed,
    out of memory) is not retried: the call runs here, and so do later ones until start_worker is called again.
    `function` must be importable by name and its arguments picklable (a pandas frame is)."""
    worker = _worker
    if worker is not None:
        try:
            return worker.submit(function, *args).result()
        except BrokenProcessPool:
            _worker_ended()
    return function(*args)


def run_suite(
    frame,
    name: str,
    build: Callable[[ModuleType], list[tuple[Hashable, Any]]],
    index_columns: list[str],
    partial_count: int | None = None,
) -> list[tuple[Hashable, list[dict]]]:
    """Validate `frame` against the expectations `build(great_expectations.expectations)` returns, as
    (label, expectation) pairs, in an ephemeral context with progress bars off. Returns (label, unexpected
    rows) per expectation in order; each unexpected row is a dict of `index_columns` (and the column's value)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    labels = {suite.add_expectation(expectation).id: label for label, expectation in build(gxe)}
    result_format: dict[str, Any] = {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns}
    if partial_count is not None:
        result_format["partial_unexpected_count"] = partial_count
    result = batch.validate(suite, result_format=result_format)
    return [
        (labels[outcome.expectation_config.id], outcome.result.get("unexpected_index_list") or [])
        for outcome in result.results
    ]
