"""DuckDB's memory during a refresh is capped by SPS_DUCKDB_MEMORY_LIMIT (1.5GB by default), on both connections that
write the warehouse: the assets' (pipelines/warehouse/connection.py) and dbt's (dbt_project/profiles.yml). A value
DuckDB could not read is refused in one line before anything runs."""

from __future__ import annotations

import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.settings import DUCKDB_MEMORY_LIMIT_DEFAULT, load_settings
from pipelines.warehouse.connection import warehouse_connection
from tests.conftest import refused_in_one_line


def _as_duckdb_reports(value: str) -> str:
    """What `current_setting('memory_limit')` says after `set memory_limit = value` (DuckDB rewrites the unit)."""
    with duckdb.connect() as conn:
        conn.execute(f"set memory_limit = '{value}'")
        return conn.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_assets_connection_to_the_warehouse_uses_the_limit(tmp_path, monkeypatch):
    resource = DuckDBResource(database=str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("SPS_DUCKDB_MEMORY_LIMIT", raising=False)
    with warehouse_connection(resource) as conn:
        default = conn.execute("select current_setting('memory_limit')").fetchone()[0]
    assert default == _as_duckdb_reports(DUCKDB_MEMORY_LIMIT_DEFAULT)
    with duckdb.connect() as plain:  # DuckDB's own default (80 % of the machine) is something else
        assert plain.execute("select current_setting('memory_limit')").fetchone()[0] != default
    monkeypatch.setenv("SPS_DUCKDB_MEMORY_LIMIT", "300MB")
    with warehouse_connection(resource) as conn:
        assert conn.execute("select current_setting('memory_limit')").fetchone()[0] == _as_duckdb_reports("300MB")


def test_dbt_connection_to_the_warehouse_uses_the_limit(tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    from pipelines.warehouse.dbt_inprocess import DBT_PROJECT_DIR

    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPS_DUCKDB_MEMORY_LIMIT", "700MB")
    settings = load_settings()
    settings.ensure_dirs()
    settings.export_env()
    result = dbtRunner().invoke(
        ["show", "--inline", "select current_setting('memory_limit') as memory_limit", "--output", "json",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(settings.dbt_target_dir), "--log-path", str(settings.dbt_target_dir),
         "--log-level", "none", "--no-write-json"]
    )  # fmt: skip
    assert result.success, result.exception
    [row] = result.result.results[0].agate_table.rows
    assert row[0] == _as_duckdb_reports("700MB")


@pytest.mark.parametrize("value", ["lots", "2 gigs", "-1GB", "2000000000"])
def test_a_memory_limit_duckdb_cannot_read_is_one_line(tmp_path, value):
    assert "2GB" in refused_in_one_line(tmp_path, "SPS_DUCKDB_MEMORY_LIMIT", value)
