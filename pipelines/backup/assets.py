"""The nightly backup as a Dagster asset (`backup/kept_data`, group `backup`, its own job: never part of a refresh)
with its check: the last good backup of this data folder is younger than two days. The schedule and the sensor
that alerts when backups stop are in pipelines/operations/."""

import dagster as dg

from pipelines.backup.run import backup, backup_freshness, prune_backups
from pipelines.backup.store import BackupError
from pipelines.settings import load_settings

BACKUP_KEY = dg.AssetKey(["backup", "kept_data"])
BACKUP_JOB = "backup"


@dg.asset(
    key=BACKUP_KEY,
    group_name="backup",
    kinds={"fsspec"},
    owners=["team:secretariat"],
    description="Backs up what the data folder keeps and cannot rebuild (uploads, survey microdata, tokens, audit "
    "trail: pipelines/vault/kept.py) to SPS_BACKUP_DEST, incrementally, sealed, with a manifest and a verification; "
    "then applies the retention (14 days, then one a month for a year).",
)
def kept_data(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    if not settings.backup_dest:
        raise dg.Failure(description="SPS_BACKUP_DEST is not set: there is nowhere to back up to", allow_retries=False)
    try:
        result = backup(settings.data_dir, settings.backup_dest)
        removed = prune_backups(settings.backup_dest)
    except BackupError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"backup {result.backup_id}: {result.files} files, {result.new_objects} new object(s)")
    return dg.MaterializeResult(
        metadata={
            "backup_id": result.backup_id,
            "destination": result.destination,
            "files": result.files,
            "total_bytes": result.total_bytes,
            "new_objects": result.new_objects,
            "copied_bytes": result.copied_bytes,
            "verified": result.verified,
            "pruned": len(removed),
        }
    )


@dg.asset_check(
    asset=BACKUP_KEY,
    name="last_good_backup_within_two_days",
    description="The last backup that was written and verified is younger than two days (backups.jsonl).",
)
def last_good_backup_within_two_days() -> dg.AssetCheckResult:
    freshness = backup_freshness(load_settings().data_dir)
    return dg.AssetCheckResult(
        passed=freshness.ok, severity=dg.AssetCheckSeverity.ERROR, metadata={"status": freshness.message}
    )


backup_assets = [kept_data]
backup_checks = [last_good_backup_within_two_days]
backup_job = dg.define_asset_job(
    BACKUP_JOB,
    selection=dg.AssetSelection.groups("backup"),
    description="Back up what the data folder keeps (pipelines/backup/).",
    executor_def=dg.in_process_executor,
)
