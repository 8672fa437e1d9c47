"""The Dagster assets that load the upload inbox into the raw layer: `raw/city_submissions` (every row) and
`raw/city_submission_files` (one row per submission), written together in one transaction."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings
from pipelines.uploads.dropbox import process_drop_folder
from pipelines.uploads.inbox_loader import InboxFolderError, load_inbox
from pipelines.warehouse.connection import warehouse_connection

OWNER = "team:secretariat"
ROWS_KEY = dg.AssetKey(["raw", "city_submissions"])
FILES_KEY = dg.AssetKey(["raw", "city_submission_files"])


@dg.multi_asset(
    name="raw_city_submissions",
    specs=[
        dg.AssetSpec(
            ROWS_KEY,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description="Every row of every city upload accepted into data/inbox/ (ADR 0008), as text, with "
            "loaded_at. Idempotent by submission_id; all new folders load in one transaction or none does.",
            metadata={"dataset": "city_submissions", "format": "inbox rows.csv"},
        ),
        dg.AssetSpec(
            FILES_KEY,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description="One row per city upload accepted into data/inbox/ (its metadata.json) with the inbox "
            "folder it is archived in. Written in the same transaction as raw/city_submissions.",
            metadata={"dataset": "city_submissions", "format": "inbox metadata.json"},
        ),
    ],
)
def raw_city_submissions(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    settings = load_settings()
    settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    for dropped in process_drop_folder(settings):  # sps refresh also takes the secretariat's drop folder
        context.log.info(f"drop folder: {dropped.submission_id} {'accepted' if dropped.accepted else 'rejected'}")
    with warehouse_connection(duckdb) as conn:
        try:
            outcome = load_inbox(conn, settings.inbox_dir, settings.data_dir)
        except InboxFolderError as exc:
            raise dg.Failure(
                description=f"raw/city_submissions: {exc}",
                metadata={"folder": exc.folder.name, "reason": exc.reason},
                allow_retries=False,
            ) from None
    context.log.info(f"city_submissions: {outcome.message}")
    metadata = {
        "message": outcome.message,
        "submissions_loaded": len(outcome.loaded),
        "submissions_loaded_before": outcome.already_loaded,
        "loaded_ids": ", ".join(outcome.loaded),
    }
    yield dg.MaterializeResult(asset_key=ROWS_KEY, metadata={**metadata, "rows_loaded": outcome.rows})
    yield dg.MaterializeResult(asset_key=FILES_KEY, metadata=metadata)


upload_assets = [raw_city_submissions]
