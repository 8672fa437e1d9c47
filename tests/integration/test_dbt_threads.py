"""dbt builds with SPS_DBT_THREADS threads (2 by default, pipelines/settings.py -> dbt_project/profiles.yml): nodes
that do not depend on each other are built side by side inside the one writing process. A value that is not a
whole number of threads is refused in one line before anything runs."""

from __future__ import annotations

import pytest

from pipelines.settings import DBT_THREADS_DEFAULT, load_settings
from tests.conftest import refreshed_copy, refused_in_one_line


def _threads_used(data_dir, monkeypatch, threads: str | None) -> set[str]:
    """The threads dbt built the staging views on, in the data folder `data_dir` (its warehouse is refreshed)."""
    from dbt.cli.main import dbtRunner

    from pipelines.warehouse.dbt_inprocess import DBT_PROJECT_DIR

    monkeypatch.setenv("SPS_DATA_DIR", str(data_dir))
    if threads is None:
        monkeypatch.delenv("SPS_DBT_THREADS", raising=False)
    else:
        monkeypatch.setenv("SPS_DBT_THREADS", threads)
    settings = load_settings()
    settings.export_env()
    result = dbtRunner().invoke(
        ["run", "--select", "path:models/staging", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(settings.dbt_target_dir),
         "--log-path", str(settings.dbt_target_dir), "--log-level", "none", "--no-write-json"]
    )  # fmt: skip
    assert result.success, result.exception
    assert len(result.result.results) > 10  # the staging views: none depends on another
    return {node.thread_id for node in result.result.results}


def test_dbt_builds_independent_nodes_on_the_configured_threads(refreshed_data_dir, tmp_path, monkeypatch):
    data = refreshed_copy(refreshed_data_dir, tmp_path / "data")
    assert DBT_THREADS_DEFAULT == 2
    assert len(_threads_used(data, monkeypatch, None)) == 2
    assert len(_threads_used(data, monkeypatch, "1")) == 1
    assert len(_threads_used(data, monkeypatch, "3")) == 3


@pytest.mark.parametrize(
    ("value", "says"),
    [("many", "whole number of threads"), ("2.5", "whole number"), ("0", "at least 1"), ("500", "at most 64")],
)
def test_a_thread_count_it_cannot_use_is_refused_in_one_line(tmp_path, value, says):
    assert says in refused_in_one_line(tmp_path, "SPS_DBT_THREADS", value)
