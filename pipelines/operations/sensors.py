"""The secretariat's sensors (Dagster):

inbox_sensor              every 30 s: new submissions in the inbox (or files in the drop folder)
survey_store_sensor       every 30 s: city surveys accepted or withdrawn and not yet loaded
public_space_sensor       every 30 s: new public-space layers or site audits in their inbox
eurostat_update_sensor    live mode, every 6 hours: Eurostat's table of contents against what was loaded
backup_freshness_sensor   every hour: alerts when the last good backup is older than two days
alert_on_run_failure      any failed run: e-mail and/or webhook (alerts.py); a failed refresh is also recorded
                          beside the published versions (versions/outcome.py) for `sps status` and the dashboard
"""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from pipelines.backup.run import backup_freshness
from pipelines.errors import DownloadFailed
from pipelines.operations.alerts import send_alert
from pipelines.operations.selection import (
    REFRESH_JOB,
    asset_graph_of,
    eurostat_last_updates,
    run_request_for,
    selection_for,
    uploads_only_tags,
)
from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CITY_SURVEYS, PUBLIC_SPACE
from pipelines.publishing.plan import plan_refresh
from pipelines.settings import load_settings
from pipelines.sources.catalog import load_catalog
from pipelines.spaces.load import inbox_public_space_ids, loaded_public_space_ids
from pipelines.surveys.loader import loaded_survey_ids, pending_surveys
from pipelines.uploads.dropbox import process_drop_folder
from pipelines.uploads.inbox_loader import inbox_submission_ids, loaded_submission_ids
from pipelines.versions.outcome import write_refresh_outcome
from pipelines.versions.store import current_version_path


