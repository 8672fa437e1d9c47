"""The whole live path, end to end: `sps refresh --mode live` against a local Eurostat/GISCO look-alike on
127.0.0.1 that serves the real snapshot files (read at test time, never copied into the repository).
The downloads land in an empty snapshot folder with their last-update dates, and the published numbers
equal those of the offline refresh of the same files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.fixtures.eurostat_server import EurostatServer

pytestmark = pytest.mark.integration

SERVED = ("urb_percep", "crim_off_cat", "crim_gen_reg")
GISCO = {
    "urau/geojson/URAU_LB_2021_4326_CITIES.geojson": "geo/URAU_LB_2021_4326_CITIES.geojson",
    "nuts/geojson/NUTS_LB_2021_4326.geojson": "geo/NUTS_LB_2021_4326.geojson",
    "nuts/geojson/NUTS_RG_60M_2021_4326_LEVL_0.geojson": "geo/NUTS_RG_60M_2021_4326_LEVL_0.geojson",
    "nuts/geojson/NUTS_RG_60M_2021_4326_LEVL_3.geojson": "geo/NUTS_RG_60M_2021_4326_LEVL_3.geojson",
}


def _published(data_dir: Path) -> duckdb.DuckDBPyConnection:
    name = (data_dir / "published" / "CURRENT").read_text().strip()
    return connect_version(str(data_dir / "published" / name))


def test_live_refresh_downloads_and_publishes_the_same_numbers(tmp_path, snapshot_dir, refreshed_data_dir):
    with EurostatServer() as server:
        for code in SERVED:
            server.datasets[code] = (snapshot_dir / "eurostat" / f"{code}.tsv").read_text(encoding="utf-8")
            server.toc[code] = "15.10.2024"
        for path, local in GISCO.items():
            server.gisco[path] = (snapshot_dir / local).read_bytes()
        # Eurostat's CITIES code list, SYNTHETIC names: it names the register's cities that have none (the Latvian
        # state cities of the 2015 survey) and never renames one that has a name (Riga)
        server.codelists["CITIES"] = "".join(
            [f"LV00{i}C\tSYNTHETIC Latvian city {i}\n" for i in range(2, 10)]
            + ["LV001C\tSYNTHETIC other name of Riga\n", "LV001K\tSYNTHETIC greater city\n"]
        )
        server.script("/sdmx/2.1/data/crim_off_cat", "500")  # one transient failure, retried
        snap, data = tmp_path / "snapshot", tmp_path / "data"
        env = sps_env(
            data,
            snap,
            SPS_MODE="live",
            SPS_EUROSTAT_API=server.url,
            SPS_GISCO_API=f"{server.url}/gisco",
            SPS_HTTP_BUDGET="20",
            SPS_HTTP_TIMEOUT="5",
        )
        result = run_sps(["refresh"], env)
        # the datasets the look-alike does not serve answer 404: failed sources, loudly (exit 3), the rest published
        assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-3000:]
        assert server.hits("/sdmx/2.1/data/crim_off_cat") == 2
        assert all(not host.startswith("ec.europa") for host, _ in server.requests)

    meta = json.loads((snap / "eurostat" / "urb_percep.tsv.gz.meta.json").read_text())
    assert meta["source_last_update"] == "15.10.2024"
    assert (snap / "geo" / "NUTS_LB_2021_4326.geojson").exists()
    # urb_cpop1 (coded) is not served: a failed download with its whole reason, not invented; the others published.
    summary = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert "failed" in summary["urb_cpop1"] and "download failed: 404 not found" in summary["urb_cpop1"]
    assert "not in snapshot" not in result.stdout
    assert "loaded" in summary["urb_percep"] and "urb_percep.tsv.gz" in summary["urb_percep"]

    status = run_sps(["status"], sps_env(data, snap, SPS_MODE="live"))
    assert "Eurostat last update 15.10.2024" in status.stdout
    assert f"live mode, snapshot folder {snap}, Eurostat API {server.url}" in status.stdout  # as it was built
    assert (snap / "codelists" / "eurostat_cities.tsv").exists()

    # The Eurostat datasets; the ONS files have no live source (catalogue: live: none) and stay offline-only.
    query = (
        "select indicator_code, geo_code, period, source_dataset, value from fct_observations "
        "where source_dataset in ('urb_percep', 'crim_off_cat', 'crim_gen_reg') order by all"
    )
    with _published(data) as live, _published(refreshed_data_dir) as offline:
        assert live.execute(query).fetchall() == offline.execute(query).fetchall()
        origins = dict(live.execute("select source_dataset, origin from rpt_source_freshness").fetchall())
    assert origins["urb_percep"] == "live" and origins["crim_gen_reg"] == "live"
    assert origins["eurostat_cities"] == "live"
    with _published(data) as live:
        names = dict(
            live.execute(
                "select geo_code, display_name from dim_geographies where geo_code like 'LV00_C' and is_named"
            ).fetchall()
        )
        ranked = {
            code
            for (code,) in live.execute(
                "select geo_code from city_peer_groups where peer_group = 'country:LV'"
            ).fetchall()
        }
    assert names == {"LV001C": "Riga", **{f"LV00{i}C": f"SYNTHETIC Latvian city {i}" for i in range(2, 10)}}
    assert ranked == set(names)  # named, so in the peer groups again
