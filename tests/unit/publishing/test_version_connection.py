"""Opening a version: relative table file names resolve in the version's own folder, wherever it is."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.errors import SpsError
from pipelines.versions.connection import connect_version, search_published_folder


def _version(folder):
    """A FIXTURE version: one view over a table file named relative to its folder, as publish writes it."""
    folder.mkdir(parents=True)
    (folder / "v.tables").mkdir()
    with duckdb.connect() as conn:
        conn.execute(f"copy (select 42 as answer) to '{folder / 'v.tables' / 't.parquet'}' (format parquet)")
        search_published_folder(conn, folder)
        conn.execute(f"attach '{folder / 'v.duckdb'}' as v")
        conn.execute("create view v.main.t as select * from read_parquet('v.tables/t.parquet')")
    return folder / "v.duckdb"


def test_a_version_reads_its_table_files_from_its_own_folder_and_a_bare_connection_does_not(tmp_path):
    version = _version(tmp_path / "published")
    moved = tmp_path / "elsewhere" / "published"
    moved.parent.mkdir()
    (tmp_path / "published").rename(moved)
    with connect_version(moved / version.name) as conn:
        assert conn.execute("select answer from t").fetchall() == [(42,)]
    with duckdb.connect(str(moved / version.name), read_only=True) as bare, pytest.raises(duckdb.IOException):
        bare.execute("select answer from t").fetchall()


def test_a_published_folder_with_a_comma_is_refused_in_one_sentence(tmp_path):
    version = _version(tmp_path / "plain" / "published")
    (tmp_path / "plain").rename(tmp_path / "a,b")
    with pytest.raises(SpsError, match=r"contains a comma, which DuckDB cannot search: set SPS_DATA_DIR"):
        connect_version(tmp_path / "a,b" / "published" / version.name)


def test_publishing_into_a_folder_with_a_comma_is_refused_before_anything_is_written(tmp_path):
    from dataclasses import replace

    from pipelines.publishing.publish import publish_marts
    from pipelines.settings import load_settings

    settings = replace(load_settings(), data_dir=tmp_path / "data,2026")
    with duckdb.connect() as conn, pytest.raises(SpsError, match="contains a comma"):
        publish_marts(conn, settings)
    assert not settings.published_dir.exists()
