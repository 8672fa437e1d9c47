"""The health report warns on what changed or broke: a source absent from the snapshot on a fresh install is
information, the same source lost since the previous version is a warning, a failed one an error; known issues of
the source data warn only when they grow; the population labels' matched share is given before and after repair.
The tables are tiny SYNTHETIC stand-ins for the published reports."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.publishing.health import _checks_section, _population_labels_section, _source_sections
from pipelines.sources.catalog import load_catalog

NOW = datetime.now(UTC)


def _freshness(conn, database: str, states: dict[str, str]) -> None:
    conn.execute(f"attach ':memory:' as {database}")
    conn.execute(
        f"create table {database}.main.rpt_source_freshness (source_dataset varchar, last_attempt_status varchar, "
        "last_attempt_message varchar, loaded_at timestamptz)"
    )
    for spec in load_catalog():
        state = states.get(spec.code, "loaded")
        conn.execute(
            f"insert into {database}.main.rpt_source_freshness values (?, ?, ?, ?)",
            [spec.code, state, "boom" if state == "failed" else "", None if state == "not_in_snapshot" else NOW],
        )


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        yield connection


def test_a_fresh_install_without_some_sources_is_ok_and_says_which_live_mode_fetches(conn):
    _freshness(conn, "new", {"urb_cpop1": "not_in_snapshot", "survey_results": "not_in_snapshot"})
    (section,) = _source_sections(conn, "new", None)
    assert section.level == "ok"
    assert "Not in this snapshot, fetched in live mode: urb_cpop1." in section.summary
    assert "provided by cities or institutes: survey_results." in section.summary
    notes = {row[0]: row[4] for row in section.rows}
    assert notes["urb_cpop1"] == "not in this snapshot; live mode fetches it"


def test_a_source_the_previous_version_had_and_this_one_lost_is_a_warning(conn):
    _freshness(conn, "previous", {})
    _freshness(conn, "new", {"crim_gen_reg": "not_in_snapshot", "urb_cpop1": "not_in_snapshot"})
    (section,) = _source_sections(conn, "new", "previous")
    assert section.level == "warning"
    assert "Missing since the previous version: crim_gen_reg, urb_cpop1." in section.summary


def test_a_failed_source_is_an_error(conn):
    _freshness(conn, "new", {"urb_percep": "failed"})
    (section,) = _source_sections(conn, "new", None)
    assert section.level == "error" and "Failed: urb_percep: boom." in section.summary


def _anomalies(conn, database: str, count: int) -> None:
    conn.execute(f"attach ':memory:' as {database}")
    conn.execute(
        f"create table {database}.main.rpt_perception_block_anomalies as select range as id from range({count})"
    )


def test_known_source_data_issues_warn_only_when_they_grow(conn):
    _anomalies(conn, "new", 47)
    assert _checks_section(conn, "new", None).level == "ok"  # first publication: information
    _anomalies(conn, "same", 47)
    assert _checks_section(conn, "new", "same").level == "ok"
    _anomalies(conn, "fewer", 40)
    grown = _checks_section(conn, "new", "fewer")
    assert grown.level == "warning" and grown.rows[0][:3] == ["warn", "rpt_perception_block_anomalies", 47]
    assert "40 in the previous version" in grown.rows[0][3]


def _labels(conn, database: str, methods: list[str | None]) -> None:
    conn.execute(f"attach ':memory:' as {database}")
    conn.execute(
        f"create table {database}.main.rpt_population_label_matches (city_label varchar, match_method varchar, "
        "unmatched_reason varchar, is_matched boolean)"
    )
    for i, method in enumerate(methods):
        conn.execute(
            f"insert into {database}.main.rpt_population_label_matches values (?, ?, ?, ?)",
            [f"label {i}", method, None if method else "no city of that name", method is not None],
        )


def test_the_population_labels_matched_share_is_given_before_and_after_repair(conn):
    _labels(conn, "new", ["exact"] * 6 + ["folded", "repaired", "repaired", None])
    section = _population_labels_section(conn, "new", None)
    assert section.summary.startswith(
        "9 of 10 population labels matched a city code (90.0 %): 7 by name (70.0 % before"
    )
    assert "2 more after repairing labels damaged in the source" in section.summary
    assert section.rows == [["no city of that name", 1]] and section.level == "ok"
    _labels(conn, "before", ["exact"] * 10)
    assert _population_labels_section(conn, "new", "before").level == "warning"  # fewer labels matched than before
