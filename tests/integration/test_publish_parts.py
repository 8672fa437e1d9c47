"""fct_observations is published as two files, Eurostat's and the other official sources' rows and the cities' rows
(pipelines/publishing/publish.py: TABLE_PARTS, docs/adr/0030): a publish after a change to the cities' rows links
the official part from the previous version and writes only the cities' rows, and its `revisions` are exactly the
cities' added, revised and removed observations; a change to an official row writes that part again and lists it.
The version reads one table either way. Marts of the session's real published version; the city rows are SYNTHETIC
(copies of real rows given a city source type and ids of their own)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from pipelines.publishing.publish import (
    _columns_of_schema,
    _content_fingerprint,
    _content_fingerprints,
    publish_marts,
)
from pipelines.settings import load_settings
from pipelines.versions.connection import connect_version
from pipelines.versions.verify import read_manifest, verify_version
from tests.integration.refresh_control import marts_connection

pytestmark = pytest.mark.integration

OFFICIAL, CITIES = "fct_observations.official", "fct_observations.cities"


def _inode(version, key: str) -> int:
    return (version.path.parent / read_manifest(version.path)["table_files"][key]["file"]).stat().st_ino


def _revisions(version) -> set[tuple]:
    with connect_version(str(version.path)) as conn:
        return set(
            conn.execute(
                "select change, observation_id, old_value, new_value from revisions where to_version = ?",
                [version.version],
            ).fetchall()
        )


def test_a_change_to_the_cities_rows_links_the_official_part_and_revises_only_the_cities_rows(
    tmp_path, refreshed_data_dir
):
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    with marts_connection(refreshed_data_dir) as conn:
        official_rows = conn.execute("select count(*) from marts.fct_observations where is_official").fetchall()[0][0]
        # Three SYNTHETIC city rows: copies of real rows with a city source type and ids of their own.
        conn.execute(
            """insert into marts.fct_observations
               select * replace ('SYNTHETIC-city-' || row_number() over (order by observation_id) as observation_id,
                                 'city_report' as source_type, false as is_official)
               from (select * from marts.fct_observations where is_official order by observation_id limit 3)"""
        )
        first = publish_marts(conn, settings)
        assert set(read_manifest(first.path)["table_files"]) >= {OFFICIAL, CITIES}
        assert "fct_observations" not in read_manifest(first.path)["table_files"]

        # The cities' rows change: one revised, one removed, one added.
        old_value = conn.execute(
            "select value from marts.fct_observations where observation_id = 'SYNTHETIC-city-1'"
        ).fetchall()[0][0]
        conn.execute("update marts.fct_observations set value = value + 1 where observation_id = 'SYNTHETIC-city-1'")
        conn.execute("delete from marts.fct_observations where observation_id = 'SYNTHETIC-city-2'")
        conn.execute(
            "insert into marts.fct_observations select * replace ('SYNTHETIC-city-4' as observation_id) "
            "from marts.fct_observations where observation_id = 'SYNTHETIC-city-3'"
        )
        added_value = conn.execute(
            "select value from marts.fct_observations where observation_id = 'SYNTHETIC-city-4'"
        ).fetchall()[0][0]
        second = publish_marts(conn, settings)
        assert OFFICIAL in second.linked and CITIES not in second.linked and "fct_observations" not in second.linked
        assert _inode(second, OFFICIAL) == _inode(first, OFFICIAL)  # the same file, not a copy
        assert _inode(second, CITIES) != _inode(first, CITIES)
        with connect_version(str(first.path)) as before:
            removed_value = before.execute(
                "select value from fct_observations where observation_id = 'SYNTHETIC-city-2'"
            ).fetchall()[0][0]
        assert _revisions(second) == {
            ("revised", "SYNTHETIC-city-1", old_value, old_value + 1),
            ("removed", "SYNTHETIC-city-2", removed_value, None),
            ("added", "SYNTHETIC-city-4", None, added_value),
        }

        # An official row changes: that part is written again and its revision listed; the cities' part is linked.
        official_id = conn.execute(
            "select observation_id from marts.fct_observations where is_official and value is not null "
            "order by observation_id limit 1"
        ).fetchall()[0][0]
        conn.execute("update marts.fct_observations set value = value * 2 + 1 where observation_id = ?", [official_id])
        third = publish_marts(conn, settings)
        assert CITIES in third.linked and OFFICIAL not in third.linked
        assert _inode(third, OFFICIAL) != _inode(second, OFFICIAL)
        assert {(change, oid) for change, oid, _, _ in _revisions(third)} == {("revised", official_id)}

        # Nothing changes: every part linked, and the table named as linked.
        fourth = publish_marts(conn, settings)
        assert {OFFICIAL, CITIES, "fct_observations"} <= set(fourth.linked)
        assert _revisions(fourth) == set()

        expected = conn.execute("select count(*) from marts.fct_observations").fetchall()[0][0]
    assert fourth.tables["fct_observations"] == expected == official_rows + 3
    for version in (first, second, third, fourth):
        assert verify_version(version.path, deep=True).state == "intact"
    with connect_version(str(fourth.path)) as published:
        assert published.execute("select count(*) from fct_observations").fetchall()[0][0] == expected
        assert published.execute("select count(*) from revisions").fetchall()[0][0] == 4  # the history travels on


def test_a_version_published_as_one_file_is_followed_by_one_in_parts(tmp_path, refreshed_data_dir, monkeypatch):
    """A data folder whose current version was published before the parts (one fct_observations file): the next
    publish writes both parts and compares the whole table for revisions."""
    from pipelines.publishing import publish

    settings = replace(load_settings(), data_dir=tmp_path / "data")
    with marts_connection(refreshed_data_dir) as conn:
        monkeypatch.setattr(publish, "TABLE_PARTS", {})  # as before the parts
        old = publish_marts(conn, settings)
        assert "fct_observations" in read_manifest(old.path)["table_files"]
        monkeypatch.undo()
        revised = conn.execute(
            "update marts.fct_observations set value = value + 1 where observation_id = "
            "(select min(observation_id) from marts.fct_observations where is_official and value is not null) "
            "returning observation_id"
        ).fetchall()[0][0]
        new = publish_marts(conn, settings)
    assert {OFFICIAL, CITIES} <= set(read_manifest(new.path)["table_files"]) and OFFICIAL not in new.linked
    assert {(change, oid) for change, oid, _, _ in _revisions(new)} == {("revised", revised)}
    assert verify_version(new.path, deep=True).state == "intact"


def test_the_marts_fingerprinted_in_one_query_are_fingerprinted_as_each_alone(refreshed_data_dir):
    """publish compares every mart with the previous version's by a content fingerprint, all of them in one query;
    each must be the fingerprint of that table alone (the digest the previous versions' manifests hold), and a
    changed row must change its own table's fingerprint and no other."""
    with marts_connection(refreshed_data_dir) as conn:
        columns = _columns_of_schema(conn, "marts")
        relations = {table: f'marts."{table}"' for table in columns}
        assert len(relations) > 20 and "fct_observations" in relations
        together = _content_fingerprints(conn, relations, columns)
        assert together == {table: _content_fingerprint(conn, relation) for table, relation in relations.items()}
        # the digest as versions' manifests have held it since ADR 0024, written out here on purpose
        for table in ("fct_observations", "dim_geographies"):
            described = conn.execute(f"select column_name, column_type from (describe marts.{table})").fetchall()
            rows, total, xor = conn.execute(
                f"select count(*), coalesce(sum(h), 0), coalesce(bit_xor(h), 0) "
                f"from (select hash(*columns(*)) as h from marts.{table})"
            ).fetchall()[0]
            digest = hashlib.sha256(json.dumps([described, rows, str(total), str(xor)]).encode()).hexdigest()
            assert together[table] == (digest, rows)

        conn.execute(
            "update marts.fct_observations set value = value + 1 "
            "where observation_id = (select min(observation_id) from marts.fct_observations where value is not null)"
        )
        after = _content_fingerprints(conn, relations, columns)
        assert after["fct_observations"] != together["fct_observations"]
        assert after["fct_observations"][1] == together["fct_observations"][1]  # the same rows, one value changed
        assert {t: f for t, f in after.items() if t != "fct_observations"} == {
            t: f for t, f in together.items() if t != "fct_observations"
        }
