"""The Great Expectations worker process (`python -m pipelines.shared.gx_worker`), started by
pipelines/shared/gx.py: `start_worker`. It imports GX at once, then answers requests read from its stdin until that
closes: each request is a pickled (module, function name, argument) triple, each answer a pickled ("ok", result) or
("error", message) pair on its stdout. It never opens the warehouse and writes no file (docs/adr/0027).

Why not multiprocessing: a pool's resource tracker and semaphores outlived failed refreshes and warned on their
stderr, and a spawn pool could not start inside a long-lived pytest-xdist worker (benchmarks/results, 2026-12-05).
A plain child process on two pipes has neither: when the parent ends, however it ends, its end of stdin closes and
the worker ends after its current request."""

from __future__ import annotations

import importlib
import os
import pickle
import sys

from pipelines.shared.deferred import import_great_expectations


def process_id(_: object = None) -> int:
    """This process's id: which process answered (tests, diagnostics)."""
    return os.getpid()


def serve(requests, answers) -> None:
    while True:
        try:
            module, name, argument = pickle.load(requests)
        except (EOFError, OSError):  # the parent closed its end (done, failed or killed): nothing more to do
            return
        try:
            answer = ("ok", getattr(importlib.import_module(module), name)(argument))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which runs the request itself
            answer = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


def main() -> None:
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes where stderr goes, never into the answers
    try:
        import_great_expectations()  # without the modules of expectations not run here (deferred.py)
    except Exception:  # noqa: BLE001 - each request then answers with the import's error
        pass
    serve(sys.stdin.buffer, answers)
    answers.close()
    os._exit(0)  # no interpreter teardown of GX's modules (~1 s): nothing is left to write


if __name__ == "__main__":
    main()
