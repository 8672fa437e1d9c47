"""dbt models, seeds and tests as Dagster assets and asset checks, grouped by dbt folder."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.project import dbt_project


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
def sps_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()
