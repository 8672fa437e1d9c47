"""The Great Expectations suite over fct_observations finds SYNTHETIC rows that make no statistical sense, and is
wired as an asset check on marts/fct_observations that publish waits for."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from pipelines.warehouse import checks
from pipelines.warehouse.checks import FCT_OBSERVATIONS, validate_in_chunks, validate_observations


def _rows(**changes):
    row = {
        "observation_id": "ok",
        "value": 50.0,
        "ci_low": 45.0,
        "ci_high": 55.0,
        "source_type": "survey",
        "uncertainty_method": "wilson",
        "pct": 50.0,
        "non_pct": None,
    }
    return row | changes


def test_every_rule_names_its_offending_observations():
    frame = pd.DataFrame(
        [
            _rows(),
            _rows(observation_id="pct140", value=140.0, pct=140.0, ci_low=None, ci_high=None),
            _rows(observation_id="negative_rate", value=-3.0, pct=None, non_pct=-3.0, ci_low=None, ci_high=None),
            _rows(observation_id="inverted", ci_low=60.0, ci_high=40.0),
            _rows(observation_id="unknown_source", source_type="blog"),
            _rows(observation_id="unknown_method", uncertainty_method="guess"),
        ]
    )
    outcomes = {rule: (count, sample) for rule, count, sample in validate_observations(frame)}
    assert outcomes["percentages within 0-100"] == (1, ["pct140"])
    assert outcomes["rates and counts not negative"] == (1, ["negative_rate"])
    assert outcomes["interval low <= value"] == (1, ["inverted"])
    assert outcomes["value <= interval high"] == (1, ["inverted"])
    assert outcomes["known source type"] == (1, ["unknown_source"])
    assert outcomes["known uncertainty method"] == (1, ["unknown_method"])


def test_clean_observations_pass_every_rule():
    outcomes = validate_observations(pd.DataFrame([_rows(), _rows(observation_id="b", ci_low=None, ci_high=None)]))
    assert [count for _, count, _ in outcomes] == [0] * 6


def test_frames_checked_one_by_one_add_up_to_the_whole_table():
    offending = [_rows(observation_id=f"pct{i}", value=101.0 + i, pct=101.0 + i) for i in range(7)]
    rows = [_rows(observation_id="ok-first"), *offending[:3], _rows(observation_id="ok-mid"), *offending[3:]]
    whole = validate_observations(pd.DataFrame(rows))
    chunked, seen = validate_in_chunks(pd.DataFrame(rows[i : i + 2]) for i in range(0, len(rows), 2))
    assert seen == len(rows) == 9
    assert chunked == whole
    assert dict((rule, (count, sample)) for rule, count, sample in chunked)["percentages within 0-100"] == (
        7, ["pct0", "pct1", "pct2", "pct3", "pct4"],
    )  # fmt: skip


def test_the_suite_is_an_asset_check_on_fct_observations():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetCheckKey(FCT_OBSERVATIONS, "gx_observations_make_sense")
    assert key in graph.asset_check_keys
    assert key in defs.resolve_job_def("refresh").asset_layer.asset_graph.asset_check_keys


@pytest.mark.parametrize("chunk_rows", [checks.CHUNK_ROWS, 2])
def test_the_check_reads_the_warehouse_and_names_offenders_by_their_observation_id(tmp_path, monkeypatch, chunk_rows):
    """The check builds its frames from DuckDB row ids and categorical text, a batch of rows at a time, then looks
    the sample's ids up: the failures must still name the real observation_id, whether the five rows come as one
    batch or three, and the outcomes land in ops.gx_check_results."""
    monkeypatch.setattr(checks, "CHUNK_ROWS", chunk_rows)
    import duckdb
    from dagster_duckdb import DuckDBResource

    from pipelines.warehouse.checks import gx_observations_make_sense

    path = tmp_path / "warehouse.duckdb"
    rows = [
        ("ok-1", 50.0, 45.0, 55.0, "survey", "wilson", "%"),
        ("SYNTHETIC-pct140", 140.0, None, None, "survey", "wilson", "%"),
        ("ok-2", 3.0, None, None, "eurostat", "not_applicable", "per 100 000 inhabitants"),
        ("SYNTHETIC-negative", -3.0, None, None, "eurostat", "not_applicable", "per 100 000 inhabitants"),
        ("SYNTHETIC-blog", 20.0, None, None, "blog", "none", "%"),
    ]
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.fct_observations (observation_id varchar, value double, ci_low double, "
            "ci_high double, source_type varchar, uncertainty_method varchar, unit varchar)"
        )
        conn.executemany("insert into marts.fct_observations values (?, ?, ?, ?, ?, ?, ?)", rows)
    result = gx_observations_make_sense(DuckDBResource(database=str(path)))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["observations"].value == 5
    assert "percentages within 0-100: 1 observation(s), e.g. SYNTHETIC-pct140" in result.description
    assert "rates and counts not negative: 1 observation(s), e.g. SYNTHETIC-negative" in result.description
    assert "known source type: 1 observation(s), e.g. SYNTHETIC-blog" in result.description
    with duckdb.connect(str(path), read_only=True) as conn:
        recorded = dict(conn.execute("select rule, sample from ops.gx_check_results where unexpected > 0").fetchall())
    assert recorded == {
        "percentages within 0-100": "SYNTHETIC-pct140",
        "rates and counts not negative": "SYNTHETIC-negative",
        "known source type": "SYNTHETIC-blog",
    }


def test_an_empty_observations_table_passes_every_rule(tmp_path):
    import duckdb
    from dagster_duckdb import DuckDBResource

    from pipelines.warehouse.checks import gx_observations_make_sense

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.fct_observations (observation_id varchar, value double, ci_low double, "
            "ci_high double, source_type varchar, uncertainty_method varchar, unit varchar)"
        )
    result = gx_observations_make_sense(DuckDBResource(database=str(path)))
    assert result.passed and result.metadata["observations"].value == 0
    assert result.description == "all 6 rules hold for 0 observations"


def test_the_official_rows_outcome_is_reused_while_their_content_is_the_same(tmp_path, monkeypatch, capsys):
    """A city's upload changes only the cities' rows: the check validates those and reuses the outcome recorded for
    the official rows while their content (every column) and the rules are the same; any change to either makes it
    validate them again. The totals are those of validating the whole table."""
    import duckdb
    from dagster_duckdb import DuckDBResource

    from pipelines.warehouse.checks import gx_observations_make_sense

    path = tmp_path / "warehouse.duckdb"
    official = [
        ("ok-1", 3.0, "eurostat", "per 100 000 inhabitants", True),
        ("SYNTHETIC-official-negative", -3.0, "eurostat", "per 100 000 inhabitants", True),
    ]
    cities = [("SYNTHETIC-city-pct140", 140.0, "city_report", "%", False), ("ok-2", 50.0, "city_report", "%", False)]
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.fct_observations (observation_id varchar, value double, ci_low double, "
            "ci_high double, source_type varchar, uncertainty_method varchar, unit varchar, is_official boolean)"
        )
        conn.executemany(
            "insert into marts.fct_observations values (?, ?, null, null, ?, 'not_applicable', ?, ?)",
            official + cities,
        )

    def check() -> tuple[dg.AssetCheckResult, str]:
        result = gx_observations_make_sense(DuckDBResource(database=str(path)))
        return result, capsys.readouterr().out

    first, log = check()
    assert "4 observations validated" in log and "reused" not in log
    assert result_facts(first) == (4, {"rates and counts not negative": 1, "percentages within 0-100": 1})
    assert "e.g. SYNTHETIC-official-negative" in first.description and "e.g. SYNTHETIC-city-pct140" in first.description

    # A city's rows change: only they are validated; the official rows' outcome is reused, totals as a whole check.
    with duckdb.connect(str(path)) as conn:
        conn.execute("update marts.fct_observations set value = 150 where observation_id = 'ok-2'")
    second, log = check()
    assert "2 observations validated" in log and "the outcome for the 2 official ones" in log and "reused" in log
    assert result_facts(second) == (4, {"rates and counts not negative": 1, "percentages within 0-100": 2})
    assert "e.g. SYNTHETIC-official-negative" in second.description

    # An official row changes (one column only): they are validated again.
    with duckdb.connect(str(path)) as conn:
        conn.execute("update marts.fct_observations set value = 4 where observation_id = 'SYNTHETIC-official-negative'")
    third, log = check()
    assert "4 observations validated" in log and "reused" not in log
    assert result_facts(third) == (4, {"percentages within 0-100": 2})

    # The rules change (their module): validated again, though the rows are the same.
    fourth, log = check()
    assert "reused" in log and result_facts(fourth) == result_facts(third)
    monkeypatch.setattr(checks, "SUITE", "another-suite")
    fifth, log = check()
    assert "4 observations validated" in log and "reused" not in log
    assert result_facts(fifth) == result_facts(third)
    with duckdb.connect(str(path), read_only=True) as conn:
        recorded = conn.execute("select rule, unexpected from ops.gx_check_results where unexpected > 0").fetchall()
    assert ("percentages within 0-100", 2) in recorded  # the health report reads the totals as before


def result_facts(result) -> tuple[int, dict[str, int]]:
    """(observations, {rule: unexpected} of the failed rules) of a check result."""
    counts = {k.removeprefix("unexpected: "): v.value for k, v in result.metadata.items() if k != "observations"}
    return result.metadata["observations"].value, {rule: count for rule, count in counts.items() if count}
