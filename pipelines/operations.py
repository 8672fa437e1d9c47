"""How the secretariat's warehouse runs itself: schedules, sensors and the failure alert (Dagster).

Every trigger asks the same question, `plan_refresh` (pipelines/changes.py): what differs from the published
version? It then requests only those source assets and everything downstream of them, or skips with the
reason. Nothing here writes data; the single `refresh` job does, one run at a time (the run queue in
DAGSTER_HOME/dagster.yaml allows one concurrent run, and `sps refresh` takes a file lock).

    weekly_eurostat_refresh   Mondays 05:00 Europe/Brussels: Eurostat and GISCO sources that changed
    daily_inbox_refresh       every day 06:00: city uploads waiting in the inbox or drop folder (the inbox
                              sensor is the fast path; this is the safety net if the sensor was stopped)
    monthly_full_rebuild      1st of the month 03:00: everything, from scratch (re-reads every source)
    eurostat_update_sensor    live mode, every 6 hours: Eurostat's table of contents against what was loaded
    inbox_sensor              every 30 s: new submissions in the inbox (pipelines/uploads/sensors.py)
    alert_on_run_failure      any failed run: e-mail and/or webhook (pipelines/alerts.py)
"""

import hashlib
from collections.abc import Iterable

import dagster as dg

from pipelines.alerts import send_alert
from pipelines.changes import CITY_SUBMISSIONS, RefreshPlan, plan_refresh
from pipelines.errors import DownloadFailed
from pipelines.settings import load_settings
from pipelines.sources.catalog import load_catalog

REFRESH_JOB = "refresh"
TIMEZONE = "Europe/Brussels"
REGISTER_KEYS = (dg.AssetKey(["raw", "_source_status"]),)
SOURCE_KEYS = tuple(f"raw/{spec.code}" for spec in load_catalog())


def asset_keys_for(input_keys: Iterable[str]) -> list[dg.AssetKey]:
    """Plan input keys ("raw/urb_percep", "raw/city_submissions") to the asset keys that load them."""
    keys = []
    for key in input_keys:
        if key == CITY_SUBMISSIONS:
            keys += [dg.AssetKey(["raw", "city_submissions"]), dg.AssetKey(["raw", "city_submission_files"])]
        else:
            keys.append(dg.AssetKey(key.split("/")))
    return keys


def source_input_key(step_key: str) -> str | None:
    """The plan input key of a source asset's step ("raw__crim_off_cat" -> "raw/crim_off_cat"); None otherwise."""
    if step_key == "raw_city_submissions":
        return CITY_SUBMISSIONS
    key = "raw/" + step_key.removeprefix("raw__")
    return key if step_key.startswith("raw__") and key in SOURCE_KEYS else None


def selection_for(input_keys: Iterable[str]) -> list[dg.AssetKey]:
    """The changed source assets and everything downstream of them (dbt models, publish, health report)."""
    from pipelines.definitions import defs  # imported late: definitions imports this module

    roots = asset_keys_for(input_keys)
    # The status register (raw/_source_status) changes with every run whatever its sources, so the source
    # freshness report reading it is always rebuilt.
    registers = dg.AssetSelection.assets(*REGISTER_KEYS).downstream(include_self=False)
    selection = dg.AssetSelection.assets(*roots).downstream() | registers
    return sorted(selection.resolve(defs.resolve_asset_graph(), allow_missing=True))


def run_request_for(plan: RefreshPlan, only: Iterable[str] | None, trigger: str) -> dg.RunRequest | dg.SkipReason:
    """A run of the changed part of the plan (restricted to the `only` input keys), or the reason to skip."""
    if plan.full:
        return dg.RunRequest(tags={"sps/trigger": trigger, "sps/plan": "full"})
    wanted = set(only) if only is not None else None
    changed = {key: why for key, why in plan.changed.items() if wanted is None or key in wanted}
    if not changed:
        scope = "these sources" if wanted else "any source"
        return dg.SkipReason(f"nothing changed in {scope} since published version {plan.published_version}")
    run_key = hashlib.sha256(repr(sorted(changed.items())).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"{trigger}-{plan.published_version}-{run_key}",
        asset_selection=selection_for(changed),
        tags={"sps/trigger": trigger, "sps/plan": "; ".join(f"{k} ({v})" for k, v in changed.items())[:200]},
    )


