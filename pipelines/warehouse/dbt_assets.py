"""dbt models, seeds and tests as Dagster assets and asset checks, grouped by dbt folder."""

import importlib
import importlib.metadata
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource
from packaging import version

from pipelines.settings import load_settings
from pipelines.shared.gx import warm_up as warm_up_gx
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.project import dbt_project


class SpsDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, minus one `dbt --version` subprocess per run (1.3 s on this machine): the dbt
    executable is the one installed beside this interpreter (settings.dbt_executable), so its version is the
    installed dbt-core package's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        """No in-process dbt adapter. dagster-dbt builds one before starting dbt only to serve
        `fetch_column_metadata()` / `fetch_row_counts()`, which this project does not call; building it cost
        6.3 s per refresh (profiled, benchmarks/findings.py), 3.5 s of it in dbt_common's behaviour flags calling
        `inspect.stack()` under Dagster's deep stack. dbt itself still runs as the usual subprocess."""
        return None


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
def sps_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    # dagster-dbt turns the selected subset of assets into `--select`, so a refresh planned from the changed
    # sources (pipelines/publishing/plan.py) builds and tests only the models that depend on them.
    # A stable target folder per data folder (not dagster-dbt's fresh one per run) keeps dbt's
    # partial_parse.msgpack between runs: about 3 s less per refresh on this project.
    target = load_settings().dbt_target_dir
    warm_up_gx()  # imported while dbt builds (a subprocess), for the GX check that follows
    invocation = dbt.cli(["build"], context=context, target_path=target)
    yield from invocation.stream()
    record_test_results(invocation.get_artifact("run_results.json"), duckdb)


def record_test_results(run_results: Mapping[str, Any], duckdb: DuckDBResource) -> int:
    """Keep every dbt test outcome of this build in ops.dbt_test_results (append-only) for the health report."""
    invocation_id = run_results.get("metadata", {}).get("invocation_id", "")
    generated_at = run_results.get("metadata", {}).get("generated_at")
    rows = [
        (
            invocation_id,
            generated_at,
            result["unique_id"],
            result["unique_id"].split(".")[2],
            result["status"],
            result.get("failures"),
            (result.get("message") or "")[:500],
        )
        for result in run_results.get("results", [])
        if result.get("unique_id", "").startswith("test.")
    ]
    with warehouse_connection(duckdb) as conn:
        conn.execute("create schema if not exists ops")
        conn.execute(
            """create table if not exists ops.dbt_test_results (invocation_id varchar, recorded_at timestamptz,
               unique_id varchar, name varchar, status varchar, failures bigint, message varchar)"""
        )
        if rows:
            conn.executemany("insert into ops.dbt_test_results values (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
