"""dbt runs inside the refresh's own process (dbt's programmatic `dbtRunner`), with the manifest parsed once per
process from the project's own parse.

Why not dagster-dbt's `DbtCliResource.cli` (a `dbt build` subprocess): profiled on the real snapshot
(benchmarks/findings.py, issue 21), each refresh paid for a second interpreter importing dbt (~1.5-2 s), dbt
parsing the project again (~1 s with its partial-parse cache, ~3 s without it: the cache was per data folder, so
the first refresh of a folder parsed from scratch), dbt writing manifest.json and run_results.json (~0.5 s), and
Dagster reading dbt's JSON log line by line from a pipe. In this process dbt is already imported (dagster-dbt
imports most of it) and `ensure_manifest()` keeps the project's parse current, so dbt starts at its first node.
The events dbt fires are turned into Dagster's materializations and check results by dagster-dbt itself
(`DbtCoreCliEventMessage.to_default_asset_events`), exactly as from the subprocess's JSON log, so the asset
graph, the selection (`--select` from the run's asset selection) and the UI do not change.

dbt runs on a thread of its own: dbt's behaviour flags call `inspect.stack()`, which under Dagster's deep stack
cost seconds (round 1); a fresh thread's stack is short. One dbt invocation at a time per process (dbt keeps
global flags and adapters): a lock makes a second one wait.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.errors import SpsError
from pipelines.settings import DBT_PROJECT_DIR
from pipelines.shared.threads import run_in_thread

# dbt's events that carry a node's result; dagster-dbt turns each into an Output or an AssetCheckResult
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
KEPT_LEVELS = frozenset({"warn", "error"})  # what dbt.log keeps of a build (_kept_in_log)
PARSE_STATE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
MANIFEST_JSON = DBT_PROJECT_DIR / "target" / "manifest.json"

_invocation_lock = threading.Lock()
_manifest_lock = threading.Lock()
_manifest_cache: dict[tuple, Any] = {}


class DbtBuildFailed(SpsError):
    """dbt could not run, or a model, seed or test failed (named in the message)."""


def _parse_state_key() -> tuple | None:
    try:
        state, manifest = PARSE_STATE.stat(), MANIFEST_JSON.stat()
    except FileNotFoundError:
        return None
    if state.st_mtime_ns + 5_000_000_000 < manifest.st_mtime_ns:
        return None  # manifest.json is newer than the saved parse: parse again
    return (state.st_ino, state.st_size, state.st_mtime_ns)


def load_manifest():
    """dbt's parsed project (`dbt.contracts.graph.manifest.Manifest`), once per process and project parse.

    `ensure_manifest()` (pipelines/warehouse/manifest.py) runs `dbt parse` whenever a model, macro, seed or the
    project's YAML is newer than the manifest; that parse also saves dbt's own state (partial_parse.msgpack),
    which is the whole parsed project. Loading it takes ~0.1 s where dbt parsing again took 1-3 s. If it is
    missing or cannot be read (another dbt version), dbt parses in this process instead."""
    from dbt.contracts.graph.manifest import Manifest

    with _manifest_lock:
        key = _parse_state_key()
        if key is not None and key in _manifest_cache:
            return _manifest_cache[key]
        manifest = None
        if key is not None:
            try:
                manifest = Manifest.from_msgpack(PARSE_STATE.read_bytes())
            except Exception:  # noqa: BLE001 - a state another dbt version wrote: parse instead
                manifest = None
            if manifest is not None and manifest.metadata.dbt_version != _dbt_version():
                manifest = None
        if manifest is None:
            manifest = _parse()
            key = _parse_state_key() or ("parsed", id(manifest))
        _absolute_roots(manifest)
        _manifest_cache.clear()
        _manifest_cache[key] = manifest
        return manifest


def _absolute_roots(manifest) -> None:
    """Anchor every node at the project's absolute folder. A parse run as `dbt parse --project-dir dbt_project`
    (the Makefile's, from the checkout) records the relative root `dbt_project`, and dbt-duckdb then reads seeds
    from `dbt_project/../seeds/...` relative to the working directory: `sps refresh` started from any other folder
    (cron, a service) failed on every seed. The subprocess dbt of before ran in the project folder."""
    root = str(DBT_PROJECT_DIR)
    for group in (manifest.nodes, manifest.sources, manifest.macros, manifest.exposures, manifest.metrics):
        for node in group.values():
            if getattr(node, "root_path", None) and not os.path.isabs(node.root_path):
                node.root_path = root


def _frame_module_source() -> str:
    """What dbt_common's `BehaviorFlagRendered._default_source` finds (the first module on the stack other than
    dbt_common.behavior_flags), read from each frame's globals. dbt's own version calls `inspect.stack()`, which
    reads the source lines of every frame and resolves the real path of every module loaded in the process
    (~4 000 with Dagster, dbt and Great Expectations): 1.3 s of each refresh, profiled, to name the adapter
    package in a log message."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != "dbt_common.behavior_flags":
            return name
        frame = frame.f_back
    return "Unknown"


