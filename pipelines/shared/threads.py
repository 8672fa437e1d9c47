"""Running one piece of work on a fresh thread and waiting for it, as if it ran here.

Two reasons in this project: dbt gets a short stack (its behaviour flags inspect the stack, which under Dagster's
deep one cost seconds: pipelines/warehouse/dbt_inprocess.py), and `sps watch` keeps Dagster off the main thread,
where each run replaced the process's signal handlers (pipelines/operations/watch.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_in_thread(work: Callable[..., Any], *args: Any, name: str = "worker") -> Any:
    """`work(*args)` on a thread of its own; its result, or its exception raised in the caller's thread."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
