"""The Dagster code location: assembles assets, checks, jobs and resources. Logic lives elsewhere."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import operations
from pipelines.checks import asset_checks
from pipelines.dbt_assets import SpsDbtCliResource, sps_dbt_assets
from pipelines.project import dbt_project
from pipelines.publish import publish_marts
from pipelines.settings import dbt_executable, load_settings
from pipelines.sources.assets import raw_assets
from pipelines.uploads.assets import upload_assets
from pipelines.uploads.sensors import upload_sensors

settings = load_settings()
settings.ensure_dirs()
settings.export_env()

# Publish waits for every model of the marts folder (the translator's "marts" group).
MART_KEYS = [key for key, group in sps_dbt_assets.group_names_by_key.items() if group == "marts"]


@dg.asset(
    key=["publish", "published_snapshot"],
    group_name="publish",
    kinds={"duckdb"},
    owners=["team:secretariat"],
    deps=MART_KEYS,
    description="Copies the marts into a new read-only file under data/published/ and swaps the "
    "CURRENT pointer atomically. Readers only ever open the published file.",
)
def published_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as conn:
        publication = publish_marts(conn, load_settings())
    context.log.info(f"published version {publication.version}")
    return dg.MaterializeResult(
        metadata={
            "version": publication.version,
            "file": publication.path.name,
            **{f"rows.{name}": count for name, count in publication.tables.items()},
        }
    )


@dg.asset(
    key=["publish", "health_report"],
    group_name="publish",
    kinds={"markdown", "html"},
    owners=["team:secretariat"],
    deps=[published_snapshot],
    description="The health report of the version just published (what changed, revisions, missing, stale and "
    "failed sources, check warnings, uploads), written to data/reports/health/<version>.md and .html. The "
    "dashboard's Data quality page shows the same report from inside the published file.",
)
def health_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from pipelines.health import write_health_files

    written = write_health_files(load_settings())
    return dg.MaterializeResult(
        metadata={
            "version": written.version,
            "status": written.status,
            "markdown_file": dg.MetadataValue.path(str(written.markdown_path)),
            "html_file": dg.MetadataValue.path(str(written.html_path)),
            "report": dg.MetadataValue.md(written.markdown),
        }
    )


refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest every source, build and test the dbt models, publish the marts. Schedules and sensors "
    "launch it for the changed sources only (pipelines/changes.py).",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*raw_assets, *upload_assets, sps_dbt_assets, published_snapshot, health_report],
    asset_checks=asset_checks,
    jobs=[refresh_job],
    schedules=operations.schedules,
    sensors=[*upload_sensors, *operations.sensors],
    resources={
        "duckdb": DuckDBResource(database=str(settings.warehouse_path)),
        "dbt": SpsDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            target="dev",
            dbt_executable=dbt_executable(),
        ),
    },
    executor=dg.in_process_executor,
)
