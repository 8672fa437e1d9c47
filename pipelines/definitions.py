"""The Dagster code location: assembles assets, checks, jobs, schedules, sensors and resources. Logic lives in
the domain packages (docs/architecture.md)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.backup.assets import backup_assets, backup_checks, backup_job
from pipelines.operations.schedules import schedules
from pipelines.operations.sensors import sensors
from pipelines.publishing.assets import publish_assets
from pipelines.settings import load_settings
from pipelines.sources.assets import raw_assets
from pipelines.spaces.assets import space_assets
from pipelines.surveys.assets import survey_assets
from pipelines.uploads.assets import upload_assets
from pipelines.warehouse.checks import asset_checks
from pipelines.warehouse.dbt_assets import sps_dbt_assets

settings = load_settings()
settings.ensure_dirs()
settings.export_env()

refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("backup"),
    description="Ingest every source, build and test the dbt models, publish the marts. Schedules and sensors "
    "launch it for the changed sources only (pipelines/publishing/plan.py).",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[
        *raw_assets,
        *upload_assets,
        *survey_assets,
        *space_assets,
        sps_dbt_assets,
        *publish_assets,
        *backup_assets,
    ],
    asset_checks=[*asset_checks, *backup_checks],
    jobs=[refresh_job, backup_job],
    schedules=schedules,
    sensors=sensors,
    resources={
        "duckdb": DuckDBResource(database=str(settings.warehouse_path)),
    },
    executor=dg.in_process_executor,
)
