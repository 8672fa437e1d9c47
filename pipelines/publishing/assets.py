"""The publish step as Dagster assets: `publish/published_snapshot` (copy the marts into a new read-only version
and swap CURRENT) and `publish/health_report` (write that version's health report to data/reports/health/)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.publishing.health import write_health_files
from pipelines.publishing.publish import publish_marts
from pipelines.settings import load_settings
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.dbt_assets import sps_dbt_assets

# Publish waits for every model of the marts folder (the translator's "marts" group).
MART_KEYS = [key for key, group in sps_dbt_assets.group_names_by_key.items() if group == "marts"]


@dg.asset(
    key=["publish", "published_snapshot"],
    group_name="publish",
    kinds={"duckdb"},
    owners=["team:secretariat"],
    deps=MART_KEYS,
    description="Copies the marts into a new read-only file under data/published/ with its manifest (sha256, row "
    "counts, commit, inputs' fingerprint) and swaps the CURRENT pointer atomically. Readers only ever open the "
    "published file. Publishes nothing when the marts hold no observation (the step fails) or were built from "
    "exactly the inputs of the intact current version.",
)
def published_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with warehouse_connection(duckdb) as conn:
        publication = publish_marts(conn, load_settings(), skip_unchanged=True)
    if publication.unchanged:
        context.log.info(f"nothing changed since published version {publication.version}: no new version")
        return dg.MaterializeResult(metadata={"version": publication.version, "unchanged": True})
    context.log.info(f"published version {publication.version}")
    return dg.MaterializeResult(
        metadata={
            "version": publication.version,
            "file": publication.path.name,
            "unchanged": False,
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


publish_assets = [published_snapshot, health_report]
