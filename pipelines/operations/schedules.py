"""The secretariat's schedules (Dagster). Sensors are in sensors.py; what each trigger runs in selection.py.

Every trigger asks the same question, `plan_refresh` (pipelines/publishing/plan.py): what differs from the published
version? It then requests only those source assets and everything downstream of them, or skips with the
reason. Nothing here writes data; the single `refresh` job does, one run at a time (the run queue in
DAGSTER_HOME/dagster.yaml allows one concurrent run, and `sps refresh` takes a file lock).

    weekly_eurostat_refresh   Mondays 05:00 Europe/Brussels: Eurostat and GISCO sources that changed
    daily_inbox_refresh       every day 06:00: city uploads waiting in the inbox or drop folder (the inbox
                              sensor is the fast path; this is the safety net if the sensor was stopped)
    monthly_full_rebuild      1st of the month 03:00: everything, from scratch (re-reads every source)
    nightly_backup            every day 02:30: back up what the data folder keeps to SPS_BACKUP_DEST
    eurostat_update_sensor    live mode, every 6 hours: Eurostat's table of contents against what was loaded
    inbox_sensor              every 30 s: new submissions in the inbox (sensors.py)
    backup_freshness_sensor   every hour: alerts when the last good backup is older than two days (sensors.py)
    alert_on_run_failure      any failed run: e-mail and/or webhook (alerts.py)
"""

import dagster as dg

from pipelines.backup.assets import BACKUP_JOB
from pipelines.errors import DownloadFailed
from pipelines.operations.selection import (
    REFRESH_JOB,
    SOURCE_KEYS,
    TIMEZONE,
    asset_graph_of,
    eurostat_last_updates,
    run_request_for,
)
from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE
from pipelines.publishing.plan import plan_refresh
from pipelines.settings import load_settings


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
        last_updates = eurostat_last_updates(settings)
    except DownloadFailed as exc:  # Eurostat down: refresh anyway, the run falls back to the snapshot copy
        context.log.warning(f"Eurostat's table of contents is unreachable ({exc}); refreshing every source")
        last_updates = None
    return run_request_for(
        plan_refresh(settings, last_updates=last_updates),
        SOURCE_KEYS,
        "weekly_eurostat_refresh",
        asset_graph_of(context),
    )


@dg.schedule(
    name="daily_inbox_refresh",
    job_name=REFRESH_JOB,
    cron_schedule="0 6 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day 06:00: publish city uploads still waiting in the inbox or the drop folder, public-space "
    "layers and site audits waiting in theirs, and city surveys accepted or withdrawn since the published version.",
)
def daily_inbox_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return run_request_for(
        plan_refresh(load_settings()),
        [CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE],
        "daily_inbox_refresh",
        asset_graph_of(context),
    )


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


@dg.schedule(
    name="nightly_backup",
    job_name=BACKUP_JOB,
    cron_schedule="30 2 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day 02:30: back up what the data folder keeps (uploads, survey microdata, tokens, audit "
    "trail) to SPS_BACKUP_DEST, incrementally, then apply the retention.",
)
def nightly_backup(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    if not settings.backup_dest:
        # not silent: the backup freshness sensor alerts once kept data has gone two days without a backup
        return dg.SkipReason("SPS_BACKUP_DEST is not set: nowhere to back up to (see docs/operations.md)")
    when = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"backup-{when:%Y-%m-%d}" if when else None,
        tags={"sps/trigger": "nightly_backup", "sps/plan": f"backup to {settings.backup_dest}"},
    )


schedules = [weekly_eurostat_refresh, daily_inbox_refresh, monthly_full_rebuild, nightly_backup]
