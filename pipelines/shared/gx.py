"""One way to run a Great Expectations suite over a pandas frame, for the upload validation
(pipelines/uploads/validate.py) and the warehouse's observation check (pipelines/warehouse/checks.py).

Great Expectations takes 3-4 s to import on this machine, so it is imported only when a suite runs, and
`warm_up()` starts that import in a background thread while other work (DuckDB checks, dbt) runs."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any

_warm_up_lock = threading.Lock()
_warm_up_started = False


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