def _eurostat_last_updates(settings) -> dict[str, str] | None:
    if settings.mode != "live":
        return None
    from pipelines.sources.live import fetch_last_updates

    return fetch_last_updates(settings)


# -------------------------------------------------------------------------------------------- schedules
@dg.schedule(
    name="weekly_eurostat_refresh",
    job_name=REFRESH_JOB,
    cron_schedule="0 5 * * 1",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Mondays 05:00: refresh the Eurostat and GISCO sources that changed since the published version "
    "(live mode reads Eurostat's table of contents; offline mode the snapshot folder's hashes).",
)
def weekly_eurostat_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    try:
        last_updates = _eurostat_last_updates(settings)
    except DownloadFailed as exc:  # Eurostat down: refresh anyway, the run falls back to the snapshot copy
        context.log.warning(f"Eurostat's table of contents is unreachable ({exc}); refreshing every source")
        last_updates = None
    return run_request_for(plan_refresh(settings, last_updates=last_updates), SOURCE_KEYS, "weekly_eurostat_refresh")


@dg.schedule(
    name="daily_inbox_refresh",
    job_name=REFRESH_JOB,
    cron_schedule="0 6 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day 06:00: publish city uploads still waiting in the inbox or the drop folder.",
)
def daily_inbox_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return run_request_for(plan_refresh(load_settings()), [CITY_SUBMISSIONS], "daily_inbox_refresh")


@dg.schedule(
    name="monthly_full_rebuild",
    job_name=REFRESH_JOB,
    cron_schedule="0 3 1 * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="1st of the month 03:00: re-read every source and rebuild every model from scratch.",
)
def monthly_full_rebuild(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    when = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"monthly-{when:%Y-%m}" if when else None,
        tags={"sps/trigger": "monthly_full_rebuild", "sps/plan": "full"},
    )


# ---------------------------------------------------------------------------------------------- sensors
@dg.sensor(
    name="eurostat_update_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=6 * 3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Live mode: compares each dataset's 'last update of data' in Eurostat's table of contents with "
    "what the published version loaded, and requests only the changed datasets and their downstream models.",
)
def eurostat_update_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    if settings.mode != "live":
        return dg.SkipReason("offline mode (SPS_SNAPSHOT_DIR is set): there is no Eurostat to watch")
    try:
        last_updates = _eurostat_last_updates(settings)
    except DownloadFailed as exc:
        return dg.SkipReason(f"Eurostat's table of contents is unreachable: {exc}")
    eurostat = [f"raw/{spec.code}" for spec in load_catalog() if spec.live == "eurostat_sdmx"]
    plan = plan_refresh(settings, last_updates=last_updates)
    if plan.full:  # nothing usable published: the weekly schedule or `sps refresh` does the first build
        return dg.SkipReason(f"no incremental plan ({plan.reason}); run a full refresh first")
    return run_request_for(plan, eurostat, "eurostat_update_sensor")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails (SPS_SMTP_*, SPS_ALERT_EMAIL_TO) and/or posts to SPS_ALERT_WEBHOOK_URL when a run fails.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    steps = []
    for event in context.get_step_failure_events():
        error = event.event_specific_data.error
        steps.append(f"{event.step_key}: {_first_line(error.message if error else '')}")
    body = "\n".join(
        [
            f"Run {run.run_id} of job {run.job_name} failed.",
            f"Trigger: {run.tags.get('sps/trigger', 'manual')}. Plan: {run.tags.get('sps/plan', 'full')}.",
            *(f"  FAILED {step}" for step in steps),
            _first_line(context.failure_event.message or ""),
            "The published version analysts see is unchanged. `sps status` and the Dagster UI show details.",
        ]
    )
    for delivery in send_alert(
        f"refresh run {run.run_id[:8]} failed",
        body,
        {"run_id": run.run_id, "job": run.job_name, "failed_steps": steps},
    ):
        log = context.log.info if delivery.ok else context.log.error
        log(f"alert via {delivery.channel}: {'sent' if delivery.ok else 'NOT sent'} ({delivery.detail})")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


schedules = [weekly_eurostat_refresh, daily_inbox_refresh, monthly_full_rebuild]
sensors = [eurostat_update_sensor, alert_on_run_failure]
