"""Public-space uploads through spaces.api (token, inbox or quarantine) and their load into the raw layer at
refresh time: nothing of a rejected file is ever loaded. SYNTHETIC shapes and audits (shapes.py)."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.settings import load_settings
from pipelines.spaces import api, store
from pipelines.spaces.load import load_public_space
from pipelines.uploads.tokens import TokenRejected, issue_upload_token
from tests.fixtures.private import opened
from tests.unit.spaces.shapes import geojson, rect, space
from tests.unit.spaces.test_audits import audit, csv_bytes

CITY = "ES003C"
KM = 1000.0


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    return load_settings()


@pytest.fixture
def token(settings):
    return issue_upload_token(settings.data_dir, CITY)[1]


def districts_file() -> bytes:
    return geojson(
        (rect(0, 0, 500, KM), {"codi": "w", "nom": "West", "population": 1000}),
        (rect(500, 0, 500, KM), {"codi": "e", "nom": "East", "population": 2000}),
    )


def upload_districts(settings, token):
    mapping = api.LayerMapping.from_options(["codi=district_code", "nom=name"])
    return api.submit_space_upload(districts_file(), "d.geojson", CITY, token, "districts", settings, mapping=mapping)


def test_a_clean_layer_goes_to_the_inbox_and_a_bad_one_to_quarantine(settings, token):
    result = upload_districts(settings, token)
    assert result.accepted and result.items == 2
    folder = store.inbox_dir(settings) / result.submission_id
    assert sorted(p.name for p in folder.iterdir()) == ["features.geojson", "metadata.json", "original.geojson"]
    # what the city sent is sealed at rest (ADR 0021); what the refresh reads stays plain
    assert b"West" not in (folder / "original.geojson").read_bytes()
    assert (
        opened(folder / "original.geojson") == districts_file()
        and b"West" in (folder / "features.geojson").read_bytes()
    )
    metadata = json.loads((folder / "metadata.json").read_text())
    assert (metadata["kind"], metadata["city_code"], metadata["mapping"]["columns"]["codi"]) == (
        "districts",
        CITY,
        "district_code",
    )
    bad = geojson((rect(3 * KM, 0, 100, 100), space("far")), (rect(100, 100, 50, 50), space("p", kind="forest")))
    rejected = api.submit_space_upload(bad, "s.geojson", CITY, token, "open-spaces", settings)
    assert not rejected.accepted and {p.rule for p in rejected.errors} == {"outside_boundary", "value_not_allowed"}
    quarantined = store.quarantine_dir(settings) / rejected.submission_id
    assert opened(quarantined / "report.csv").decode().count("\n") == 3  # header + 2 problems (sealed at rest)
    assert [s.submission_id for s in store.accepted_submissions(settings)] == [result.submission_id]


def test_open_spaces_and_audits_need_a_boundary_first(settings, token):
    spaces = geojson((rect(100, 100, 100, 100), space("p")))
    result = api.submit_space_upload(spaces, "s.geojson", CITY, token, "open-spaces", settings)
    assert not result.accepted
    assert "has no accepted boundary or districts yet" in result.errors[0].message
    result = api.submit_audit_upload(csv_bytes([audit("a", 100, 100)]), "a.csv", CITY, token, settings)
    assert not result.accepted and result.errors[0].rule == "no_boundary"


def test_a_token_of_another_city_and_a_bad_city_code(settings, token):
    with pytest.raises(TokenRejected, match="this token is for ES003C, not ES002C"):
        api.submit_space_upload(districts_file(), "d.geojson", "ES002C", token, "districts", settings)
    with pytest.raises(Exception, match="is not an Urban Audit city code"):
        api.submit_space_upload(districts_file(), "d.geojson", "Valencia", token, "districts", settings)


def test_check_only_stores_nothing(settings, token):
    result = api.submit_space_upload(districts_file(), "d.geojson", CITY, token, "districts", settings, check_only=True)
    assert not result.accepted  # no mapping: district_code missing
    assert not store.inbox_dir(settings).exists() and not store.quarantine_dir(settings).exists()


def test_load_computes_every_city_table_and_never_reads_the_quarantine(settings, token):
    upload_districts(settings, token)
    spaces = geojson(
        (rect(350, 500, 100, 100), space("park-1")),
        (rect(700, 100, 100, 50), space("garden-1", "garden")),
    )
    accepted = api.submit_space_upload(spaces, "s.geojson", CITY, token, "open-spaces", settings, period="2025")
    assert accepted.accepted, [str(p) for p in accepted.problems]
    bad_spaces = geojson((rect(100, 100, 100, 100), space("bad-1")), (rect(100, 300, 100, 100), space("bad-1")))
    assert not api.submit_space_upload(bad_spaces, "b.geojson", CITY, token, "open-spaces", settings).accepted
    audits = api.submit_audit_upload(
        csv_bytes([audit("park-1", 400, 550), audit("w2", 100, 100, "after_dark", 1)]), "a.csv", CITY, token, settings
    )
    assert audits.accepted, [str(p) for p in audits.problems]
    bad_audits = api.submit_audit_upload(csv_bytes([audit("zz", 100, 100, lighting=7)]), "a.csv", CITY, token, settings)
    assert not bad_audits.accepted

    with duckdb.connect() as conn:
        outcome = load_public_space(conn, settings)
        assert outcome.submissions == 3 and len(outcome.new_submissions) == 3
        share = dict(
            conn.execute(
                "select geo_code, value from raw.public_space_observations "
                "where indicator_code = 'open_public_space_share'"
            ).fetchall()
        )
        assert share == pytest.approx({CITY: 1.5, f"{CITY}:w": 2.0, f"{CITY}:e": 1.0}, rel=1e-4)
        periods = {r[0] for r in conn.execute("select distinct period from raw.public_space_observations").fetchall()}
        assert "2025" in periods
        ids = {r[0] for r in conn.execute("select feature_id from raw.public_space_features").fetchall()}
        assert {"park-1", "garden-1", "w", "e", "districts"} <= ids
        assert "bad-1" not in ids
        sites = {r[0] for r in conn.execute("select site_id from raw.public_space_audit_sites").fetchall()}
        assert sites == {"park-1", "w2"}
        lineage = conn.execute(
            "select lineage_id from raw.public_space_observations where indicator_code = 'audit_count' "
            "and geo_code = ? and breakdown is null",
            [CITY],
        ).fetchall()[0][0]
        assert lineage.startswith(f"safety_audit/{audits.submission_id}/{CITY}/")
        notes = {r[0] for r in conn.execute("select note from raw.public_space_observations").fetchall()}
        assert not any("SYNTHETIC" in (n or "") for n in notes)  # test shapes are unnamed: no label
        again = load_public_space(conn, settings)
        assert again.new_submissions == () and again.observations == outcome.observations
        assert conn.execute("select count(*) from raw.public_space_submissions").fetchall()[0][0] == 3
