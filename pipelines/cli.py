"""`sps`: the command line of SPS Monitor. Every failure ends in one line on stderr and a non-zero exit.

Each command imports what it needs inside its own function, on purpose: `sps status` or `sps upload` must not
pay for importing Dagster, dbt and Great Expectations (several seconds) that only `sps refresh` uses. These
deferred imports are for start-up time only; the layers (docs/architecture.md) allow every one of them at
module level, and import-linter checks them wherever they are."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from contextlib import contextmanager, nullcontext, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

from pipelines.errors import DataFolderNotWritable, DownloadFailed, SpsError
from pipelines.settings import load_settings
from pipelines.versions.serving import Serving, open_serving
from pipelines.versions.store import current_version_path, describe_versions, list_versions, rollback

# The names `sps export` accepts; pipelines/outputs/exports.py maps them to tables (kept here so `--help` does not
# import the exports module).
EXPORT_TABLES = {
    "observations": "fct_observations",
    "indicators": "dim_indicators",
    "geographies": "dim_geographies",
    "police-recorded-offences": "fct_police_recorded_offences",
    "progress": "city_progress",
}


def _apply_overrides(args: argparse.Namespace) -> None:
    """Command-line options are written to the SPS_* environment so settings stay in one place."""
    if getattr(args, "data_dir", None):
        os.environ["SPS_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if getattr(args, "snapshot_dir", None):
        os.environ["SPS_SNAPSHOT_DIR"] = str(Path(args.snapshot_dir).resolve())
    if getattr(args, "mode", None):
        os.environ["SPS_MODE"] = args.mode


def _settings():
    try:
        return load_settings()
    except ValueError as exc:
        raise SpsError(str(exc)) from None


# ---------------------------------------------------------------------------------------------- refresh
def cmd_refresh(args: argparse.Namespace) -> int:
    settings, note = _offline_as_published(_settings())
    if note:
        print(f"sps refresh: {settings.mode}, {note}")
    if note and settings.snapshot_dir_is_explicit:  # offline as published: the run reads the environment again
        os.environ["SPS_SNAPSHOT_DIR"] = str(settings.snapshot_dir)
        os.environ["SPS_MODE"] = settings.mode
    if settings.mode == "offline" and not settings.snapshot_dir.is_dir():
        raise SpsError(
            f"snapshot folder {settings.snapshot_dir} does not exist. "
            "Set SPS_SNAPSHOT_DIR to the data snapshot (e.g. ../shared/data) or use --mode live."
        )
    try:
        settings.ensure_dirs()
    except OSError as exc:
        raise DataFolderNotWritable(settings.data_dir, exc.strerror or type(exc).__name__) from None
    settings.check_writable()  # a read-only data folder fails here, in one line, before anything runs
    settings.export_env()
    t0 = time.monotonic()
    print(
        f"sps refresh: {settings.mode} mode, snapshot folder {settings.snapshot_dir}, data folder {settings.data_dir}"
    )
    with _refresh_lock(settings):
        plan = _plan(settings, args.full)
        print(f"sps refresh: {plan.describe()}")
        if plan.nothing_to_do:
            print(f"sps refresh: nothing rebuilt or republished ({time.monotonic() - t0:.1f}s)")
            if plan.broken:  # not retried until their files change, but never reported as all good
                from pipelines.versions.outcome import write_refresh_outcome

                message = (
                    f"{len(plan.broken)} source(s) still fail and keep the data of their last good load "
                    f"({', '.join(plan.broken)}); replace their file(s) and refresh again"
                )
                current = current_version_path(settings.published_dir, required=False)
                write_refresh_outcome(
                    settings.published_dir,
                    "error",
                    EXIT_SOURCES_FAILED,
                    message,
                    dict(plan.broken),
                    current.stem if current else None,
                )
                raise RefreshIncomplete(message, EXIT_SOURCES_FAILED)
            return 0
        return _run_refresh(args, settings, plan, t0)


def _offline_as_published(settings):
    """(settings, note): the settings of the next refresh. In auto mode a refresh with no snapshot folder named
    goes live (DESIGN). A data folder whose published version was built offline stays offline on the same snapshot
    folder: a new shell that forgot SPS_SNAPSHOT_DIR must not switch the folder to Eurostat's live API unasked
    (offline, that is a failed download per dataset and a version whose health is an error). `--mode live` or
    SPS_MODE=live switch it. The note says why, after the mode, for `sps refresh` and `sps status` to print."""
    if settings.snapshot_dir_is_explicit or os.environ.get("SPS_MODE", "").strip().lower() not in ("", "auto"):
        return settings, ""
    try:
        conn, _ = open_serving(settings)
    except SpsError:
        return settings, ""  # nothing published (or nothing intact): the first refresh decides
    import duckdb

    try:
        built = conn.execute("select mode, snapshot_dir from _publication").fetchall()
    except duckdb.Error:  # a version from before _publication recorded these: nothing to follow
        built = []
    finally:
        conn.close()
    if not built or built[0][0] != "offline" or not built[0][1]:
        return settings, ""
    folder = Path(built[0][1])
    if not folder.is_dir():
        return settings, (
            f"although the published version was built offline from {folder}: that folder no longer exists "
            "(set SPS_SNAPSHOT_DIR to read a snapshot folder)"
        )
    from dataclasses import replace

    note = "as the published version was built (SPS_SNAPSHOT_DIR is not set; --mode live goes to Eurostat)"
    return replace(settings, mode="offline", snapshot_dir=folder, snapshot_dir_is_explicit=True), note


def _plan(settings, full: bool):
    from pipelines.publishing.plan import plan_refresh

    last_updates = None
    if settings.mode == "live" and not full:
        from pipelines.sources.live import fetch_last_updates

        try:
            last_updates = fetch_last_updates(settings)
        except DownloadFailed as exc:
            print(f"sps refresh: Eurostat's table of contents is unreachable ({exc}); checking every source")
    return plan_refresh(settings, full=full, last_updates=last_updates)


@contextmanager
def _refresh_lock(settings):
    """One refresh at a time per data folder: a second one stops at once with a clear message (the Dagster run
    queue does the same for runs launched by schedules and sensors)."""
    import fcntl

    lock_path = settings.data_dir / ".refresh.lock"
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise SpsError(
                f"another refresh is running on {settings.data_dir} ({holder}); wait for it to finish"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Exit codes of `sps refresh` (README, docs/operations.md): 0 all good (a new version, or nothing changed);
# 1 the refresh failed for another reason (a model or test, publishing, the lock, the configuration), nothing
# published; 3 some sources failed and keep the data of their last good load, the others were refreshed;
# 4 nothing could be refreshed: every source the plan needed failed (a network outage), nothing published.
EXIT_SOURCES_FAILED = 3
EXIT_NOTHING_REFRESHED = 4


class RefreshIncomplete(SpsError):
    def __init__(self, message: str, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def _load_for_refresh():
    """Dagster's definitions, with dbt's parsed project loaded, imported without collections and then frozen
    (pipelines/shared/collector.py). A project that cannot be loaded here does not stop the refresh before its run:
    the dbt step loads it again and fails with dbt's own message, which the refresh reports."""
    from pipelines.shared.collector import loaded_then_frozen

    with loaded_then_frozen():
        from pipelines.warehouse.dbt_inprocess import load_manifest
        from pipelines.warehouse.manifest import ensure_manifest

        ensure_manifest()
        try:
            load_manifest()
        except Exception:  # noqa: BLE001 - reported by the dbt step, see above
            pass
        from pipelines.definitions import defs
    return defs


