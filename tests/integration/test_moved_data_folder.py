"""A data folder moved, copied or restored elsewhere still reads: a version's views name their table files relative
to the published folder (ADR 0024), so nothing in a version points back at the folder it was published in."""

from __future__ import annotations

import shutil

import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env

pytestmark = pytest.mark.integration


def test_a_moved_data_folder_reads_verifies_and_exports_without_a_rebuild(refreshed_data_dir, tmp_path):
    first = tmp_path / "first"
    shutil.copytree(refreshed_data_dir, first, symlinks=True)
    moved = tmp_path / "moved"
    shutil.copytree(first, moved, symlinks=True)
    for path in sorted(first.rglob("*"), reverse=True):  # the folder it came from is gone
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(first)

    published = moved / "published"
    name = (published / "CURRENT").read_text().strip()
    with connect_version(published / name) as conn:
        views = [sql for (sql,) in conn.execute("select sql from duckdb_views() where not internal").fetchall()]
        observations = conn.execute("select count(*) from fct_observations").fetchall()[0][0]
    assert views and observations > 100_000
    assert not [sql for sql in views if str(refreshed_data_dir) in sql or str(tmp_path) in sql]

    env = sps_env(moved)
    verify = run_sps(["publish", "--verify"], env)
    assert verify.returncode == 0 and "DAMAGED" not in verify.stdout + verify.stderr, verify.stdout + verify.stderr
    status = run_sps(["status"], env)
    assert status.returncode == 0 and "DAMAGED" not in status.stdout, status.stdout
    export = run_sps(["export", "observations", "--out", str(tmp_path / "obs.csv")], env)
    assert export.returncode == 0 and f"wrote {observations} rows" in export.stdout, export.stderr
    assert "damaged" not in export.stderr.lower()
