"""One way to run a Great Expectations suite over a pandas frame, for the upload validation
(pipelines/uploads/validate.py) and the warehouse's observation check (pipelines/warehouse/checks.py).

Great Expectations takes 3-4 s to import on this machine, so it is imported only when a suite runs. `warm_up()`
starts that import in a background thread while other work (DuckDB checks) runs; `start_worker()` starts it in a
process of its own while dbt builds (pipelines/shared/gx_worker.py), and `map_in_worker()` then runs the suite there
(docs/adr/0027)."""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from pipelines.shared.deferred import import_great_expectations

_warm_up_lock = threading.Lock()
_warm_up_started = False
_worker_lock = threading.Lock()
_worker: subprocess.Popen | None = None
IN_PROCESS_ENV = "SPS_GX_IN_PROCESS"  # "1": never start a worker process (suites run in the calling process)
T = TypeVar("T")
log = logging.getLogger(__name__)
_answered_by_worker = 0  # items the worker process has done, over this process's life (answered_by_worker)


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
            import_great_expectations()
        except Exception:  # noqa: BLE001 - reported by the real import in run_suite
            pass

    threading.Thread(target=_import, name="warm-up-gx", daemon=True).start()


def start_worker(force: bool = False) -> bool:
    """Start one process that imports Great Expectations now, for the suites this process runs later
    (`map_in_worker`); True if one is running.

    Why a process and not warm_up's thread: a refresh imports GX while dbt builds, and both are Python work under
    one interpreter lock; on two cores the import in a thread slowed dbt by about as much as the import itself
    (~3 s of a 1x `sps refresh --full`, benchmarks/results/2026-12-04-round-2.md). A process imports on the other
    core. Not started when GX is already loaded here (`sps watch`, a test session: the suite runs here at no import
    cost) or with SPS_GX_IN_PROCESS=1; `force` starts one anyway (tests)."""
    global _worker
    with _worker_lock:
        if _worker is not None and _worker.poll() is None:
            return True
        if not force and ("great_expectations" in sys.modules or os.environ.get(IN_PROCESS_ENV) == "1"):
            return False
        root = str(Path(__file__).resolve().parents[2])  # the folder holding `pipelines`, however this was started
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        try:
            _worker = subprocess.Popen(
                [sys.executable, "-m", "pipelines.shared.gx_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # GX's warnings are not the refresh's; its errors come back as answers
                env=env,
                cwd=root,
            )
        except OSError:  # no process can be started here: the suites run in this process
            _worker = None
            return False
        return True


def stop_worker(wait: float = 5.0) -> None:
    """End the worker process: it ends by itself once its stdin closes (after the import it may still be doing);
    if it has not within `wait` seconds it is killed. It holds nothing to save. The next start_worker starts
    another."""
    global _worker
    with _worker_lock:
        worker, _worker = _worker, None
    if worker is None:
        return
    for stream in (worker.stdin, worker.stdout):
        try:
            stream.close()
        except OSError:  # a pipe the worker already closed
            pass
    try:
        worker.wait(timeout=wait)
    except subprocess.TimeoutExpired:  # still importing, or stuck: nothing of it is needed
        worker.kill()
        worker.wait()


atexit.register(stop_worker, 0.5)  # a process that ends without a check (a failed run) does not wait for the import


def _send(worker: subprocess.Popen, function: Callable, item: Any) -> None:
    pickle.dump((function.__module__, function.__qualname__, item), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    worker.stdin.flush()


def _receive(worker: subprocess.Popen) -> tuple[str, Any]:
    return pickle.load(worker.stdout)


def map_in_worker(function: Callable[[Any], T], items: Iterable[Any], ahead: int = 1) -> Iterator[T]:
    """`function(item)` for each item, in order, in the worker process if one was started (else here), with up to
    `ahead` items sent before the current one's answer is awaited: the caller makes the next item (a frame read from
    DuckDB) while the worker validates this one, each on its own core. `function` must be a module-level function
    and each item picklable (a pandas frame is). An item the worker could not do (it died, or its GX failed) is done
    here, and so is every later one: the result is the same, only slower, and a warning says so."""
    worker = _worker
    pending: deque = deque()
    for item in items:
        if worker is not None:
            try:
                _send(worker, function, item)
            except (OSError, ValueError):  # a broken pipe: the worker ended
                worker = _worker_lost("it ended")
            else:
                pending.append(item)
                while len(pending) > ahead:
                    answer, worker = _answer(worker, function, pending.popleft())
                    yield answer
                continue
        while pending:  # what was sent comes first, in order
            answer, worker = _answer(worker, function, pending.popleft())
            yield answer
        yield function(item)
    while pending:
        answer, worker = _answer(worker, function, pending.popleft())
        yield answer


def _answer(worker: subprocess.Popen | None, function: Callable, item: Any) -> tuple[Any, subprocess.Popen | None]:
    if worker is not None:
        try:
            status, value = _receive(worker)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            worker = _worker_lost("it ended")
        else:
            if status == "ok":
                _count_answer()
                return value, worker
            worker = _worker_lost(value)
    return function(item), worker


def _count_answer() -> None:
    global _answered_by_worker
    _answered_by_worker += 1


def answered_by_worker() -> int:
    """How many items map_in_worker had done by a worker process so far in this process (the refresh log says
    where its check ran)."""
    return _answered_by_worker


def _worker_lost(why: str) -> None:
    log.warning("the Great Expectations worker process could not validate (%s); validating here", why)
    stop_worker(wait=0.5)
    return None


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
    import_great_expectations()  # without the modules of expectations not run here (pipelines/shared/deferred.py)
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
    # The suite is stored once with all its expectations: adding them one by one to a stored suite stored (and
    # serialized) the whole suite again at each one, value sets and all (~a fifth of `sps upload`, py-spy).
    pairs = build(gxe)
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=[expectation for _, expectation in pairs]))
    labels = {expectation.id: label for (label, _), expectation in zip(pairs, suite.expectations, strict=True)}
    result_format: dict[str, Any] = {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns}
    if partial_count is not None:
        result_format["partial_unexpected_count"] = partial_count
    result = batch.validate(suite, result_format=result_format)
    return [
        (labels[outcome.expectation_config.id], outcome.result.get("unexpected_index_list") or [])
        for outcome in result.results
    ]
