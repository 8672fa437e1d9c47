"""Great Expectations validation of the harmonised observations, as a Dagster asset check on
`marts/fct_observations` (it shows next to the dbt tests in the UI, and in the health report).

dbt tests guard the model's structure (keys, not-nulls, accepted values per column). This suite checks the
statistical sense of what analysts will read, across columns: percentages within 0-100, rates not negative,
intervals around their estimate, a source type and uncertainty method from the known sets. It warns and never
blocks publishing (publish waits for it so that the health report includes it); each failure names the rule
and a few offending observations.
"""

from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.shared.gx import run_suite
from pipelines.warehouse.connection import warehouse_connection

FCT_OBSERVATIONS = dg.AssetKey(["marts", "fct_observations"])
SOURCE_TYPES = [
    "eurostat",
    "survey",
    "city_report",
    "city_survey",
    "national_statistics",
    "city_inventory",
    "city_audit",
]
UNCERTAINTY_METHODS = ["published", "wilson", "taylor_linearisation", "none", "not_applicable", "bootstrap_sites"]


def validate_observations(frame) -> list[tuple[str, int, list]]:
    """Run the suite over the observations; returns (rule, unexpected count, sample of observation ids)."""

    def build(gxe):
        return [
            ("percentages within 0-100", gxe.ExpectColumnValuesToBeBetween(column="pct", min_value=0, max_value=100)),
            ("rates and counts not negative", gxe.ExpectColumnValuesToBeBetween(column="non_pct", min_value=0)),
            (
                "interval low <= value",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="value", column_B="ci_low", or_equal=True, ignore_row_if="either_value_is_missing"
                ),
            ),
            (
                "value <= interval high",
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="ci_high", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing"
                ),
            ),
            ("known source type", gxe.ExpectColumnValuesToBeInSet(column="source_type", value_set=SOURCE_TYPES)),
            (
                "known uncertainty method",
                gxe.ExpectColumnValuesToBeInSet(column="uncertainty_method", value_set=UNCERTAINTY_METHODS),
            ),
        ]

    outcomes = run_suite(frame, "fct_observations", build, ["observation_id"], partial_count=5)
    return [(rule, len(hits), [hit["observation_id"] for hit in hits[:5]]) for rule, hits in outcomes]


def observations_frame(conn):
    """The columns the suite reads, as a pandas frame that is cheap to build at scale: DuckDB's row id stands in
    for observation_id (the sample's ids are looked up afterwards) and the two text columns are categorical.
    Building the frame with observation_id and plain strings took 9 s of the check's 15 s at 100x
    (11 M observations; benchmarks/findings.py)."""
    import pyarrow.compute as pc

    table = conn.sql(  # a relation's Arrow result is the rows as DuckDB made them; a DB-API result copies them
        """select rowid as observation_id, value, ci_low, ci_high, source_type, uncertainty_method,
                  case when unit like '%\\%%' escape '\\' then value end as pct,
                  case when unit not like '%\\%%' escape '\\' then value end as non_pct
           from marts.fct_observations"""
    ).to_arrow_table()
    for name in ("source_type", "uncertainty_method"):
        table = table.set_column(table.schema.get_field_index(name), name, pc.dictionary_encode(table[name]))
    return table.to_pandas()


@dg.asset_check(
    asset=FCT_OBSERVATIONS,
    name="gx_observations_make_sense",
    blocking=True,  # with WARN severity it never stops publishing, but publish waits for it (health report)
    description="Great Expectations suite: percentages in 0-100, rates not negative, intervals around their "
    "estimate, known source types and uncertainty methods (pipelines/warehouse/checks.py).",
)
def gx_observations_make_sense(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with warehouse_connection(duckdb) as conn:
        frame = observations_frame(conn)
        outcomes = validate_observations(frame)
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
        or f"all {len(outcomes)} rules hold for {len(frame)} observations",
        metadata={
            "observations": len(frame),
            **{f"unexpected: {rule}": count for rule, count, _ in outcomes},
        },
    )


asset_checks = [gx_observations_make_sense]