@dg.sensor(
    name="inbox_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a refresh when inbox folders are not yet in raw.city_submission_files. The run key is "
    "the set of pending submission ids, so the same set never triggers twice (a failed load waits for a fix "
    "or a new upload).",
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    for dropped in process_drop_folder(settings):  # the secretariat's bulk drops become inbox submissions
        state = "accepted" if dropped.accepted else f"rejected ({len(dropped.errors)} error(s), see quarantine)"
        context.log.info(f"drop folder: {dropped.submission_id} {state}")
    in_inbox = inbox_submission_ids(settings.inbox_dir)
    if not in_inbox:
        return dg.SkipReason(f"the inbox {settings.inbox_dir} holds no submission")
    loaded: set[str] = set()
    if settings.warehouse_path.exists():
        try:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
                loaded = loaded_submission_ids(conn)
        except (duckdb.IOException, duckdb.ConnectionException):  # another process holds the write lock
            return dg.SkipReason("the warehouse is locked: a refresh is running; the inbox is checked again after it")
    pending = [submission_id for submission_id in in_inbox if submission_id not in loaded]
    if not pending:
        return dg.SkipReason(f"all {len(in_inbox)} inbox submission(s) are loaded")
    context.log.info(f"{len(pending)} submission(s) waiting in the inbox: {', '.join(pending)}")
    return dg.RunRequest(
        run_key=",".join(pending),
        asset_selection=selection_for(
            [CITY_SUBMISSIONS], asset_graph_of(context)
        ),  # the uploads and what depends on them, not Eurostat
        tags={
            "sps/trigger": "inbox",
            "sps/pending": str(len(pending)),
            "sps/plan": f"{CITY_SUBMISSIONS} ({len(pending)} new inbox submission(s))",
            **_uploads_only(settings, CITY_SUBMISSIONS),
        },
    )


def _uploads_only(settings, input_key: str) -> dict[str, str]:
    """The upload sensors' runs rebuild only the cities' rows of the largest marts (selection.uploads_only_tags)
    when the published version was built by this code from a usable warehouse; otherwise (a new release, nothing
    published yet, a damaged version) the marts are rebuilt whole."""
    return {} if plan_refresh(settings, sources=False).full else uploads_only_tags([input_key])


@dg.sensor(
    name="survey_store_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a refresh of the city survey assets (and what depends on them) when a survey was accepted "
    "into, or withdrawn from, the survey store and the warehouse has not loaded it. The run key is the pending set.",
)
def survey_store_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    loaded: dict[str, list[str]] = {}
    if settings.warehouse_path.exists():
        try:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
                loaded = loaded_survey_ids(conn)
        except (duckdb.IOException, duckdb.ConnectionException):
            return dg.SkipReason("the warehouse is locked: a refresh is running; the survey store is checked after it")
    new, withdrawn = pending_surveys(settings.data_dir, loaded)
    if not new and not withdrawn:
        return dg.SkipReason("every city survey and withdrawal in the survey store is loaded")
    return dg.RunRequest(
        run_key=",".join([*new, *(f"withdrawn:{s}" for s in withdrawn)]),
        asset_selection=selection_for([CITY_SURVEYS], asset_graph_of(context)),
        tags={
            "sps/trigger": "survey_store",
            "sps/plan": f"{CITY_SURVEYS} ({len(new)} new survey(s), {len(withdrawn)} withdrawal(s))",
            **_uploads_only(settings, CITY_SURVEYS),
        },
    )


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
        last_updates = eurostat_last_updates(settings)
    except DownloadFailed as exc:
        return dg.SkipReason(f"Eurostat's table of contents is unreachable: {exc}")
    eurostat = [f"raw/{spec.code}" for spec in load_catalog() if spec.live == "eurostat_sdmx"]
    plan = plan_refresh(settings, last_updates=last_updates)
    if plan.full:  # nothing usable published: the weekly schedule or `sps refresh` does the first build
        return dg.SkipReason(f"no incremental plan ({plan.reason}); run a full refresh first")
    return run_request_for(plan, eurostat, "eurostat_update_sensor", asset_graph_of(context))


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
    if run.job_name == REFRESH_JOB:
        settings = load_settings()
        current = current_version_path(settings.published_dir, required=False)
        write_refresh_outcome(
            settings.published_dir,
            "error",
            1,
            f"Dagster run {run.run_id[:8]} ({run.tags.get('sps/trigger', 'manual')}) failed; "
            "the published version is unchanged",
            {step.split(":", 1)[0]: step.split(":", 1)[-1].strip() for step in steps},
            current.stem if current else None,
        )
    for delivery in send_alert(
        f"{run.job_name} run {run.run_id[:8]} failed",
        body,
        {"run_id": run.run_id, "job": run.job_name, "failed_steps": steps},
    ):
        log = context.log.info if delivery.ok else context.log.error
        log(f"alert via {delivery.channel}: {'sent' if delivery.ok else 'NOT sent'} ({delivery.detail})")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


@dg.sensor(
    name="public_space_sensor",
    job_name=REFRESH_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a refresh of raw/public_space and what depends on it when the public-space inbox holds "
    "submissions not yet in raw.public_space_submissions, keyed by their ids (the same set never triggers twice).",
)
def public_space_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    settings = load_settings()
    in_inbox = inbox_public_space_ids(settings)
    if not in_inbox:
        return dg.SkipReason("the public-space inbox holds no submission")
    loaded: set[str] = set()
    if settings.warehouse_path.exists():
        try:
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
                loaded = loaded_public_space_ids(conn)
        except (duckdb.IOException, duckdb.ConnectionException):  # another process holds the write lock
            return dg.SkipReason("the warehouse is locked: a refresh is running; the inbox is checked again after it")
    pending = [submission_id for submission_id in in_inbox if submission_id not in loaded]
    if not pending:
        return dg.SkipReason(f"all {len(in_inbox)} public-space submission(s) are loaded")
    return dg.RunRequest(
        run_key="public_space:" + ",".join(pending),
        asset_selection=selection_for([PUBLIC_SPACE], asset_graph_of(context)),
        tags={
            "sps/trigger": "public_space_inbox",
            "sps/plan": f"{PUBLIC_SPACE} ({len(pending)} new submission(s))",
            **_uploads_only(settings, PUBLIC_SPACE),
        },
    )


@dg.sensor(
    name="backup_freshness_sensor",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every hour: when the last good backup of the data folder is older than two days (or none was ever "
    "made while there is kept data), e-mails and/or posts an alert, once a day until a backup succeeds.",
)
def backup_freshness_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    settings = load_settings()
    freshness = backup_freshness(settings.data_dir)
    if freshness.ok:
        context.update_cursor(None)
        return dg.SkipReason(freshness.message)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    if context.cursor == today:
        return dg.SkipReason(f"already alerted today: {freshness.message}")
    body = (
        f"{freshness.message}.\nWhat cities sent and the survey microdata exist only in {settings.data_dir} until "
        "a backup succeeds. Check SPS_BACKUP_DEST and the nightly_backup runs, or run `sps backup DEST`."
    )
    deliveries = send_alert("backup overdue", body, {"data_dir": str(settings.data_dir), "status": freshness.message})
    for delivery in deliveries:
        log = context.log.info if delivery.ok else context.log.error
        log(f"alert via {delivery.channel}: {'sent' if delivery.ok else 'NOT sent'} ({delivery.detail})")
    context.update_cursor(today)
    return dg.SkipReason(f"ALERT: {freshness.message}")


sensors = [
    inbox_sensor,
    survey_store_sensor,
    public_space_sensor,
    eurostat_update_sensor,
    backup_freshness_sensor,
    alert_on_run_failure,
]
