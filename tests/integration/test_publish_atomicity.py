"""A refresh whose only change is a broken source file (here: truncated) leaves the published version exactly
as it was and names the file and line; repaired, the next refresh recovers. (A broken file among other changes:
tests/integration/test_faults.py.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipelines.versions.connection import search_published_folder
from tests.conftest import run_sps, sps_env
from tests.integration.refresh_control import copy_baseline

pytestmark = pytest.mark.integration


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_refresh_keeps_the_published_version(tmp_path, snapshot_dir, refreshed_data_dir):
    data, snap = copy_baseline(refreshed_data_dir, snapshot_dir, tmp_path)  # a published version to keep
    pointer = data / "published" / "CURRENT"
    before_pointer = pointer.read_text()
    published_file = data / "published" / before_pointer.strip()
    before_sha = _sha(published_file)

    # Truncate crim_off_cat mid-row: line 101 loses its last cells.
    lines = (snapshot_dir / "eurostat" / "crim_off_cat.tsv").read_text().splitlines(keepends=True)
    broken = snap / "eurostat" / "crim_off_cat.tsv"
    broken.unlink()
    broken.write_text("".join(lines[:100]) + lines[100].split("\t")[0] + "\t12 \t13 ")

    second = run_sps(["refresh"], sps_env(data, snap))
    assert second.returncode == 4  # the only source to refresh failed: nothing could be refreshed
    message = second.stderr
    assert "crim_off_cat.tsv" in message and "line 101" in message
    assert "Traceback" not in message and "Stack Trace" not in message
    assert "still served" in message
    assert pointer.read_text() == before_pointer
    assert _sha(published_file) == before_sha
    assert not [p for p in (data / "published").iterdir() if p.name.startswith(".")]

    status = run_sps(["status"], sps_env(data, snap))
    lines_by_dataset = {line.split()[0]: line for line in status.stdout.splitlines() if line.startswith("  ")}
    assert "failed" in lines_by_dataset["crim_off_cat"]
    # only crim_off_cat changed, so nothing else was re-read; urb_percep keeps its first load
    assert "loaded 20" in lines_by_dataset["urb_percep"]

    assert "last refresh:     ERROR" in status.stdout and "(exit 4)" in status.stdout

    # Repair the file: the next refresh recovers without manual cleanup. The repaired file is the one the published
    # version was built from, so nothing changed: no new version (issue 23), and the error is cleared.
    broken.unlink()
    broken.symlink_to(snapshot_dir / "eurostat" / "crim_off_cat.tsv")
    third = run_sps(["refresh"], sps_env(data, snap))
    assert third.returncode == 0, third.stderr[-2000:]
    assert "raw/crim_off_cat (repaired since it failed)" in third.stdout
    assert f"nothing changed since published version {before_pointer.strip().removesuffix('.duckdb')}" in third.stdout
    assert pointer.read_text() == before_pointer and _sha(published_file) == before_sha
    status = run_sps(["status"], sps_env(data, snap))
    assert "failed" not in next(line for line in status.stdout.splitlines() if line.startswith("  crim_off_cat"))
    assert "last refresh:     ERROR" not in status.stdout


def test_publish_keeps_the_last_five_versions(tmp_path, refreshed_data_dir):
    import duckdb

    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings
    from pipelines.versions.store import list_versions

    settings = load_settings()
    from dataclasses import replace

    settings = replace(settings, data_dir=tmp_path / "data", published_keep=5)
    current = (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    source = refreshed_data_dir / "published" / current
    with duckdb.connect() as conn:
        search_published_folder(conn, source.parent)  # its views name their table files relative to that folder
        conn.execute(f"attach '{source}' as src (read_only)")
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_indicators as select * from src.dim_indicators")
        versions = [publish_marts(conn, settings).version for _ in range(7)]
    kept = [p.stem for p in list_versions(settings.published_dir)]
    assert kept == versions[-5:]
    assert (settings.published_dir / "CURRENT").read_text().strip() == f"{versions[-1]}.duckdb"


def test_publish_without_marts_fails_and_leaves_pointer(tmp_path):
    from dataclasses import replace

    import duckdb

    from pipelines.errors import PublishError
    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings

    settings = replace(load_settings(), data_dir=tmp_path / "data")
    settings.published_dir.mkdir(parents=True)
    (settings.published_dir / "CURRENT").write_text("previous.duckdb\n")
    with duckdb.connect() as conn, pytest.raises(PublishError, match="no tables in schema"):
        publish_marts(conn, settings)
    assert (settings.published_dir / "CURRENT").read_text() == "previous.duckdb\n"


def test_publish_refuses_an_empty_warehouse_and_skips_unchanged_inputs(tmp_path, refreshed_data_dir):
    """Two refusals that keep a failure from passing for success (issue 23): marts without one observation are
    never published, and a refresh (skip_unchanged) whose inputs equal the current version's publishes nothing."""
    import json
    from dataclasses import replace

    from pipelines.publishing.publish import EmptyWarehouse, publish_marts
    from pipelines.settings import load_settings
    from pipelines.versions.verify import read_manifest, verify_version
    from tests.integration.refresh_control import marts_connection

    settings = replace(load_settings(), data_dir=tmp_path / "data")
    with marts_connection(refreshed_data_dir) as conn:
        first = publish_marts(conn, settings, skip_unchanged=True)
        again = publish_marts(conn, settings, skip_unchanged=True)
        assert again.unchanged and again.version == first.version and not again.tables
        manifest = read_manifest(first.path)
        assert manifest["tables"]["fct_observations"] == first.tables["fct_observations"]
        assert manifest["files"][first.path.name]["sha256"] and manifest["inputs_fingerprint"]
        assert verify_version(first.path, deep=True).state == "intact"
        conn.execute("delete from marts.fct_observations")
        with pytest.raises(EmptyWarehouse, match="nothing was published: the warehouse holds no observations"):
            publish_marts(conn, settings)
    assert sorted(p.name for p in settings.published_dir.iterdir()) == sorted(
        [first.path.name, f"{first.version}.manifest.json", f"{first.version}.tables", "CURRENT"]
    )
    assert (
        json.loads((settings.published_dir / f"{first.version}.manifest.json").read_text())["version"] == first.version
    )