def _run_refresh(args: argparse.Namespace, settings, plan, t0: float) -> int:
    defs = _load_for_refresh()
    from pipelines.operations.selection import selection_for, source_input_key, uploads_only_tags

    started = datetime.now(UTC)
    before = current_version_path(settings.published_dir, required=False)
    graph = defs.resolve_asset_graph()
    selection = None if plan.full else selection_for(plan.changed, graph)
    instance = _dagster_instance()
    # Without --verbose Dagster stays quiet (its failure events carry stack traces) and dbt's per-model log goes
    # to a file; the summary below names every failed step in one line each.
    log_path = settings.data_dir / "logs" / f"refresh-{started:%Y%m%dT%H%M%SZ}.log"
    tags = {"sps/trigger": "sps refresh", "sps/plan": "full" if plan.full else ", ".join(plan.changed)[:200]}
    tags |= uploads_only_tags(plan.changed)  # only city inputs changed: the largest marts rebuilt in part
    result = _execute(defs, instance, selection, tags, log_path, args.verbose, settings)
    failures = _step_failures(result)
    # A source fails when its own check says so (a broken file, a failed download: dg.Failure); a source step that
    # fails for another reason (a full disk, a read-only folder) fails the refresh as such.
    failed_sources = {
        source_input_key(step) if error == "Failure" else None
        for step, error in zip(_failed_steps(result), _failure_classes(result), strict=True)
    }
    left_out: list[str] = []
    roots: set[str] = set()
    if not result.success and failed_sources and None not in failed_sources:
        # Only source assets failed: build and publish everything else; the failed sources keep the data of
        # their last good load (raw is append-only), and say so.
        left_out = sorted(failed_sources)
        roots = (set(_all_source_keys()) if plan.full else set(plan.changed)) - failed_sources
        if not _warehouse_has_loads(settings):
            roots = set()  # no source has ever loaded: building the rest could only make an empty warehouse
        # The sources that loaded in the first pass are not loaded again: only what depends on them is built; a full
        # plan builds every model (seeds and all), the failed sources' models from their last good raw data.
        if plan.full:
            keys = [k for k in graph.materializable_asset_keys if graph.get(k).group_name != "backup"]
        else:
            keys = selection_for(roots, graph)
        retry = [key for key in keys if key.path[0] != "raw"] if roots else []
        if retry:
            tags = tags | {"sps/plan": f"without {', '.join(left_out)}"[:200]}
            result = _execute(defs, instance, retry, tags, log_path, args.verbose, settings, append=True)
            failures += _step_failures(result)
    _print_source_summary(settings, started)
    elapsed = time.monotonic() - t0
    current = current_version_path(settings.published_dir, required=False)
    for failure in failures:
        print(f"  FAILED {failure}", file=sys.stderr)
    kept = f"the published version {current.stem} is still served" if current else "nothing is published yet"
    failed_reasons = _failed_source_reasons(settings, started, left_out)
    empty = any(error == "EmptyWarehouse" for error in _failure_classes(result))
    if left_out and (not roots or empty):
        # Every source the plan needed failed (or what is left holds no observation): a total outage.
        how = (
            ""
            if current
            else (
                " To build from files already downloaded: sps refresh --snapshot-dir DIR (or SPS_SNAPSHOT_DIR=DIR) "
                "with a snapshot folder laid out like ../shared/data."
            )
        )
        message = (
            f"nothing could be refreshed after {elapsed:.1f}s: {len(left_out)} source(s) failed and keep the data "
            f"of their last good load; no new version was published, {kept}.{how} Log: {log_path}"
        )
        return _refresh_failed(settings, message, failures, result.run_id, failed_reasons, EXIT_NOTHING_REFRESHED)
    if empty:
        message = f"nothing published after {elapsed:.1f}s: the warehouse holds no observations; {kept}. " + str(
            _empty_warehouse_hint()
        )
        return _refresh_failed(settings, message, failures, result.run_id, failed_reasons, EXIT_NOTHING_REFRESHED)
    if not result.success:
        message = f"refresh failed after {elapsed:.1f}s ({len(failures)} step(s) failed); {kept}. Log: {log_path}"
        return _refresh_failed(settings, message, failures, result.run_id, failed_reasons, 1)
    new_version = current is not None and current != before
    if new_version:
        print(
            f"sps refresh: {'done' if not left_out else 'finished'} in {elapsed:.1f}s; published version {current.stem}"
        )
        _print_health(settings)
    else:
        print(
            f"sps refresh: finished in {elapsed:.1f}s; nothing changed since published version "
            f"{current.stem if current else '(none)'}: no new version"
        )
    if left_out:
        what = f"published version {current.stem}" if new_version else "no new version was published"
        message = (
            f"{what} without the failed source(s) {', '.join(left_out)}, which keep the data of their last good "
            f"load; fix the file(s) or the network named above and refresh again. Log: {log_path}"
        )
        return _refresh_failed(settings, message, failures, result.run_id, failed_reasons, EXIT_SOURCES_FAILED)
    from pipelines.versions.outcome import write_refresh_outcome

    write_refresh_outcome(settings.published_dir, "ok", 0, "refreshed", {}, current.stem if current else None)
    return 0


_instances: dict[str | None, object] = {}


