"""The Dagster code location loads and its asset graph is the one the design describes."""

from __future__ import annotations

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    import os

    os.environ["SPS_DATA_DIR"] = str(tmp_path_factory.mktemp("defs"))
    from pipelines.warehouse.manifest import ensure_manifest

    ensure_manifest()
    from pipelines.definitions import defs as loaded

    return loaded


def test_definitions_load(defs):
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("refresh") is not None


def test_asset_graph_runs_from_sources_to_publish(defs):
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for raw in (
        "urb_percep",
        "crim_off_cat",
        "crim_gen_reg",
        "urb_cpop1",
        "urb_cpop1_labels",
        "urb_clivcon",
        "ilc_mddw03",
        "sdg_16_20",
        "sdg_16_10",
        "gisco_cities",
        "gisco_nuts",
    ):
        assert f"raw/{raw}" in keys
    marts = {k for k in keys if k.endswith(("fct_observations", "dim_geographies", "dim_indicators"))}
    assert len(marts) == 3
    publish = dg.AssetKey(["publish", "published_snapshot"])
    upstream = {k.to_user_string() for k in graph.get(publish).parent_keys}
    assert {k for k in upstream if k.endswith("fct_observations")}
    # raw/urb_percep feeds the perception staging model
    children = {k.to_user_string() for k in graph.get(dg.AssetKey(["raw", "urb_percep"])).child_keys}
    assert any("stg_eurostat__urb_percep" in k for k in children)


def test_dbt_tests_are_asset_checks(defs):
    """A model's dbt checks are one dbt test (sps_checks, one query) and so one asset check on the model; the
    checks it holds are the single-purpose tests it replaced (issue 21)."""
    import json

    from pipelines.warehouse.manifest import MANIFEST

    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("marts/fct_observations", "checks_fct_observations") in checks
    manifest = json.loads(MANIFEST.read_text())
    test = next(n for n in manifest["nodes"].values() if n["name"] == "checks_fct_observations")
    held = {(c["test"], c.get("column")) for c in test["test_metadata"]["kwargs"]["checks"]}
    assert {("unique", "observation_id"), ("relationships", "geo_code"), ("relationships", "indicator_code")} <= held
    assert "model.sps_monitor.dim_geographies" in test["depends_on"]["nodes"]  # the relationship's parent


def test_groups(defs):
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert {"sources", "staging", "intermediate", "marts", "publish", "catalogues"} <= groups
