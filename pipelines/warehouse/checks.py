"""Great Expectations validation of the harmonised observations, as a Dagster asset check on
`marts/fct_observations` (it shows next to the dbt tests in the UI, and in the health report).

dbt tests guard the model's structure (keys, not-nulls, accepted values per column). This suite checks the
statistical sense of what analysts will read, across columns: percentages within 0-100, rates not negative,
intervals around their estimate, a source type and uncertainty method from the known sets. It warns and never
blocks publishing (publish waits for it so that the health report includes it); each failure names the rule
and a few offending observations.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.shared.gx import answered_by_worker, map_in_worker, stop_worker
from pipelines.warehouse.connection import warehouse_connection
from pipelines.warehouse.observation_rules import SAMPLE, SOURCE_TYPES, UNCERTAINTY_METHODS, validate_observations

__all__ = ["SOURCE_TYPES", "UNCERTAINTY_METHODS", "asset_checks", "validate_in_chunks", "validate_observations"]

FCT_OBSERVATIONS = dg.AssetKey(["marts", "fct_observations"])
# Observations per Great Expectations batch. Every rule looks at one row at a time, so the counts and samples of the
# batches add up to those of one whole-table run. In one frame, 11 M observations at 100x took 2.8 GB (the
# Arrow result, its pandas copy and GX's masks): the largest part of a refresh's peak memory (ADR 0025).
CHUNK_ROWS = 1_000_000


def observation_frames(conn) -> Iterator:
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
    totals: dict[str, tuple[int, list]] = {}
    counted: list[int] = []

    def counting(frames):
        for frame in frames:
            counted.append(len(frame))
            yield frame

    for outcomes in map_in_worker(validate_observations, counting(frames)):
        for rule, count, sample in outcomes:
            seen, named = totals.get(rule, (0, []))
            totals[rule] = (seen + count, named + list(sample[: SAMPLE - len(named)]))
    return [(rule, count, sample) for rule, (count, sample) in totals.items()], sum(counted)


@dg.asset_check(
    asset=FCT_OBSERVATIONS,
    name="gx_observations_make_sense",
    blocking=True,  # with WARN severity it never stops publishing, but publish waits for it (health report)
    description="Great Expectations suite: percentages in 0-100, rates not negative, intervals around their "
    "estimate, known source types and uncertainty methods (pipelines/warehouse/checks.py).",
)
def gx_observations_make_sense(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    answered_before = answered_by_worker()
    with warehouse_connection(duckdb) as conn:
        try:
            outcomes, rows = validate_in_chunks(observation_frames(conn))
        finally:
            stop_worker()  # the refresh's one suite is done: the worker process ends (an idle one at once)
        where = "a worker process" if answered_by_worker() > answered_before else "this process"
        print(f"gx_observations_make_sense: {rows} observations validated in {where}")  # the refresh log
        samples = {int(row) for _, _, sample in outcomes for row in sample}  # GX gives numpy integers
        ids = dict(
            conn.execute(
                "select rowid, observation_id from marts.fct_observations where rowid in (select unnest(?))",
                [sorted(samples)],
            ).fetchall()
            if samples
            else []
        )
    outcomes = [(rule, count, [ids[int(row)] for row in sample]) for rule, count, sample in outcomes]
    checked_at = datetime.now(UTC)
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


asset_checks = [gx_observations_make_sense]
