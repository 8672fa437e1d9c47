"""One Dagster asset per catalogue entry (`raw/<code>`), built by one factory."""

from datetime import timedelta

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.errors import DownloadFailed, SourceFileError
from pipelines.settings import load_settings
from pipelines.sources.acquire import acquire
from pipelines.sources.catalog import DatasetSpec, load_catalog
from pipelines.sources.files import sha256_of
from pipelines.sources.ingest import ensure_empty_table, ingest_file
from pipelines.sources.label_check import LabelMismatch, check_perception_labels, fetch_indic_ur_labels
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.raw import LoadOutcome, record_status

OWNER = "team:secretariat"


def build_raw_asset(spec: DatasetSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", spec.code],
        group_name="sources",
        kinds={"duckdb"},
        owners=[OWNER],
        description=f"{spec.title} ({spec.provider}; {spec.licence}). Append-only raw load with lineage.",
        # Warn once the publisher's rhythm has passed without a refresh of this source, fail a quarter later
        # (the monthly full rebuild re-reads every source, so only a stopped pipeline gets here).
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=timedelta(days=spec.cadence_days + 90), warn_window=timedelta(days=spec.cadence_days)
        ),
        metadata={
            "dataset": spec.code,
            "format": spec.format,
            "licence": spec.licence,
            "snapshot_files": ", ".join(spec.snapshot_files),
            "cadence_days": spec.cadence_days,
        },
    )
    def raw_dataset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        settings = load_settings()
        acquired = acquire(spec, settings)
        if spec.code == "urb_percep" and acquired.origin == "live":
            _check_live_labels(context, settings)
        with warehouse_connection(duckdb) as conn:
            ensure_empty_table(conn, spec)
            if acquired.download_failed:
                # Loud: the asset fails, the raw table keeps its last good load, the refresh exits non-zero.
                message = f"download failed: {acquired.warning}"
                record_status(conn, LoadOutcome(spec.code, "failed", message, origin="live"))
                raise dg.Failure(
                    description=f"raw/{spec.code}: {message}", metadata={"reason": message}, allow_retries=False
                )
            if acquired.path is None:
                where = f"not in snapshot {settings.snapshot_dir}"
                if settings.mode == "live":  # a source without a download, read from the snapshot folder only
                    where = f"no file in the snapshot folder {settings.snapshot_dir} (this source has no download)"
                outcome = LoadOutcome(
                    spec.code, "not_in_snapshot", f"{where} (looked for {', '.join(spec.snapshot_files)})"
                )
                record_status(conn, outcome)
                context.log.warning(f"{spec.code}: {outcome.message}")
                return dg.MaterializeResult(metadata={"status": outcome.status, "message": outcome.message})
            source_file = acquired.relative_name(settings.snapshot_dir)
            try:
                outcome = ingest_file(
                    conn,
                    spec,
                    acquired.path,
                    source_file=source_file,
                    origin=acquired.origin,
                    source_last_update=acquired.source_last_update,
                )
            except SourceFileError as exc:
                record_status(  # with the file's hash: the refresh plan skips a file known to be broken
                    conn,
                    LoadOutcome(
                        spec.code,
                        "failed",
                        str(exc),
                        source_file=source_file,
                        source_sha256=_sha256_or_none(acquired.path),
                        origin=acquired.origin,
                    ),
                )
                raise dg.Failure(
                    description=f"raw/{spec.code}: {exc}",
                    metadata={"file": source_file, "line": exc.line or 0, "reason": exc.reason},
                    allow_retries=False,
                ) from None
            if outcome.status == "unchanged":
                record_status(conn, outcome)
        context.log.info(f"{spec.code}: {outcome.message}")
        return dg.MaterializeResult(
            metadata={
                "status": outcome.status,
                "message": outcome.message,
                "rows": outcome.rows,
                "source_file": source_file,
                "source_sha256": outcome.source_sha256,
                "source_last_update": outcome.source_last_update or "unknown",
                "origin": acquired.origin,
            },
            data_version=dg.DataVersion(outcome.source_sha256) if outcome.source_sha256 else None,
        )

    return raw_dataset


def _sha256_or_none(path) -> str | None:
    try:
        return sha256_of(path)
    except OSError:
        return None


def _check_live_labels(context: dg.AssetExecutionContext, settings) -> None:
    try:
        problems = check_perception_labels(fetch_indic_ur_labels(settings))
    except DownloadFailed as exc:
        context.log.warning(f"urb_percep: labels not checked ({exc})")
        return
    if problems:
        raise dg.Failure(description=f"raw/urb_percep: {LabelMismatch(problems)}", allow_retries=False)


raw_assets = [build_raw_asset(spec) for spec in load_catalog()]
