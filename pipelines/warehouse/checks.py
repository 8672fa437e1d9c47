"""Great Expectations validation of the harmonised observations, as a Dagster asset check on
`marts/fct_observations` (it shows next to the dbt tests in the UI, and in the health report).

dbt tests guard the model's structure (keys, not-nulls, accepted values per column). This suite checks the
statistical sense of what analysts will read, across columns: percentages within 0-100, rates not negative,
intervals around their estimate, a source type and uncertainty method from the known sets. It warns and never
blocks publishing (publish waits for it so that the health report includes it); each failure names the rule
and a few offending observations.
"""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.shared.gx import answered_by_worker, map_in_worker, stop_worker
from pipelines.warehouse import observation_rules
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.observation_rules import SAMPLE, SOURCE_TYPES, UNCERTAINTY_METHODS, validate_observations

__all__ = ["SOURCE_TYPES", "UNCERTAINTY_METHODS", "asset_checks", "validate_in_chunks", "validate_observations"]

FCT_OBSERVATIONS = dg.AssetKey(["marts", "fct_observations"])
# Observations per Great Expectations batch. Every rule looks at one row at a time, so the counts and samples of the
# batches add up to those of one whole-table run. In one frame, 11 M observations at 100x took 2.8 GB (the
# Arrow result, its pandas copy and GX's masks): the largest part of a refresh's peak memory (ADR 0025).
CHUNK_ROWS = 1_000_000
# The two parts validated apart: the official sources' rows, whose outcome is recorded (ops.gx_check_parts) and reused
# by a later check while their content is the same (a city's upload changes only the cities' rows: ADR 0029, 0031),
# and the cities' rows, validated every time. A table without `is_official` (a test's hand-made warehouse) is
# validated whole.
OFFICIAL, CITIES = ("official", "is_official"), ("cities", "not is_official")
# What an outcome was found by: the rules' own module and its fingerprint of the rows, so a changed rule is never
# answered by an outcome recorded under the old one.
SUITE = hashlib.sha256(Path(observation_rules.__file__).read_bytes()).hexdigest()[:16]


def observation_frames(conn, where: str | None = None) -> Iterator:
    """The columns the suite reads, as pandas frames of at most CHUNK_ROWS rows, cheap to build at scale: DuckDB's
    row id stands in for observation_id (the sample's ids are looked up afterwards) and the two text columns are
    categorical. Building one frame with observation_id and plain strings took 9 s of the check's 15 s at 100x
    (11 M observations; benchmarks/findings.py). A table without rows gives one empty frame."""
    import pyarrow as pa
    import pyarrow.compute as pc

    reader = conn.sql(  # a relation's Arrow batches are the rows as DuckDB made them; a DB-API result copies them
        """select rowid as observation_id, value, ci_low, ci_high, source_type, uncertainty_method,
                  case when unit like '%\\%%' escape '\\' then value end as pct,
                  case when unit not like '%\\%%' escape '\\' then value end as non_pct
           from marts.fct_observations"""
        + (f" where {where}" if where else "")
    ).to_arrow_reader(batch_size=CHUNK_ROWS)
    empty = True
    for batch in reader:
        empty = False
        table = pa.Table.from_batches([batch])
        for name in ("source_type", "uncertainty_method"):
            table = table.set_column(table.schema.get_field_index(name), name, pc.dictionary_encode(table[name]))
        yield table.to_pandas()
    if empty:
        yield reader.schema.empty_table().to_pandas()


def validate_in_chunks(frames) -> tuple[list[tuple[str, int, list]], int]:
    """validate_observations over each frame, added up: (rule, unexpected count, first sample) and the rows seen.
    Each frame is validated in the Great Expectations worker process when the refresh started one
    (pipelines/shared/gx.py: start_worker), while the next one is read; else here."""
    counted: list[int] = []

    def counting(frames):
        for frame in frames:
            counted.append(len(frame))
            yield frame

    return _added(list(map_in_worker(validate_observations, counting(frames)))), sum(counted)


