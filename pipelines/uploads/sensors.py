"""The inbox sensor: a refresh runs when accepted uploads wait in data/inbox/ that the warehouse has not loaded."""

import dagster as dg
import duckdb

from pipelines.settings import load_settings
from pipelines.uploads.dropbox import process_drop_folder
from pipelines.uploads.inbox_loader import inbox_submission_ids, loaded_submission_ids

REFRESH_JOB = "refresh"


@dg.sensor(
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
    from pipelines.changes import CITY_SUBMISSIONS
    from pipelines.operations import selection_for

    return dg.RunRequest(
        run_key=",".join(pending),
        asset_selection=selection_for([CITY_SUBMISSIONS]),  # the uploads and what depends on them, not Eurostat
        tags={
            "sps/trigger": "inbox",
            "sps/pending": str(len(pending)),
            "sps/plan": f"{CITY_SUBMISSIONS} ({len(pending)} new inbox submission(s))",
        },
    )


upload_sensors = [inbox_sensor]
