"""The Dagster asset that turns the public-space inbox into the raw layer (pipelines/spaces/load.py): the
submission register, the indicator rows, the map layer and the audit sites, written together in one transaction."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings
from pipelines.spaces.load import PublicSpaceLoadError, load_public_space
from pipelines.warehouse.connection import warehouse_connection

OWNER = "team:secretariat"
TABLES = {
    "public_space_submissions": "One row per accepted public-space or audit upload (data/public_space/inbox/).",
    "public_space_observations": "SDG 11.7.1, its companions and the audit indicators of every city, recomputed "
    "from the latest accepted layers and every audit (tidy rows for fct_observations, no geometry).",
    "public_space_features": "The map layer: boundary, districts, open spaces and streets as GeoJSON text.",
    "public_space_audit_sites": "One row per audited site and year: audits and mean figures by day and after dark.",
}
KEYS = {name: dg.AssetKey(["raw", name]) for name in TABLES}


@dg.multi_asset(
    name="raw_public_space",
    specs=[
        dg.AssetSpec(
            key,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description=TABLES[name],
            metadata={"dataset": "public_space", "format": "public-space inbox"},
        )
        for name, key in KEYS.items()
    ],
)
def raw_public_space(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    settings = load_settings()
    with warehouse_connection(duckdb) as conn:
        try:
            outcome = load_public_space(conn, settings)
        except PublicSpaceLoadError as exc:
            raise dg.Failure(description=f"raw/public_space: {exc}", allow_retries=False) from None
    context.log.info(f"public_space: {outcome.message}")
    for key in KEYS.values():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"message": outcome.message, "new_submissions": ", ".join(outcome.new_submissions)},
        )


space_assets = [raw_public_space]