@dg.asset_check(
    asset=FCT_OBSERVATIONS,
    name="gx_observations_make_sense",
    blocking=True,  # with WARN severity it never stops publishing, but publish waits for it (health report)
    description="Great Expectations suite: percentages in 0-100, rates not negative, intervals around their "
    "estimate, known source types and uncertainty methods (pipelines/warehouse/checks.py).",
)
def gx_observations_make_sense(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    answered_before = answered_by_worker()
    checked_at = datetime.now(UTC)
    with warehouse_connection(duckdb) as conn:
        # The official sources' rows are validated again only when their content changed since they last were.
        official = _fingerprint(conn, OFFICIAL[1]) if _has_parts(conn) else None
        reused = _recorded_outcome(conn, official) if official else None
        parts = [None] if official is None else [CITIES] if reused else [OFFICIAL, CITIES]
        validated, rows = [], 0
        try:
            for part in parts:
                found, seen = validate_in_chunks(observation_frames(conn, part[1] if part else None))
                validated.append(_with_observation_ids(conn, found))
                rows += seen
                if part == OFFICIAL:
                    _record_official(conn, checked_at, official, validated[-1], seen)
        finally:
            stop_worker()  # the refresh's one suite is done: the worker process ends (an idle one at once)
        where = "a worker process" if answered_by_worker() > answered_before else "this process"
        print(  # the refresh log
            f"gx_observations_make_sense: {rows} observations validated in {where}"
            + (
                f"; the outcome for the {reused[1]} official ones, unchanged since their last check, reused"
                if reused
                else ""
            )
        )
    if reused:
        validated.append(reused[0])
        rows += reused[1]
    outcomes = _added(validated)
    with warehouse_connection(duckdb) as conn:  # kept for the health report of the version about to be published
        conn.execute("create schema if not exists ops")
        conn.execute(
            "create table if not exists ops.gx_check_results (recorded_at timestamptz, check_name varchar, "
            "rule varchar, unexpected bigint, sample varchar)"
        )
        conn.executemany(
            "insert into ops.gx_check_results values (?, 'gx_observations_make_sense', ?, ?, ?)",
            [(checked_at, rule, count, ", ".join(sample)) for rule, count, sample in outcomes],
        )
    failed = [(rule, count, sample) for rule, count, sample in outcomes if count]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(
            f"{rule}: {count} observation(s), e.g. {', '.join(sample)}" for rule, count, sample in failed
        )
        or f"all {len(outcomes)} rules hold for {rows} observations",
        metadata={
            "observations": rows,
            **{f"unexpected: {rule}": count for rule, count, _ in outcomes},
        },
    )


def _with_observation_ids(conn, outcomes: list[tuple[str, int, list]]) -> list[tuple[str, int, list[str]]]:
    """The sample's DuckDB row ids (the frames carry them instead of observation_id) looked up."""
    samples = {int(row) for _, _, sample in outcomes for row in sample}  # GX gives numpy integers
    ids = dict(
        conn.execute(
            "select rowid, observation_id from marts.fct_observations where rowid in (select unnest(?))",
            [sorted(samples)],
        ).fetchall()
        if samples
        else []
    )
    return [(rule, count, [ids[int(row)] for row in sample]) for rule, count, sample in outcomes]


def _added(outcomes: list[list[tuple[str, int, list]]]) -> list[tuple[str, int, list]]:
    """The outcomes of disjoint sets of rows (frames, parts) as one: counts added, samples joined up to SAMPLE."""
    totals: dict[str, tuple[int, list]] = {}
    for found in outcomes:
        for rule, count, sample in found:
            seen, named = totals.get(rule, (0, []))
            totals[rule] = (seen + count, named + list(sample[: SAMPLE - len(named)]))
    return [(rule, count, sample) for rule, (count, sample) in totals.items()]


def _has_parts(conn) -> bool:
    columns = {row[0] for row in conn.execute("select column_name from (describe marts.fct_observations)").fetchall()}
    return "is_official" in columns


def _fingerprint(conn, where: str) -> str:
    """The rows' content (every column; the sum and XOR of a 64-bit hash of each row, as publish fingerprints a
    table) and the suite's: the same rows checked by the same rules give the same outcome."""
    rows, total, xor = conn.execute(
        f"select count(*), coalesce(sum(h), 0), coalesce(bit_xor(h), 0) "
        f"from (select hash(*columns(*)) as h from marts.fct_observations where {where})"
    ).fetchall()[0]
    return f"{SUITE}:{rows}:{total}:{xor}"


def _recorded_outcome(conn, fingerprint: str) -> tuple[list, int] | None:
    """(outcomes, rows) recorded when rows of this fingerprint were last validated; None if never (or the record is
    gone): they are validated again."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'gx_check_parts' "
        "and table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return None
    recorded = conn.execute(
        "select rule, unexpected, sample, observations from ops.gx_check_parts where part = ? and fingerprint = ?",
        [OFFICIAL[0], fingerprint],
    ).fetchall()
    if not recorded:
        return None
    return [(rule, count, [s for s in sample.split(", ") if s]) for rule, count, sample, _ in recorded], recorded[0][3]


def _record_official(conn, checked_at: datetime, fingerprint: str, found: list, rows: int) -> None:
    """The official rows' outcome with their fingerprint, for a later check to reuse (ops.gx_check_parts)."""
    conn.execute("create schema if not exists ops")
    conn.execute(
        "create table if not exists ops.gx_check_parts (recorded_at timestamptz, part varchar, fingerprint varchar, "
        "observations bigint, rule varchar, unexpected bigint, sample varchar)"
    )
    conn.execute("delete from ops.gx_check_parts where part = ?", [OFFICIAL[0]])  # only the latest is ever reused
    conn.executemany(
        "insert into ops.gx_check_parts values (?, ?, ?, ?, ?, ?, ?)",
        [(checked_at, OFFICIAL[0], fingerprint, rows, rule, count, ", ".join(sample)) for rule, count, sample in found],
    )


asset_checks = [gx_observations_make_sense]