def _dagster_instance():
    """One Dagster instance per process and DAGSTER_HOME. `sps watch` runs a refresh per upload; a new instance per
    run made its storages again, each with new database engines whose schemas it checked again (~0.1 s of each
    upload's run, py-spy), and lost the event log's open connections (pipelines/shared/run_history.py)."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home not in _instances:
        _instances[home] = dg.DagsterInstance.get()
    return _instances[home]


def _refresh_failed(settings, message: str, failures, run_id: str, failed: dict[str, str], code: int) -> int:
    """Alert, record the outcome beside the versions (sps status, the dashboard), end with `code`."""
    from pipelines.versions.outcome import write_refresh_outcome

    current = current_version_path(settings.published_dir, required=False)
    try:
        write_refresh_outcome(settings.published_dir, "error", code, message, failed, current.stem if current else None)
    except OSError:
        pass  # the message below still says it all
    _alert_failure(message, failures, run_id)
    raise RefreshIncomplete(message, code)


def _warehouse_has_loads(settings) -> bool:
    import duckdb

    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            return bool(conn.execute("select count(*) from raw._loads").fetchall()[0][0])
    except duckdb.Error:
        return False


def _failed_source_reasons(settings, started: datetime, keys: list[str]) -> dict[str, str]:
    """raw/<code> -> the message its failed attempt recorded in this refresh."""
    import duckdb

    reasons = {key: "failed" for key in keys}
    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            rows = conn.execute(
                "select dataset, message from raw._source_status where checked_at >= ? and status = 'failed' "
                "qualify row_number() over (partition by dataset order by checked_at desc) = 1",
                [started],
            ).fetchall()
    except duckdb.Error:
        return reasons
    for dataset, message in rows:
        if f"raw/{dataset}" in reasons:
            reasons[f"raw/{dataset}"] = message
    return reasons


def _failure_classes(result) -> list[str]:
    """The class name of each failed step's own error (under Dagster's wrappers), in step-failure order."""
    names = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        error = data.error
        while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
            error = error.cause
        if error is not None:
            names.append(error.cls_name)
        else:
            names.append("Failure" if data.user_failure_data is not None else "")
    return names


def _empty_warehouse_hint() -> str:
    from pipelines.publishing.publish import EmptyWarehouse

    return EmptyWarehouse().hint


def _all_source_keys() -> list[str]:
    """Every source's input key (a full plan's roots)."""
    from pipelines.operations.selection import SOURCE_KEYS
    from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE

    return [*SOURCE_KEYS, CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE]


def _execute(defs, instance, selection, tags, log_path: Path, verbose: bool, settings, append: bool = False):
    from pipelines.warehouse.connection import held_for_run

    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_level = "DEBUG" if verbose else "CRITICAL"
    # dbt's telemetry library (snowplow_tracker) calls logging.basicConfig() when dbt imports it, which gives the
    # root logger a stderr handler: without --verbose, Dagster's Python loggers must not reach it (their lines,
    # e.g. dagster-dbt's "Overriding default dbt selection arguments", are in the run's event log already)
    logging.getLogger("dagster").propagate = verbose
    try:
        with (
            # line-buffered: dbt prints each node's line here from this process (pipelines/warehouse/
            # dbt_inprocess.py); whoever follows the log (an operator, a test) sees it as it happens
            open(log_path, "a" if append else "w", encoding="utf-8", buffering=1) as log_file,
            nullcontext() if verbose else redirect_stdout(log_file),
            held_for_run(settings.warehouse_path),  # one open warehouse for the run's steps, checkpointed after it
        ):
            return defs.resolve_job_def("refresh").execute_in_process(
                instance=instance,
                raise_on_error=False,
                asset_selection=selection,
                tags=tags,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
    except Exception as exc:  # the run's own storage failed (disk full, folder made read-only mid-run)
        raise _run_storage_failed(settings, exc) from None


def _failed_steps(result) -> list[str]:
    return [event.step_key for event in result.all_events if event.is_step_failure]


def _alert_failure(message: str, failures: list[str], run_id: str) -> None:
    """Runs started by cron or by hand alert like the ones the Dagster sensor watches (operations/alerts.py)."""
    from pipelines.operations.alerts import send_alert

    body = "\n".join([message, *(f"  FAILED {failure}" for failure in failures)])
    for delivery in send_alert("sps refresh failed", body, {"run_id": run_id, "failed_steps": failures}):
        state = "sent" if delivery.ok else "NOT sent"
        print(f"sps refresh: alert via {delivery.channel} {state} ({delivery.detail})", file=sys.stderr)


def _print_health(settings) -> None:
    from pipelines.publishing.health import write_health_files

    try:
        written = write_health_files(settings)
    except Exception as exc:  # the report is a convenience: never fail a published refresh over it
        print(f"sps refresh: health report not written ({type(exc).__name__}: {exc})")
        return
    print(f"sps refresh: health {written.status.upper()}; report in {written.markdown_path} (and .html)")


def _run_storage_failed(settings, exc: Exception) -> SpsError:
    current = current_version_path(settings.published_dir, required=False)
    kept = f"the published version {current.stem} is still served" if current else "nothing is published yet"
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return SpsError(
        f"refresh stopped: {reason} (data folder {settings.data_dir}); {kept}. "
        "Free disk space or make the data folder writable, then refresh again."
    )


def _print_source_summary(settings, started: datetime) -> None:
    import duckdb

    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            rows = conn.execute(
                "select dataset, status, message from raw._source_status where checked_at >= ? "
                "qualify row_number() over (partition by dataset order by checked_at) = 1 order by dataset",
                [started],
            ).fetchall()
    except duckdb.Error:
        return
    missing = "no file" if settings.mode == "live" else "not in snapshot"
    for dataset, status, message in rows:
        label = {"not_in_snapshot": missing}.get(status, status)
        print(f"  {dataset:<22} {label:<16} {message}")


def _step_failures(result) -> list[str]:
    messages = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        text = None
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        elif data.error is not None:
            error = data.error
            while error.cause is not None and error.cls_name.startswith("Dagster"):
                error = error.cause  # Dagster's wrapper says only "error occurred while executing op"
            text = error.message.strip().splitlines()[0]
        messages.append(f"{event.step_key}: {text}")
    return messages


# ------------------------------------------------------------------------------------------------ watch
def cmd_watch(args: argparse.Namespace) -> int:
    """Publish what cities send as it arrives: a long-running process (beside `sps serve`) in which Dagster, dbt and
    the parsed project stay loaded; each upload is published by a run of the `refresh` job restricted to the
    upload and what depends on it (pipelines/operations/watch.py, docs/adr/0024)."""
    settings = _settings()
    try:
        settings.ensure_dirs()
    except OSError as exc:
        raise DataFolderNotWritable(settings.data_dir, exc.strerror or type(exc).__name__) from None
    settings.check_writable()
    settings.export_env()
    from pipelines.operations.watch import StopRequest, upload_plan, upload_signature
    from pipelines.shared.collector import collection_deferred, freeze_loaded_objects
    from pipelines.shared.threads import run_in_thread

    stop = StopRequest()
    print(f"sps watch: data folder {settings.data_dir}; publishing city uploads as they arrive (Ctrl-C stops)")
    started = time.monotonic()
    _warm_up_refresh(settings)
    freeze_loaded_objects()  # what the warm-up loaded is skipped by every later collection (shared/collector.py)
    print(f"sps watch: ready in {time.monotonic() - started:.1f}s", flush=True)
    handled = None
    note = ""
    runs = 0
    while (args.max_runs is None or runs < args.max_runs) and not stop.requested:
        signature = upload_signature(settings)
        if signature != handled:
            t0 = time.monotonic()
            try:
                with _refresh_lock(settings):
                    planned = upload_plan(settings)
                    if planned.plan is not None:
                        print(f"sps watch: {planned.plan.describe()}", flush=True)
                        runs += 1
                        quiet = argparse.Namespace(verbose=False)
                        with collection_deferred():  # no collector pause before the upload is published
                            run_in_thread(_run_refresh, quiet, settings, planned.plan, t0, name="sps-watch-run")
                handled = signature  # a failed upload is not retried until something new arrives (as the sensor)
                if planned.note and planned.note != note:
                    print(f"sps watch: {planned.note}", flush=True)
                note = planned.note
            except RefreshIncomplete as exc:
                handled = signature
                print(f"sps watch: {exc}", file=sys.stderr, flush=True)
            except SpsError as exc:  # another refresh holds the lock: try again at the next tick
                if "another refresh is running" not in str(exc):
                    raise
            sys.stdout.flush()
        stop.wait(args.interval)
    if stop.requested:
        print(f"sps watch: stopped ({stop.signal_name})", flush=True)
    return 0


def _warm_up_refresh(settings) -> None:
    """Import and load now what a refresh needs (Dagster, the code location, dbt's parsed project, Great
    Expectations), so the first upload is published as fast as the next ones."""
    from pipelines.warehouse.manifest import ensure_manifest

    ensure_manifest()

    from pipelines.definitions import defs
    from pipelines.warehouse.dbt_inprocess import warm_up as warm_up_dbt

    defs.resolve_asset_graph()
    _dagster_instance()
    # Imported here and now, not in the background (pipelines.shared.gx.warm_up): an import still running when the
    # first upload arrived competed with its run for the interpreter, and made it the slow one (+0.7-0.9 s).
    from pipelines.shared.deferred import import_great_expectations

    import_great_expectations()

    try:
        with _refresh_lock(settings):  # dbt opens the warehouse: never beside a running refresh
            warm_up_dbt(settings.dbt_target_dir)
    except SpsError:
        pass  # a refresh is running: the first upload pays for loading dbt's adapter instead


# ------------------------------------------------------------------------------------- reading a version
def _open_for_reading(settings, command: str):
    """The version readers serve (verified once; the newest intact one if CURRENT is damaged), with a banner
    on stderr and an alert (once per damaged version) when it is a fallback."""
    conn, serving = open_serving(settings)
    if serving.fallback:
        print(f"sps {command}: WARNING: {serving.banner()}", file=sys.stderr)
        _alert_damaged(settings, serving, f"sps {command}")
    return conn, serving


def _alert_damaged(settings, serving: Serving, reader: str) -> None:
    from pipelines.shared.alerts import alert_once
    from pipelines.vault import audit

    deliveries = alert_once(
        settings.data_dir,
        f"damaged-{serving.named or 'pointer'}",
        f"published version {serving.named or '(CURRENT pointer)'} is damaged",
        f"{serving.problem}.\nMet by {reader}; readers serve the newest intact version, {serving.version}.\n"
        "Check with `sps publish --verify`; repair with `sps publish --rollback VERSION` or `sps refresh --full`.",
        {"damaged": serving.named, "served": serving.version, "reader": reader},
    )
    if deliveries is not None:
        audit.record(settings.data_dir, "version.damaged", damaged=serving.named, served=serving.version, by=reader)
    for delivery in deliveries or []:
        state = "sent" if delivery.ok else "NOT sent"
        print(f"{reader}: alert via {delivery.channel} {state} ({delivery.detail})", file=sys.stderr)


# ----------------------------------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.outputs.exports import ExportFilters, check_export_request, export_published

    settings = _settings()
    filters = ExportFilters.from_options(args.city, args.indicator, args.period, args.source_type)
    check_export_request(args.what, Path(args.out), args.format, filters)  # before opening: nothing published yet
    conn, _ = _open_for_reading(settings, "export")
    with conn:
        result = export_published(conn, args.what, Path(args.out), args.format, filters)
    files = f"{len(result.paths)} file(s) in {args.out}" if result.format == "open-sdg" else args.out
    print(
        f"sps export: wrote {result.rows} rows of {result.table} as {result.format} (published version "
        f"{result.version}) to {files}; metadata in {result.sidecar}"
        + (f"; Frictionless data package descriptor in {result.descriptor}" if result.descriptor else "")
    )
    return 0


# ----------------------------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from pipelines.outputs.report.build import check_report_target, write_city_report

    settings = _settings()
    check_report_target(Path(args.out))  # before opening: a wrong --out is reported even with nothing published
    conn, _ = _open_for_reading(settings, "report")
    with conn:
        document = write_city_report(conn, args.city, Path(args.out), args.period, args.lang)
    print(
        f"sps report: wrote the report of {document.city_name} ({document.city_code}), published version "
        f"{document.version}, to {args.out}"
    )
    return 0


# ------------------------------------------------------------------------------------------------ cycle
def cmd_cycle(args: argparse.Namespace) -> int:
    from pipelines.outputs.cycles import check_reminder_target, format_status, load_cycle_status, write_reminders

    settings = _settings()
    if args.out:
        check_reminder_target(Path(args.out))  # before opening: a wrong --out is reported even with nothing published
    conn, _ = _open_for_reading(settings, "cycle status")
    with conn:
        status = load_cycle_status(conn, args.cycle)
    for line in format_status(status):
        print(line)
    out = Path(args.out) if args.out else settings.data_dir / "reports" / "cycles" / f"reminders_{status.cycle}.csv"
    write_reminders(status, out)
    print(f"sps cycle status: wrote the reminder list ({len(status.reminders)} city(ies), partial or none) to {out}")
    return 0


# ------------------------------------------------------------------------------------------------ serve
TEXT_COLOUR = "#111111"  # the dashboard's text colour (also in .streamlit/config.toml)


def cmd_serve(args: argparse.Namespace) -> int:
    import math

    from pipelines.uploads.api import upload_max_mb

    settings = _settings()
    settings.export_env()
    from pipelines.versions.serving import serving_version

    serving_version(settings.published_dir)  # fail early with "run sps refresh first" (a damaged one is served over)
    app = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    port = args.port or settings.dashboard_port
    try:
        max_mb = upload_max_mb()
    except ValueError:
        raise SpsError(
            f"SPS_UPLOAD_MAX_MB must be a number of megabytes, not {os.environ.get('SPS_UPLOAD_MAX_MB')!r}"
        ) from None
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        args.address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # the file box says the limit uploads are checked against (Streamlit counts whole MB)
        "--server.maxUploadSize",
        str(max(1, math.ceil(max_mb))),
        # viewers get no developer toolbar ("Deploy", rerun settings), whichever folder this is started from
        "--client.toolbarMode",
        "viewer",
        # no full garbage collection after every script run: with ten sessions it was a third of the server's CPU,
        # each session waiting for it (pipelines/shared/collector.py); Python's own collector still runs
        "--runner.postScriptGC",
        "false",
        # near-black text: Streamlit draws captions in the text colour at 60 % opacity, which from its default
        # grey is 3.9:1 on white; from #111111 it is 4.9:1, above WCAG 2.1 AA's 4.5:1 (docs/adr/0023)
        "--theme.textColor",
        TEXT_COLOUR,
    ]
    print(f"sps serve: dashboard on http://{args.address}:{port} (Ctrl-C to stop)", flush=True)
    # Replace this process by Streamlit (same pid): stopping `sps serve` by its id (systemd, kill, Ctrl-C) stops
    # the server and frees the port. A child process would outlive a SIGTERM sent to its parent.
    sys.stderr.flush()
    os.execv(command[0], command)
    return 0  # not reached (execv raises OSError if it cannot run Streamlit)


# ----------------------------------------------------------------------------------------------- status
def cmd_status(args: argparse.Namespace) -> int:
    """The published version as it was built (from its own metadata), then this shell's settings, which are
    what the next `sps refresh` would use; they may differ (a version built offline read in a live shell)."""
    import duckdb

    from pipelines.sources.catalog import load_catalog

    settings = _settings()
    if not settings.data_dir.is_dir():  # a mistyped --data-dir or SPS_DATA_DIR must not look like a new install
        raise SpsError(
            f"data folder {settings.data_dir} does not exist; check --data-dir / SPS_DATA_DIR "
            "(`sps refresh` creates it)"
        )
    current = current_version_path(settings.published_dir, required=False)
    versions = list_versions(settings.published_dir) if settings.published_dir.exists() else []
    pointer_broken = current is None and (settings.published_dir / "CURRENT").exists()
    named = "the CURRENT pointer names no published version" if pointer_broken else "nothing yet (run sps refresh)"
    print(f"published:        {current.stem if current else named} ({len(versions)} version(s) kept)")
    served = _print_verification(settings) if (current is not None or pointer_broken) else None
    published: dict[str, tuple] = {}
    if served is not None:
        published = _print_build(served)
        _print_current_health(served, settings)
    _print_last_refresh(settings)
    _print_tokens_and_backups(settings)
    warehouse: dict[str, tuple] = {}
    if settings.warehouse_path.exists():
        try:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
                warehouse = {
                    r[0]: r[1:]
                    for r in conn.execute(
                        "select s.dataset, s.status, s.message, l.loaded_at, l.source_last_update, l.source_file from "
                        "(select * from raw._source_status qualify row_number() over "
                        "(partition by dataset order by checked_at desc) = 1) s left join "
                        "(select * from raw._loads qualify row_number() over (partition by dataset "
                        "order by load_id desc) = 1) l using (dataset)"
                    ).fetchall()
                }
        except duckdb.Error:
            warehouse = {}
    rows, source = (published, "as the published version recorded them") if published else (warehouse, "")
    if rows:
        print(f"sources ({source or 'from the warehouse: nothing published yet'}):")
        now = datetime.now(UTC)
        stale_count = 0
        for spec in load_catalog():
            status, _message, loaded_at, last_update, source_file = rows.get(
                spec.code, ("never checked", "", None, None, None)
            )
            label = {"not_in_snapshot": "not in snapshot"}.get(status, status)
            freshness = ""
            if loaded_at is not None:
                age_days = (now - loaded_at).total_seconds() / 86400
                stale = age_days > spec.cadence_days
                stale_count += stale
                freshness = f"loaded {loaded_at:%Y-%m-%d %H:%M} UTC" + (" STALE" if stale else "")
            update = f", Eurostat last update {last_update}" if last_update else ""
            where = f" from {source_file}" if source_file else ""
            print(f"  {spec.code:<22} {label:<16} {freshness}{where}{update}")
        if stale_count:
            print(
                f"{stale_count} source(s) STALE: older than their publication rhythm (see the catalogue's cadence_days)"
            )
        if published and warehouse:
            newer = [
                f"  {code:<22} {({'not_in_snapshot': 'not in snapshot'}).get(w[0], w[0]):<16} {w[1]}"
                for code, w in sorted(warehouse.items())
                if code in published and w[0] != published[code][0] and w[0] not in ("unchanged",)
            ]
            if newer:
                print("since then, in the warehouse (not published):")
                print("\n".join(newer))
    else:
        print("sources:          no refresh recorded yet")
    following, note = _offline_as_published(settings)
    print("this shell (used by the next sps refresh):")
    print(f"  data folder:      {settings.data_dir}")
    print(f"  snapshot folder:  {following.snapshot_dir} ({following.mode} mode{', ' + note if note else ''})")
    _print_last_runs(settings)
    return 0


def _print_build(current: Path) -> dict[str, tuple]:
    """Print how the published version was built (mode, snapshot folder, when) from its own `_publication`,
    and return its sources as it recorded them (rpt_source_freshness): code -> (status, message, loaded at,
    Eurostat last update, file)."""
    import duckdb

    from pipelines.versions.connection import connect_version

    try:
        with connect_version(current) as conn:
            columns = {row[0] for row in conn.execute("select column_name from (describe _publication)").fetchall()}
            wanted = [c for c in ("published_at", "mode", "snapshot_dir", "eurostat_api") if c in columns]
            values = conn.execute(f"select {', '.join(wanted)} from _publication").fetchall()[0]
            built = dict(zip(wanted, values, strict=True))
            sources = {
                r[0]: r[1:]
                for r in conn.execute(
                    "select source_dataset, last_attempt_status, last_attempt_message, loaded_at, source_last_update, "
                    "source_file from rpt_source_freshness"
                ).fetchall()
            }
    except (duckdb.Error, IndexError):
        return {}
    when = f"{built['published_at']:%Y-%m-%d %H:%M} UTC" if built.get("published_at") else "at an unknown time"
    if built.get("mode"):
        how = f"{built['mode']} mode, snapshot folder {built['snapshot_dir']}"
        if built.get("eurostat_api"):
            how += f", Eurostat API {built['eurostat_api']}"
    else:
        how = "mode and snapshot folder not recorded (published before they were)"
    print(f"built:            {when}, {how}")
    return sources


def _print_verification(settings) -> Path | None:
    """The verification of the current version (sha256 against its manifest) and which version readers serve."""
    from pipelines.versions.serving import serving_version
    from pipelines.versions.verify import verified

    current = current_version_path(settings.published_dir, required=False)
    try:
        serving = serving_version(settings.published_dir)
    except SpsError as exc:
        print(f"verified:         DAMAGED: {exc}")
        return None
    if serving.fallback:
        print(f"verified:         DAMAGED: {serving.problem}")
        print(f"                  readers serve {serving.version} ({serving.check.state}); see sps publish --verify")
    else:
        check = verified(current)
        print(f"verified:         {check.state.upper()} ({check.reason})")
    return serving.path


def _print_tokens_and_backups(settings) -> None:
    from pipelines.backup import backup_freshness
    from pipelines.uploads.api import expiring_tokens

    freshness = backup_freshness(settings.data_dir)
    print(f"backup:           {'OK' if freshness.ok else 'OVERDUE'}: {freshness.message}")

    soon = expiring_tokens(settings.data_dir, 30)
    if soon:
        listed = "; ".join(f"{r['city']} ({r['token_id']}) on {r['expires_at'][:10]}" for r in soon)
        print(f"upload tokens:    {len(soon)} expire within 30 days: {listed}")


def _print_last_refresh(settings) -> None:
    """The last refresh, when it did not end well: health ERROR until a refresh succeeds."""
    from pipelines.versions.outcome import read_refresh_outcome

    outcome = read_refresh_outcome(settings.published_dir)
    if not outcome or outcome.get("status") != "error":
        return
    print(f"last refresh:     ERROR at {outcome['at'][:16].replace('T', ' ')} UTC (exit {outcome['exit_code']})")
    print(f"  {outcome['message']}")
    for key, reason in (outcome.get("failed") or {}).items():
        print(f"  {key}: {reason}")


def _print_current_health(current: Path, settings) -> None:
    import duckdb

    from pipelines.publishing.health import health_dir
    from pipelines.versions.connection import connect_version

    try:
        with connect_version(current) as conn:
            status, report = conn.execute("select status, report_json from _health").fetchall()[0]
    except (duckdb.Error, IndexError):
        return
    import json

    summaries = [f"{section['title']}: {section['summary']}" for section in json.loads(report)["sections"]]
    print(f"health:           {status.upper()} ({health_dir(settings.data_dir) / (current.stem + '.md')})")
    for summary in summaries:
        print(f"  {summary}")


def _print_last_runs(settings, limit: int = 5) -> None:
    """The last runs Dagster recorded (sps refresh, schedules, sensors, the UI), newest first."""
    if not (settings.dagster_home / "dagster.yaml").exists():
        return
    settings.export_env()
    import dagster as dg

    try:
        with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            records = instance.get_run_records(limit=limit)
    except Exception as exc:  # a locked or damaged run storage must not break `sps status`
        print(f"last runs:        not readable ({type(exc).__name__})")
        return
    if not records:
        print("last runs:        none recorded")
        return
    print("last runs:")
    for record in records:
        run = record.dagster_run
        started = datetime.fromtimestamp(record.start_time, UTC) if record.start_time else record.create_timestamp
        took = f"{record.end_time - record.start_time:.0f}s" if record.start_time and record.end_time else ""
        trigger = run.tags.get("sps/trigger", "manual")
        plan = run.tags.get("sps/plan", "")
        print(
            f"  {started:%Y-%m-%d %H:%M} UTC  {run.status.value:<9} {took:>5}  {trigger}"
            + (f" ({plan})" if plan else "")
        )


# ----------------------------------------------------------------------------------------------- publish
def cmd_publish(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.rollback is not None:
        from pipelines.vault import audit

        before, after = rollback(settings.published_dir, args.rollback or None)
        audit.record(settings.data_dir, "version.rollback", before=before, after=after)
        print(f"sps publish: the dashboard now reads version {after} (was {before}).")
        if not before.startswith("a pointer"):
            print(f"To go forward again: sps publish --rollback {before}")
        return 0
    if args.verify is not None:
        return _verify_versions(settings, args.verify or None)
    versions = describe_versions(settings.published_dir)
    if not versions:
        print("sps publish: nothing published yet (run sps refresh)")
        return 0
    print(f"{'':2}{'version':<24} {'published (UTC)':<20} {'health':<9} {'verified':<11} observations")
    for info in versions:
        marker = "* " if info.is_current else "  "
        print(
            f"{marker}{info.version:<24} {info.published_at or '':<20} {info.health or '':<9} "
            f"{info.verification:<11} {info.observations}"
        )
    print("* = current (what the dashboard and exports read)")
    return 0


def _verify_versions(settings, version: str | None) -> int:
    """`sps publish --verify [VERSION]`: each kept version (or VERSION) against its manifest, row counts included."""
    from pipelines.versions.serving import serving_version
    from pipelines.versions.verify import DAMAGED, verify_version

    published = settings.published_dir
    versions = list_versions(published) if published.exists() else []
    if not versions:
        print("sps publish: nothing published yet (run sps refresh)")
        return 0
    if version is not None:
        wanted = published / f"{version.removesuffix('.duckdb')}.duckdb"
        if "/" in version or wanted not in versions:
            raise SpsError(f"no published version {version!r}; kept versions: {', '.join(p.stem for p in versions)}")
        versions = [wanted]
    current = current_version_path(published, required=False)
    damaged = []
    for path in versions:
        check = verify_version(path, deep=True)
        marker = "* " if path == current else "  "
        print(f"{marker}{check.version:<24} {check.state.upper():<11} {check.reason} ({check.seconds:.2f}s)")
        if check.state == DAMAGED:
            damaged.append(check.version)
    if current is None:
        print(f"the CURRENT pointer in {published} names no published version", file=sys.stderr)
    if not damaged and current is not None:
        print(f"sps publish: {len(versions)} version(s) verified; none is damaged.")
        return 0
    try:
        serving = serving_version(published)
        advice = f"readers serve {serving.version}; to make it current: sps publish --rollback {serving.version}"
    except SpsError:
        advice = "no intact version is kept: run sps refresh --full"
    what = f"damaged: {', '.join(damaged)}" if damaged else "the CURRENT pointer names no version"
    raise SpsError(f"{what}; {advice}")


# ----------------------------------------------------------------------------------------- upload, token
class _ProblemReport:
    """Where the problem report of a checked or uploaded file went, for the messages that point to it.

    It goes beside the file, where the city corrects it, except when the file is in the data snapshot (read in
    place, never written: DESIGN) or its folder cannot be written (a read-only share); then it goes in the current
    folder; if that cannot be written either, there is no report file and the messages say why (every problem up
    to the first 200 is still printed)."""

    def __init__(self, path: Path, text: str, snapshot_dir: Path) -> None:
        name = path.name + ".report.csv"
        self.path: Path | None = None
        reasons = []
        for target in (path.with_name(name), Path.cwd() / name):
            if _is_within(target, snapshot_dir):
                reasons.append(f"{target.parent} is the data snapshot, which is only read")
                continue
            try:
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                reasons.append(f"{target.parent} cannot be written ({exc.strerror or type(exc).__name__})")
                continue
            self.path = target
            return
        self.reason = "; ".join(dict.fromkeys(reasons))

    def all_in(self) -> str:
        return f"all in {self.path}" if self.path else f"no report file: {self.reason}"

    def full(self) -> str:
        return f"The full report is in {self.path}" if self.path else f"No report file was written ({self.reason})"


def _is_within(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def cmd_upload(args: argparse.Namespace) -> int:
    from pipelines.uploads.api import Mapping, report_csv, submit_upload, summarise

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        raise SpsError(f"{path}: no such file")
    mapping = _upload_mapping(Path(args.mapping)) if args.mapping else Mapping()
    if args.indicator:
        mapping.indicator = args.indicator
    for pair in args.map or []:
        source, _, target = pair.partition("=")
        if not target:
            raise SpsError(f"--map {pair}: write it as SourceColumn=target, e.g. Gender=sex")
        mapping.columns[source] = target
    token = args.token or os.environ.get("SPS_UPLOAD_TOKEN", "")
    result = submit_upload(path.read_bytes(), path.name, args.city, token, mapping, settings, check_only=args.check)
    report = _ProblemReport(path, report_csv(result.problems), settings.snapshot_dir) if result.problems else None
    if len(result.problems) > 200:
        print(f"  {len(result.problems)} problems, rule by rule:")
        for rule in summarise(result.problems):
            first = f"first on line {rule.first_row}" if rule.first_row else "in the file"
            print(f"  {rule.severity.upper()} {rule.rule}: {rule.problems} problem(s), {first}; e.g. {rule.example}")
            for message in rule.messages:  # each thing the rule caught: how many, where first, what to do
                lines = ", ".join(map(str, message.first_rows))
                more = " ..." if message.rows > len(message.first_rows) else ""
                where = f"lines {lines}{more}" if lines else "the file"
                print(f"    {message.problems} x {message.message} ({where})")
            if rule.other_messages:
                print(f"    ... and {rule.other_messages} other message(s) (all in the report)")
        print("  The first 200:")
    for problem in result.problems[:200]:
        print(f"  {problem}")
    if len(result.problems) > 200:
        print(f"  ... and {len(result.problems) - 200} more ({report.all_in()})")
    if not result.accepted:
        raise SpsError(
            f"{path.name} rejected: {len(result.errors)} error(s), {len(result.warnings)} warning(s); "
            f"nothing was loaded. {report.full()}; correct the file and upload it again"
        )
    verb = "checked (not stored, --check)" if args.check else f"accepted as submission {result.submission_id}"
    print(
        f"sps upload: {path.name} {verb}: {result.rows} row(s), {len(result.warnings)} warning(s)"
        + (f" (report: {report.path or report.reason})" if report else "")
    )
    if not args.check:
        print("It is published by the next refresh (`sps refresh`, or the inbox sensor when Dagster runs).")
    return 0


def _upload_mapping(path: Path):
    """`--mapping FILE` of `sps upload`, or one line saying what is wrong with it."""
    import yaml

    from pipelines.uploads.api import Mapping

    example = "examples/mappings/ has one for each real city file"
    if not path.is_file():
        raise SpsError(f"--mapping {path}: no such file ({example})")
    try:
        return Mapping.from_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SpsError(f"--mapping {path}: not a YAML mapping of columns and values ({first}); {example}") from None


def _print_space_problems(problems, report: _ProblemReport | None) -> None:
    """Like _print_problems, but a problem of a layer names its feature in the message and its attribute here
    (Problem's own text says "line", which a feature is not)."""
    from pipelines.spaces.api import summarise

    if len(problems) > 200:
        print(f"  {len(problems)} problems, rule by rule:")
        for rule in summarise(problems):
            first = f"first at {rule.first_row}" if rule.first_row else "in the file"
            print(f"  {rule.severity.upper()} {rule.rule}: {rule.problems} problem(s), {first}; e.g. {rule.example}")
        print("  The first 200:")
    for problem in problems[:200]:
        where = f"{problem.column}" if problem.column else "file"
        value = f" (value {problem.shown_value})" if problem.column else ""
        print(f"  {problem.severity.upper()} {where}{value}: {problem.message}")
    if len(problems) > 200:
        print(f"  ... and {len(problems) - 200} more ({report.all_in() if report else 'all kept with the submission'})")


def _finish_space_upload(command: str, path: Path, result, check: bool, snapshot_dir: Path) -> int:
    from pipelines.spaces.api import report_csv

    # A report file is written only when the file is rejected (the city corrects it): an accepted file's warnings
    # are printed and kept in the submission's metadata.json.
    report = None if result.accepted else _ProblemReport(path, report_csv(result.problems), snapshot_dir)
    _print_space_problems(result.problems, report)
    if not result.accepted:
        raise SpsError(
            f"{path.name} rejected: {len(result.errors)} error(s), {len(result.warnings)} warning(s); "
            f"nothing was loaded. {report.full()}; correct the file and upload it again"
        )
    what = "audit(s)" if result.kind == "audits" else f"{result.kind} feature(s)"
    verb = "checked (not stored, --check)" if check else f"accepted as submission {result.submission_id}"
    print(
        f"sps {command}: {path.name} {verb}: {result.items} {what}, {len(result.warnings)} warning(s)"
        + (" (shown above, kept with the submission)" if result.warnings and not check else "")
    )
    if not check:
        print("It is published by the next refresh (`sps refresh`).")
    return 0


def cmd_space(args: argparse.Namespace) -> int:
    from pipelines.spaces.api import LayerMapping, submit_space_upload

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        raise SpsError(f"{path}: no such file")
    try:
        mapping = LayerMapping.from_yaml(Path(args.mapping).read_text(encoding="utf-8")) if args.mapping else None
        extra = LayerMapping.from_options(args.map)
    except (OSError, ValueError) as exc:
        raise SpsError(str(exc)) from None
    if mapping is None:
        mapping = extra
    else:
        mapping.columns.update(extra.columns)
    token = args.token or os.environ.get("SPS_UPLOAD_TOKEN", "")
    result = submit_space_upload(
        path.read_bytes(),
        path.name,
        args.city,
        token,
        args.kind,
        settings,
        mapping=mapping,
        repair=args.repair,
        period=args.period,
        check_only=args.check,
    )
    return _finish_space_upload("space upload", path, result, args.check, settings.snapshot_dir)


def cmd_audit(args: argparse.Namespace) -> int:
    from pipelines.spaces.api import submit_audit_upload, write_audit_form

    if args.action == "form":
        out = Path(args.out)
        if out.suffix.lower() != ".xlsx":
            raise SpsError(f"--out {out}: an XLSForm is an .xlsx file")
        write_audit_form(out)
        print(f"sps audit form: wrote {out} (XLSForm: load it in KoboToolbox or ODK Central)")
        return 0
    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        raise SpsError(f"{path}: no such file")
    token = args.token or os.environ.get("SPS_UPLOAD_TOKEN", "")
    result = submit_audit_upload(path.read_bytes(), path.name, args.city, token, settings, check_only=args.check)
    return _finish_space_upload("audit upload", path, result, args.check, settings.snapshot_dir)


def cmd_token(args: argparse.Namespace) -> int:
    from pipelines.uploads.api import issue_upload_token, list_upload_tokens, revoke_upload_token

    settings = _settings()
    if args.action == "issue":
        city = args.city.strip().upper()
        note = " (a city code not among the published geographies: --unlisted)" if args.unlisted else ""
        if not args.unlisted:
            note = _check_token_city(settings, city, args.city)
        token_id, token = issue_upload_token(settings.data_dir, city, args.days)
        record = next(r for r in list_upload_tokens(settings.data_dir) if r["token_id"] == token_id)
        days = args.days or settings.token_days
        print(
            f"Token {token_id} for {city}{note}, valid for {days} day(s) (until {record['expires_at'][:10]}); "
            "it is shown only once, store it safely:"
        )
        print(token)
    elif args.action == "revoke":
        city = revoke_upload_token(settings.data_dir, args.token_id)
        print(f"Token {args.token_id} of {city} revoked.")
    else:
        now = datetime.now(UTC)
        for record in list_upload_tokens(settings.data_dir):
            state = _token_state(record, now)
            print(f"{record['token_id']}  {record['city']}  issued {record['issued_at'][:10]}  {state}")
    return 0


def _check_token_city(settings, city: str, given: str) -> str:
    """A token is for a city of the published geographies (Eurostat's Urban Audit codes): a typo would otherwise
    put a city's uploads under a code no page lists. Refused in one line with the nearest codes; with nothing
    published yet there is nothing to check against, and the line that prints the token says so."""
    from pipelines.errors import DamagedVersion, NothingPublished

    try:
        conn, serving = open_serving(settings)
    except (NothingPublished, DamagedVersion):
        return " (not checked against the geographies: nothing is published yet)"
    try:
        if conn.execute(
            "select count(*) from dim_geographies where geo_code = ? and geo_level = 'city'", [city]
        ).fetchall()[0][0]:
            return ""
        near = conn.execute(
            "select geo_code, trim(geo_name) from dim_geographies where geo_level = 'city' and "
            "(geo_code like ? or geo_name ilike ?) order by geo_code limit 3",
            [city[:2] + "%", f"%{given.strip()}%"],
        ).fetchall()
    finally:
        conn.close()
    hint = ", ".join(f"{code} {name}" for code, name in near) or "ES003C València"
    raise SpsError(
        f"--city {given}: not a city code of published version {serving.path.stem} (e.g. {hint}); `sps export "
        "geographies` lists them all; --unlisted issues the token anyway, for a city not (yet) among them"
    )


def _token_state(record: dict, now: datetime) -> str:
    if record["revoked_at"]:
        return f"revoked {record['revoked_at'][:10]}"
    if not record["expires_at"]:
        return "active, never expires (issued before tokens expired: revoke it and issue a new one)"
    expires = datetime.fromisoformat(record["expires_at"])
    if expires <= now:
        return f"EXPIRED {record['expires_at'][:10]}"
    days = (expires - now).days
    return f"active, expires {record['expires_at'][:10]} (in {days} day(s){', SOON' if days < 30 else ''})"


def _print_problems(problems, report: _ProblemReport | None, summarise) -> None:
    """Every problem on its own line (a rule-by-rule summary first when there are more than 200)."""
    if len(problems) > 200:
        print(f"  {len(problems)} problems, rule by rule:")
        for rule in summarise(problems):
            first = f"first on line {rule.first_row}" if rule.first_row else "in the file"
            print(f"  {rule.severity.upper()} {rule.rule}: {rule.problems} problem(s), {first}; e.g. {rule.example}")
        print("  The first 200:")
    for problem in problems[:200]:
        print(f"  {problem}")
    if len(problems) > 200:
        print(f"  ... and {len(problems) - 200} more ({report.all_in()})")


# ------------------------------------------------------------------------------------------------- survey
def cmd_survey(args: argparse.Namespace) -> int:
    from pipelines.surveys import api

    settings = _settings()
    if args.action == "form":
        design, _ = api.read_design_files(args.design, None)
        out = api.write_form(
            Path(args.out),
            args.lang,
            args.city.strip().upper() if args.city else None,
            api.districts_from_design(design),
        )
        print(f"sps survey form: wrote {out} (XLSForm {api.MODULE}; load it into KoboToolbox or ODK Central as is)")
        return 0
    if args.action == "list":
        surveys = api.list_surveys(settings, args.city)
        if not surveys:
            print("sps survey list: no survey uploaded" + (f" for {args.city.upper()}" if args.city else ""))
        for s in surveys:
            state = f"WITHDRAWN {s['withdrawn_at'][:10]}" if s["withdrawn_at"] else "in force or superseded"
            print(
                f"{s['submission_id']}  {s['city_code']}  period {s['period']}  {s['respondents']} respondents  "
                f"{s['estimates']} estimates  uploaded {str(s['uploaded_at'])[:10]}  {state}"
            )
        return 0
    token = getattr(args, "token", None) or os.environ.get("SPS_UPLOAD_TOKEN", "")
    if args.action == "withdraw":
        record = api.withdraw_survey(args.submission_id, args.city, token, settings)
        deleted = ", ".join(record["deleted"]) or "nothing"
        print(
            f"sps survey withdraw: {args.submission_id} withdrawn; deleted {deleted}. Its estimates leave the "
            "published version at the next refresh; the withdrawal stays in the audit trail."
        )
        return 0
    path = Path(args.file)
    if not path.is_file():
        raise SpsError(f"{path}: no such file")
    design, margins = api.read_design_files(args.design, args.margins)
    data = path.read_bytes()
    if args.action == "estimate":
        check = api.check_survey(data, path.name, args.city, design, margins, args.period, api.upload_max_bytes())
        problems, accepted, errors = check.problems, check.accepted, check.errors
    else:
        result = api.submit_survey(data, path.name, args.city, token, settings, design, margins, args.period)
        problems, accepted, errors = result.problems, result.accepted, result.errors
    report = _ProblemReport(path, api.report_csv(problems), settings.snapshot_dir) if problems else None
    _print_problems(problems, report, api.summarise)
    if not accepted:
        stored = "" if args.action == "estimate" else "; the file is kept in quarantine with its report"
        raise SpsError(
            f"{path.name} rejected: {len(errors)} error(s), {len(problems) - len(errors)} warning(s); nothing was "
            f"loaded{stored}. {report.full()}; correct the file and try again"
        )
    if args.action == "estimate":
        estimates = api.estimate_survey(check)
        if args.out:
            estimates.write_csv(args.out)
            print(f"sps survey estimate: {estimates.height} estimate rows written to {args.out} (nothing stored)")
        else:
            import polars as pl

            with pl.Config(
                tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=40, tbl_hide_dataframe_shape=True
            ):
                print(
                    estimates.select(
                        "indicator_code",
                        "geo_code",
                        "sex",
                        "age_group",
                        "breakdown",
                        "value",
                        "ci_low",
                        "ci_high",
                        "deff",
                        "n_eff",
                        "sample_size",
                        "flags",
                    )
                )
        print(
            f"sps survey estimate: {check.survey['achieved_n']} respondents, period {check.period}, "
            f"{check.design.weighting} weights; nothing was stored (a dry run)"
        )
        return 0
    print(
        f"sps survey upload: {path.name} accepted as submission {result.submission_id}: {result.respondents} "
        f"respondents, {result.estimates.height} estimate rows, {len(result.warnings)} warning(s)"
        + (f" (report: {report.path or report.reason})" if report else "")
    )
    print("The microdata stay in the private store; the estimates are published by the next refresh.")
    return 0


# ---------------------------------------------------------------------------------------- backup, restore, key
def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def cmd_backup(args: argparse.Namespace) -> int:
    from pipelines.backup import backup, list_backups, prune_backups, verify_backup

    settings = _settings()
    dest = args.dest or settings.backup_dest
    if args.list:
        backups = list_backups(dest)
        if not backups:
            print(f"sps backup: no backup at {dest}")
        for item in backups:
            if not item["readable"]:
                print(f"{item['backup_id']}  manifest unreadable")
                continue
            print(
                f"{item['backup_id']}  {item['created_at'][:16].replace('T', ' ')} UTC  {item['files']} files, "
                f"{_mb(item['total_bytes'])}; copied {item['new_objects']} new object(s), {_mb(item['copied_bytes'])}"
            )
        return 0
    if args.verify is not None:
        backup_id, files = verify_backup(settings.data_dir, dest, args.verify or None)
        print(f"sps backup: backup {backup_id} at {dest} verified: {files} files read, hashed and opened with the key")
        return 0
    result = backup(settings.data_dir, dest)
    print(
        f"sps backup: backup {result.backup_id} to {dest}: {result.files} kept files ({_mb(result.total_bytes)}); "
        f"copied {result.new_objects} new object(s), {_mb(result.copied_bytes)}, in {result.seconds:.1f}s"
    )
    print(f"sps backup: verified: {result.verified}")
    from pipelines.vault import keyring_for

    ring = keyring_for(settings.data_dir)
    print(
        f"sps backup: it opens only with vault key {ring.current_id} ({ring.source}): keep a copy of that key "
        "apart from the data folder and from the backups"
    )
    if args.prune:
        removed = prune_backups(dest)
        print(f"sps backup: retention: {len(removed)} older backup(s) removed (14 days, then one a month for a year)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pipelines.backup import restore

    settings = _settings()
    source = args.src or settings.backup_dest
    result = restore(settings.data_dir, source, args.backup)
    print(
        f"sps restore: restored backup {result.backup_id} of {result.created_at[:16].replace('T', ' ')} UTC into "
        f"{settings.data_dir}: {result.files} files, {_mb(result.total_bytes)}"
    )
    print(
        "Next: sps refresh --full (rebuilds the warehouse and publishes a version from the snapshot and these files; "
        "offline, set SPS_SNAPSHOT_DIR to the snapshot folder first)"
    )
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    from pipelines.vault import keyring_for
    from pipelines.vault.rotate import forget_key, rotate_keys

    settings = _settings()
    if args.action == "rotate":
        rotation = rotate_keys(settings.data_dir)
        print(
            f"sps key: new sealing key {rotation.new_key_id} in {rotation.key_file}; {rotation.resealed} sealed "
            f"file(s) sealed again with it, {rotation.sealed_first_time} written before the vault sealed now."
        )
        print(
            f"The old key(s) {', '.join(rotation.old_key_ids)} stay in the file, to open backups made before today; "
            "remove one with `sps key forget ID` once no kept backup needs it. Copy the key file to its safe place."
        )
    elif args.action == "forget":
        path = forget_key(settings.data_dir, args.key_id)
        print(f"sps key: key {args.key_id} removed from {path}; backups sealed with it can no longer be restored.")
    else:
        ring = keyring_for(settings.data_dir)
        print(f"sealing key:      {ring.current_id} ({ring.source})")
        if len(ring.ids) > 1:
            print(f"older keys:       {', '.join(ring.ids[1:])} (open only: files and backups sealed before)")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from pipelines.uploads.api import write_target_template, write_template

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise SpsError(f"--out {out}: use a .csv or .xlsx file name")
    (write_target_template if args.targets else write_template)(out)
    print(f"sps template: wrote {'the target sheet ' if args.targets else ''}{out}")
    return 0


# ------------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sps",
        description="SPS Monitor: security-in-public-spaces indicators for European cities (SDG 11.7, 16.1).",
    )
    parser.add_argument("--data-dir", help="state folder (default: SPS_DATA_DIR, else data/ in the project folder)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    refresh = sub.add_parser(
        "refresh",
        help="ingest sources, build and test the marts, publish",
        description="Ingest every source (live from Eurostat or from the snapshot folder), "
        "build and test the dbt models, and publish a new read-only version.",
    )
    refresh.add_argument(
        "--mode",
        choices=["live", "offline", "auto"],
        help="live: download into the snapshot folder; offline: read it only "
        "(default SPS_MODE or auto: offline when SPS_SNAPSHOT_DIR is set or the published version was built "
        "offline, live otherwise)",
    )
    refresh.add_argument("--snapshot-dir", help="snapshot folder (default: SPS_SNAPSHOT_DIR or DATA_DIR/snapshot)")
    refresh.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's full logs")
    refresh.add_argument(
        "--full",
        action="store_true",
        help="rebuild everything even if no source changed (default: only what changed since the published version)",
    )
    refresh.set_defaults(func=cmd_refresh)

    watch = sub.add_parser(
        "watch",
        help="publish city uploads as they arrive (a long-running process beside sps serve)",
        description="Watch the upload inbox, the drop folder, the survey store and the public-space inbox, and "
        "publish each new upload (and what depends on it) within seconds, with Dagster, dbt and the parsed dbt "
        "project kept loaded. Sources and schedules stay with `sps refresh` and Dagster.",
    )
    watch.add_argument(
        "--interval",
        type=float,
        default=0.1,
        help="seconds between looks at the inbox (0.1; each look lists four folders, ~0.03 ms)",
    )
    watch.add_argument("--max-runs", type=int, help=argparse.SUPPRESS)  # tests and benchmarks: stop after N runs
    watch.set_defaults(func=cmd_watch)

    export = sub.add_parser(
        "export",
        help="write a published table to CSV, Parquet, SDMX-CSV, XLSX or Open SDG CSV",
        description="Write a table of the current published version to a file, with a metadata sidecar "
        "(FILE.metadata.json: sources, licences, published version, generated at). The format follows "
        "the extension of --out unless --format says otherwise.",
    )
    export.add_argument("what", choices=sorted(EXPORT_TABLES), help="which table")
    export.add_argument(
        "--out", required=True, help="output file (.csv, .parquet, .xlsx) or folder (open-sdg; for progress: one city)"
    )
    export.add_argument(
        "--format",
        choices=["csv", "parquet", "sdmx-csv", "xlsx", "open-sdg"],
        help="default: from the extension of --out. sdmx-csv, xlsx (a sheet per indicator) and open-sdg (a folder, "
        "one CSV per indicator) are for observations; progress also writes xlsx and open-sdg (Open SDG progress "
        "fields, one YAML per indicator of one --city)",
    )
    export.add_argument(
        "--city", action="append", help="observations or progress of these cities and their areas (CODE[,CODE])"
    )
    export.add_argument(
        "--indicator", action="append", help="observations or progress of these indicators (CODE[,CODE])"
    )
    export.add_argument("--period", help="a year (2019) or a range of years (2010-2019)")
    export.add_argument(
        "--source-type", action="append", help="eurostat, survey, national_statistics, city_report (repeatable)"
    )
    export.set_defaults(func=cmd_export)

    report = sub.add_parser(
        "report",
        help="write a city's report (self-contained HTML, print-ready) from the published version",
        description="Write a city's SDG 11.7 / 16.1 report for a Voluntary Local Review: indicators by SDG target "
        "and partnership domain with trend, peer comparison and 95 % intervals, context, the city's own reported "
        "indicators, coverage, caveats, sources with licences and a suggested citation. One HTML file with inline "
        "charts that loads nothing; print it to PDF from a browser.",
    )
    report.add_argument("--city", required=True, help="Urban Audit city code, e.g. ES002C")
    report.add_argument("--period", help="a year (2019) or a range of years (2010-2019); default: all periods")
    report.add_argument("--lang", default="en", help="language of the report's text (default en)")
    report.add_argument("--out", required=True, help="output file (.html)")
    report.set_defaults(func=cmd_report)

    cycle = sub.add_parser(
        "cycle",
        help="2030 voluntary reporting cycles: who has reported, and the reminder list",
        description="Reporting cycles (seeds/reporting_cycles.csv): per city, which requested indicators have a "
        "value in the cycle's data years (city upload, city survey or official source), which are missing, and "
        "complete / partial / none.",
    )
    cycle_sub = cycle.add_subparsers(dest="action", required=True)
    cycle_status = cycle_sub.add_parser(
        "status",
        help="print a cycle's status per city and write the reminder list (cities partial or none) as CSV",
        description="Print a cycle's status per city (default: the cycle open today) and write the secretariat's "
        "reminder list: every city with a partial or no report, with what is missing.",
    )
    cycle_status.add_argument("--cycle", type=int, help="the cycle (e.g. 2026; default: the one open today)")
    cycle_status.add_argument(
        "--out", help="reminder list (.csv; default DATA_DIR/reports/cycles/reminders_<cycle>.csv)"
    )
    cycle.set_defaults(func=cmd_cycle)

    serve = sub.add_parser(
        "serve",
        help="serve the dashboard on 127.0.0.1",
        description="Serve the Streamlit dashboard; it reads only the published version.",
    )
    serve.add_argument("--address", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default SPS_DASHBOARD_PORT or 8501)")
    serve.set_defaults(func=cmd_serve)

    status = sub.add_parser(
        "status",
        help="published version and freshness of every source",
        description="Show the published version and, per source, the last ingest result, "
        "when it was loaded and whether it is stale for its publication rhythm.",
    )
    status.set_defaults(func=cmd_status)

    publish = sub.add_parser(
        "publish",
        help="list published versions, verify them, or roll the dashboard back to one",
        description="List the kept published versions (newest last, * marks the one served), verify them against "
        "their manifests, or point the dashboard and exports at an earlier one. Nothing is deleted by a rollback.",
    )
    publish_action = publish.add_mutually_exclusive_group()
    publish_action.add_argument("--list", action="store_true", help="list versions (the default)")
    publish_action.add_argument(
        "--rollback",
        nargs="?",
        const="",
        metavar="VERSION",
        help="serve VERSION (default: the newest intact version before the current one)",
    )
    publish_action.add_argument(
        "--verify",
        nargs="?",
        const="",
        metavar="VERSION",
        help="check every kept version (or VERSION) against its manifest: sha256 and row counts; exit 1 if damaged",
    )
    publish.set_defaults(func=cmd_publish)

    upload = sub.add_parser(
        "upload",
        help="check a city's file and put it in the inbox",
        description="Check a file (SPS template, or an Open SDG CSV with a mapping) and report "
        "every problem at once. A clean file goes to the inbox and is published by the next "
        "refresh; a file with errors is kept in quarantine with its report and nothing is loaded.",
    )
    upload.add_argument("file", help="CSV (UTF-8 or Windows-1252; , ; or tab) or XLSX")
    upload.add_argument("--city", required=True, help="your city's Urban Audit code, e.g. ES002C")
    upload.add_argument("--token", help="your upload token (or SPS_UPLOAD_TOKEN)")
    upload.add_argument("--indicator", help="Open SDG files: the catalogue indicator the file holds")
    upload.add_argument(
        "--map",
        action="append",
        metavar="COLUMN=TARGET",
        help="Open SDG files: map a column, e.g. Gender=sex (repeatable)",
    )
    upload.add_argument("--mapping", help="Open SDG files: a YAML mapping (see examples/)")
    upload.add_argument("--check", action="store_true", help="only check; store nothing")
    upload.set_defaults(func=cmd_upload)

    token = sub.add_parser(
        "token",
        help="issue, revoke or list city upload tokens",
        description="Upload tokens: one per city; only a salted hash is stored.",
    )
    token_sub = token.add_subparsers(dest="action", required=True)
    issue = token_sub.add_parser("issue", help="issue a token for a city (printed once, on the last line)")
    issue.add_argument("--city", required=True, help="the city's Urban Audit code, e.g. ES003C")
    issue.add_argument(
        "--unlisted",
        action="store_true",
        help="issue it although the code is not a city of the published geographies (a city Eurostat does not list)",
    )
    issue.add_argument("--days", type=int, help="the token expires after this many days (default: SPS_TOKEN_DAYS, 400)")
    revoke = token_sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")
    token_sub.add_parser("list", help="list tokens (ids, cities, states and expiry; never the secrets)")
    token.set_defaults(func=cmd_token)

    space = sub.add_parser(
        "space",
        help="upload a public-space layer (boundary, districts, open spaces, streets)",
        description="Public-space assessment (SDG 11.7.1): check a GeoJSON or GeoPackage layer and report every "
        "problem at once; a clean file goes to the public-space inbox and is computed by the next refresh, a file "
        "with errors is kept in quarantine with its report (docs/methodology/open_public_space.md).",
    )
    space_sub = space.add_subparsers(dest="action", required=True)
    space_upload = space_sub.add_parser("upload", help="check a layer and put it in the inbox")
    space_upload.add_argument("file", help="GeoJSON (WGS 84) or GeoPackage")
    space_upload.add_argument("--city", required=True, help="your city's Urban Audit code, e.g. ES003C")
    space_upload.add_argument("--token", help="your upload token (or SPS_UPLOAD_TOKEN)")
    space_upload.add_argument(
        "--kind", required=True, choices=["boundary", "districts", "open-spaces", "streets"], help="what the layer is"
    )
    space_upload.add_argument(
        "--map",
        action="append",
        metavar="ATTR=property",
        help="map an attribute of the file onto a property, e.g. coddistrit=district_code (repeatable)",
    )
    space_upload.add_argument("--mapping", help="a YAML mapping (columns: and values:), for values in your language")
    space_upload.add_argument("--repair", action="store_true", help="repair invalid polygons (make_valid), reported")
    space_upload.add_argument("--period", help="open spaces: the inventory's year (default: this year)")
    space_upload.add_argument("--check", action="store_true", help="only check; store nothing")
    space.set_defaults(func=cmd_space)

    audit = sub.add_parser(
        "audit",
        help="the site safety audit form, and uploading audits",
        description="Site safety audits by day and after dark (docs/methodology/safety_audits.md).",
    )
    audit_sub = audit.add_subparsers(dest="action", required=True)
    audit_form = audit_sub.add_parser("form", help="write the audit form as an XLSForm (KoboToolbox, ODK Collect)")
    audit_form.add_argument("--out", required=True, help="audit.xlsx")
    audit_upload = audit_sub.add_parser("upload", help="check audits (Kobo/ODK export or CSV/XLSX) into the inbox")
    audit_upload.add_argument("file", help="the export of the audit form (CSV or XLSX), or a CSV/XLSX with its columns")
    audit_upload.add_argument("--city", required=True, help="your city's Urban Audit code, e.g. ES003C")
    audit_upload.add_argument("--token", help="your upload token (or SPS_UPLOAD_TOKEN)")
    audit_upload.add_argument("--check", action="store_true", help="only check; store nothing")
    audit.set_defaults(func=cmd_audit)

    backup_cmd = sub.add_parser(
        "backup",
        help="back up what cannot be rebuilt (uploads, surveys, tokens, audit trail) to a folder or object store",
        description="Copy the kept files of the data folder (pipelines/vault/kept.py) to DEST, incrementally by "
        "content, sealed with the vault key, with a manifest; then verify what was written. DEST is a folder or an "
        "fsspec URL (s3://bucket/sps, ...) with credentials from the environment; default SPS_BACKUP_DEST.",
    )
    backup_cmd.add_argument("dest", nargs="?", help="folder or URL (default: SPS_BACKUP_DEST)")
    backup_action = backup_cmd.add_mutually_exclusive_group()
    backup_action.add_argument("--list", action="store_true", help="list the backups at DEST")
    backup_action.add_argument(
        "--verify",
        nargs="?",
        const="",
        metavar="ID",
        help="read, hash and open every file of a backup (default: newest)",
    )
    backup_cmd.add_argument(
        "--prune", action="store_true", help="after backing up, apply the retention (14 days, then monthly for a year)"
    )
    backup_cmd.set_defaults(func=cmd_backup)

    restore_cmd = sub.add_parser(
        "restore",
        help="restore a backup into an empty data folder (then run sps refresh --full)",
        description="Restore the newest backup at SRC (or --backup ID) into the data folder, which must keep nothing "
        "yet. Every file is checked and opened with the vault key before anything is put in place: with the wrong "
        "key, or a damaged backup, nothing changes.",
    )
    restore_cmd.add_argument("src", nargs="?", help="folder or URL (default: SPS_BACKUP_DEST)")
    restore_cmd.add_argument("--backup", metavar="ID", help="which backup (default: the newest; see sps backup --list)")
    restore_cmd.set_defaults(func=cmd_restore)

    key = sub.add_parser(
        "key",
        help="the vault key that seals private data at rest: show, rotate, forget an old one",
        description="Private data (uploaded originals, survey microdata, problem reports) are sealed at rest with "
        "AES-256-GCM (docs/adr/0020). The key comes from SPS_VAULT_KEY or the key file SPS_VAULT_KEY_FILE "
        "(default ~/.config/sps-monitor/vault.key), outside the data folder, owner-only.",
    )
    key_sub = key.add_subparsers(dest="action", required=True)
    key_sub.add_parser("show", help="which key seals, which older keys open")
    key_sub.add_parser("rotate", help="a new sealing key; every sealed file sealed again with it")
    forget = key_sub.add_parser("forget", help="remove an older key once no kept backup needs it")
    forget.add_argument("key_id")
    key.set_defaults(func=cmd_key)

    template = sub.add_parser(
        "template",
        help="write the SPS upload template (CSV, or XLSX with a data dictionary)",
        description="Write the upload template generated from seeds/upload_template_columns.csv, or with --targets "
        "the target sheet (seeds/upload_target_columns.csv): a city's targets per indicator, sent with `sps upload`.",
    )
    template.add_argument("--out", required=True, help="template.csv or template.xlsx")
    template.add_argument(
        "--targets",
        action="store_true",
        help="the target sheet (target value, target year, baseline year per indicator)",
    )
    template.set_defaults(func=cmd_template)

    survey = sub.add_parser(
        "survey",
        help="the city safety survey kit: questionnaire, microdata upload, estimates, withdrawal",
        description="The SPS core survey module (sps_core_v1): write the XLSForm, check and estimate a survey file "
        "(a dry run), upload it (microdata stay in the private store; estimates are published by the next refresh), "
        "list a city's surveys, or withdraw one (its microdata are deleted).",
    )
    survey_sub = survey.add_subparsers(dest="action", required=True)
    form = survey_sub.add_parser("form", help="write the SPS core XLSForm for KoboToolbox / ODK Collect")
    form.add_argument("--out", required=True, help="the XLSForm file (.xlsx)")
    form.add_argument("--lang", help="languages, e.g. en,fr (default all eight: en, fr, es, it, nl, pl, lv, fi)")
    form.add_argument(
        "--city", help="Urban Audit code stored in every interview (an upload for another city is refused)"
    )
    form.add_argument("--design", help="a design.yml whose districts: are asked as a list")
    for name, helptext in (
        ("upload", "check a survey file, estimate it and keep it in the private store for the next refresh"),
        ("estimate", "check a survey file and print its estimates; store nothing (a dry run)"),
    ):
        command = survey_sub.add_parser(name, help=helptext)
        command.add_argument("file", help="Kobo / ODK export (CSV, XLSX), a plain CSV / XLSX, SPSS .sav or Stata .dta")
        command.add_argument("--city", required=True, help="your city's Urban Audit code, e.g. PL013C")
        if name == "upload":
            command.add_argument("--token", help="your upload token (or SPS_UPLOAD_TOKEN)")
        else:
            command.add_argument("--out", help="write the estimates to this CSV instead of printing them")
        command.add_argument("--design", help="design.yml: column names, fpc, districts, survey facts")
        command.add_argument("--margins", help="margins.csv: population by sex x age group (x district) to rake to")
        command.add_argument("--period", help="the survey's period, e.g. 2026 (default: design.yml or fieldwork)")
    withdraw = survey_sub.add_parser(
        "withdraw", help="withdraw a survey: delete its microdata, unpublish its estimates"
    )
    withdraw.add_argument("submission_id")
    withdraw.add_argument("--city", required=True)
    withdraw.add_argument("--token", help="your upload token (or SPS_UPLOAD_TOKEN)")
    listing = survey_sub.add_parser("list", help="list the surveys uploaded (no microdata)")
    listing.add_argument("--city", help="only this city's")
    survey.set_defaults(func=cmd_survey)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _apply_overrides(args)
    try:
        return args.func(args)
    except SpsError as exc:
        print(f"sps {args.command}: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:
        print(f"sps {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`sps status | head`): nothing is left to show it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
    except Exception as exc:  # the last resort: one line, never a traceback (SPS_DEBUG=1 shows it)
        if os.environ.get("SPS_DEBUG"):
            raise
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"sps {args.command}: unexpected error: {type(exc).__name__}: {first_line} (set SPS_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 2


def run() -> None:
    """The `sps` console command: `main`, then the end of the process without Python's interpreter teardown.
    Unloading the modules dagster, dbt and Great Expectations bring took ~1.4 s after every `sps refresh` had
    finished (benchmarks/findings.py). Nothing is left to write by then: files are closed by their `with` blocks,
    DuckDB and SQLite have committed, and the output and logging are flushed here. Tests call `main` instead."""
    code = main()
    if "pipelines.shared.gx" in sys.modules:  # a refresh that failed before its check: its GX worker process ends
        sys.modules["pipelines.shared.gx"].stop_worker(wait=0.5)
    logging.shutdown()
    if "multiprocessing.util" in sys.modules:
        # What Python's own exit would run for multiprocessing: unlink the semaphores of the thread pools dbt
        # made in this process (dbt runs here, pipelines/warehouse/dbt_inprocess.py); skipped, its resource
        # tracker warns about "leaked semaphore objects" after every refresh.
        import multiprocessing.util

        multiprocessing.util._exit_function()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away after the last line: nothing is left to show it
        code = code or 141
    os._exit(code)


if __name__ == "__main__":
    run()