def _patch_dbt() -> None:
    from dbt_common.behavior_flags import BehaviorFlagRendered

    from pipelines.warehouse import dbt_fast_paths

    dbt_fast_paths.install()  # dbt's events and node templates (its module docstring)

    if BehaviorFlagRendered._default_source is not _frame_module_source:
        BehaviorFlagRendered._default_source = staticmethod(_frame_module_source)


def _dbt_version() -> str:
    from dbt.version import __version__

    return __version__


def _parse():
    from dbt.cli.main import dbtRunner

    result = run_in_thread(
        lambda: dbtRunner().invoke(
            ["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
        ),
        name="dbt",
    )
    if not result.success or result.result is None:
        raise DbtBuildFailed(f"dbt parse failed: {_first_line(result.exception) or 'see dbt.log'}")
    return result.result


def _first_line(value) -> str:
    return str(value).strip().splitlines()[0] if value is not None and str(value).strip() else ""


@dataclass
class NodeResult:
    unique_id: str
    status: str
    failures: int | None
    message: str
    seconds: float
    compiled_code: str = ""  # the SQL dbt ran (tests: to say which of a model's checks failed)


@dataclass
class BuildOutcome:
    success: bool
    invocation_id: str = ""
    generated_at: str | None = None
    results: list[NodeResult] = field(default_factory=list)
    error: str = ""

    def failed(self) -> list[NodeResult]:
        return [r for r in self.results if r.status in ("error", "fail", "runtime error")]

    def describe_failure(self) -> str:
        failed = self.failed()
        if not failed:
            return f"dbt build failed: {self.error or 'see the refresh log'}"
        names = "; ".join(
            f"{r.unique_id.split('.', 1)[0]} {r.unique_id.split('.')[-1]} ({_first_line(r.message)[:200]})"
            for r in failed[:5]
        )
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        return f"dbt build: {len(failed)} node(s) failed: {names}{more}"


_DONE = object()


def warm_up(target_path: Path) -> None:
    """For a long-running process (`sps watch`): load the parsed project and let dbt compile one model, which loads
    the adapter and compiles the Jinja of the macros every build uses, so the first build is not the slow one. The
    caller holds the refresh lock (dbt opens the warehouse)."""
    first_model = next((node for node in load_manifest().nodes.values() if node.resource_type == "model"), None)
    if first_model is None:
        return
    from dbt.cli.main import dbtRunner

    _patch_dbt()
    args = ["compile", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--log-level", "none", "--log-level-file", "none", "--no-write-json", "--select", first_model.name]
    args += ["--target-path", str(target_path)]
    with _invocation_lock:
        try:
            run_in_thread(lambda: dbtRunner(manifest=load_manifest()).invoke(args), name="dbt")
        finally:
            _close_warehouse()


def stream_build(
    args: list[str], target_path: Path, log: Callable[[str], None] | None = None
) -> Iterator[dict | BuildOutcome]:
    """Run `dbt build <args>` in this process; yield each node's result event as dbt's JSON log would carry it
    (a dict), while dbt works, then the BuildOutcome. `args` are selection arguments (`--select`, `--exclude`,
    `--indirect-selection`); `log` receives dbt's one line per node."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    manifest = load_manifest()
    _patch_dbt()
    events: queue.Queue = queue.Queue()

    dbt_log = _kept_in_log(target_path / "dbt.log")

    def on_event(msg) -> None:
        name = msg.info.name
        if name in RESULT_EVENTS:
            events.put(msg_to_dict(msg))
        if log is not None and (name in RESULT_EVENTS or name == "LogStartLine"):
            log(msg.info.msg)
        if msg.info.level in KEPT_LEVELS:
            dbt_log(msg)

    full_args = [
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
        # the console stays quiet (each node's line goes to `log`); dbt.log keeps warnings and errors
        # (_kept_in_log), and the results come back in this process, so manifest.json and run_results.json are
        # not written
        "--log-level",
        "none",
        "--log-level-file",
        "none",
        "--no-write-json",
        "--no-send-anonymous-usage-stats",
        *args,
    ]

    def work() -> None:
        try:
            with _invocation_lock:
                try:
                    events.put(dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(full_args))
                finally:
                    _close_warehouse()
        except BaseException as exc:  # noqa: BLE001 - reported as the outcome
            events.put(exc)
        finally:
            events.put(_DONE)

    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    thread = threading.Thread(target=work, name="dbt-build", daemon=True)
    thread.start()
    outcome: BuildOutcome | None = None
    while True:
        item = events.get()
        if item is _DONE:
            break
        if isinstance(item, dict):
            yield item
        elif isinstance(item, BaseException):
            outcome = BuildOutcome(success=False, error=f"{type(item).__name__}: {_first_line(item)}")
        else:
            outcome = _outcome(item)
    thread.join()
    yield outcome or BuildOutcome(success=False, error="dbt ended without a result")


def _kept_in_log(path: Path) -> Callable[[Any], None]:
    """A writer of dbt's warnings and errors to `path` (dbt.log), one line each, as dbt's own file logger at level
    "warn" wrote them. Not dbt's file logger: it formats a debug line for every event of the build, a few hundred
    per refresh, scrubs each for secrets, and only then drops those below its level (about a quarter of dbt's event
    handling in an upload's run, profiled with py-spy --gil)."""
    from dbt_common.events.functions import env_scrubber

    def write(msg) -> None:
        timestamp = msg.info.ts.ToDatetime().strftime("%H:%M:%S.%f")[:12]
        line = env_scrubber(f"{timestamp} [{msg.info.level:<5}]: {msg.info.msg}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            pass  # a log line is never worth failing the build; the outcome carries the error itself

    return write


def _close_warehouse() -> None:
    """Close dbt-duckdb's connection to the warehouse. dbt-duckdb keeps it open in this process after the
    invocation; the assets that follow open the warehouse with Dagster's DuckDB resource, whose configuration
    differs, and DuckDB refuses a second configuration of an open file (the next invocation opens it again)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    reset_adapters()  # and release the adapter's locks (semaphores), which `sps` ending with os._exit would leak


def _outcome(result) -> BuildOutcome:
    from dbt_common.invocation import get_invocation_id

    execution = result.result
    outcome = BuildOutcome(
        success=bool(result.success),
        invocation_id=get_invocation_id(),
        error=_first_line(result.exception),
    )
    if execution is None or not hasattr(execution, "results"):
        return outcome
    outcome.generated_at = execution.generated_at.isoformat() if execution.generated_at else None
    for r in execution.results:
        outcome.results.append(
            NodeResult(
                unique_id=r.node.unique_id,
                status=str(r.status.value if hasattr(r.status, "value") else r.status),
                failures=r.failures,
                message=r.message or "",
                seconds=r.execution_time or 0.0,
                compiled_code=getattr(r.node, "compiled_code", None) or "",
            )
        )
    return outcome
