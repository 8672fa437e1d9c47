"""dbt models, seeds and tests as Dagster assets and asset checks, grouped by dbt folder; dbt runs in this
process (pipelines/warehouse/dbt_inprocess.py)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings
from pipelines.shared.gx import start_worker as start_gx_worker
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.dbt_inprocess import BuildOutcome, DbtBuildFailed, stream_build
from pipelines.warehouse.partial import dbt_args_for
from pipelines.warehouse.project import dbt_project


class SpsDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "catalogues"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in ("staging", "intermediate", "marts"):
            if layer in fqn:
                return layer
        return None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:secretariat"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=SpsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def sps_dbt_assets(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    # The run's asset selection becomes dbt's `--select` (dagster-dbt's own translation), so a refresh planned
    # from the changed sources (pipelines/publishing/plan.py) builds and tests only the models that depend on
    # them; the other models keep their tables from the last build. dbt runs in this process
    # (pipelines/warehouse/dbt_inprocess.py: no second interpreter, no parse, no JSON artifacts).
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=context.op.tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    if indirect:
        selection = [*selection, "--indirect-selection", indirect]
    selection = [*selection, *dbt_args_for(context.run.tags)]  # a refresh of city uploads alone: partial.py
    target = load_settings().dbt_target_dir
    start_gx_worker()  # GX imported in a process of its own while dbt builds, for the GX check that follows
    outcome = None
    for item in stream_build(selection, target, log=print):  # print: the refresh log (cli.py redirects stdout)
        if isinstance(item, BuildOutcome):
            outcome = item
            continue
        yield from DbtCoreCliEventMessage(raw_event=item, event_history_metadata={}).to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=translator, context=context, target_path=target, project=project
        )
    record_test_results(outcome, duckdb)
    if not outcome.success:
        raise DbtBuildFailed(outcome.describe_failure())


def record_test_results(outcome: BuildOutcome, duckdb: DuckDBResource) -> int:
    """Keep every dbt test outcome of this build in ops.dbt_test_results (append-only) for the health report. A
    model's checks are one test (dbt_project/macros/test_sps_checks.sql): when it does not pass, its message names
    each failing check and its rows, from the same query run again."""
    tests = [result for result in outcome.results if result.unique_id.startswith("test.")]
    with warehouse_connection(duckdb) as conn:
        rows = [
            (
                outcome.invocation_id,
                outcome.generated_at,
                result.unique_id,
                result.unique_id.split(".")[2],
                result.status,
                result.failures,
                _failing_checks(conn, result)[:500],
            )
            for result in tests
        ]
        conn.execute("create schema if not exists ops")
        conn.execute(
            """create table if not exists ops.dbt_test_results (invocation_id varchar, recorded_at timestamptz,
               unique_id varchar, name varchar, status varchar, failures bigint, message varchar)"""
        )
        if rows:  # one statement: DuckDB's executemany runs one per row (22 rows: 19 ms against 3 ms)
            placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
            conn.execute(f"insert into ops.dbt_test_results values {placeholders}", [v for row in rows for v in row])
    return len(rows)


def _failing_checks(conn, result) -> str:
    """dbt's message, or for a model's grouped checks that did not pass: "check: N row(s); ..." """
    if (
        result.status in ("pass", "success", "skipped")
        or not result.compiled_code
        or "failed_check" not in result.compiled_code
    ):
        return result.message or ""
    try:
        failing = conn.execute(
            f"select failed_check, failing_rows from ({result.compiled_code}) order by failed_check"
        ).fetchall()
    except Exception:  # noqa: BLE001 - the test's own message still says it failed
        return result.message or ""
    return "; ".join(f"{check}: {rows} row(s)" for check, rows in failing) or (result.message or "")
