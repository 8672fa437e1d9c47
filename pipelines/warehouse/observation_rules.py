"""The Great Expectations rules over the harmonised observations (what pipelines/warehouse/checks.py runs as an asset
check). Kept apart from the check's Dagster wiring so that the worker process validating them (pipelines/shared/gx.py:
start_worker) imports this module and Great Expectations only, not Dagster."""

from pipelines.shared.gx import run_suite

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

    outcomes = run_suite(frame, "fct_observations", build, ["observation_id"], partial_count=SAMPLE)
    return [(rule, len(hits), [hit["observation_id"] for hit in hits[:SAMPLE]]) for rule, hits in outcomes]


SAMPLE = 5  # offending observations named per rule
