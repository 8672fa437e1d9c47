"""The Dagster asset that loads the survey store's estimates and withdrawals into the raw layer (never microdata):
`raw/city_survey_estimates`, `raw/city_survey_files` and `raw/city_survey_withdrawals`, in one transaction."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import load_settings
from pipelines.surveys.loader import SurveyFolderError, load_surveys
from pipelines.warehouse.connection import warehouse_connection

OWNER = "team:secretariat"
ESTIMATES_KEY = dg.AssetKey(["raw", "city_survey_estimates"])
FILES_KEY = dg.AssetKey(["raw", "city_survey_files"])
WITHDRAWALS_KEY = dg.AssetKey(["raw", "city_survey_withdrawals"])
SURVEY_KEYS = (ESTIMATES_KEY, FILES_KEY, WITHDRAWALS_KEY)
STEP_KEY = "raw_city_surveys"


@dg.multi_asset(
    name=STEP_KEY,
    specs=[
        dg.AssetSpec(
            ESTIMATES_KEY,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description="Every estimate row of every city survey accepted into data/surveys/ (design-based, no "
            "microdata), as text. Idempotent by submission id; loaded with its survey record in one transaction.",
            metadata={"dataset": "city_surveys", "format": "survey store estimates.csv"},
        ),
        dg.AssetSpec(
            FILES_KEY,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description="One row per accepted city survey (its metadata.json: city, period, survey facts, design, "
            "registry rows), with the store folder it is kept in.",
            metadata={"dataset": "city_surveys", "format": "survey store metadata.json"},
        ),
        dg.AssetSpec(
            WITHDRAWALS_KEY,
            group_name="sources",
            kinds={"duckdb"},
            owners=[OWNER],
            description="One row per withdrawn city survey: its estimates leave every mart and the next published "
            "version; this record stays (the audit trail).",
            metadata={"dataset": "city_surveys", "format": "survey store withdrawn.json"},
        ),
    ],
)
def raw_city_surveys(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    settings = load_settings()
    with warehouse_connection(duckdb) as conn:
        try:
            outcome = load_surveys(conn, settings.data_dir)
        except SurveyFolderError as exc:
            raise dg.Failure(
                description=f"raw/city_survey_estimates: {exc}",
                metadata={"folder": exc.folder.name, "reason": exc.reason},
                allow_retries=False,
            ) from None
    context.log.info(f"city_surveys: {outcome.message}")
    metadata = {
        "message": outcome.message,
        "surveys_loaded": len(outcome.loaded),
        "withdrawals_loaded": len(outcome.withdrawn),
        "loaded_ids": ", ".join(outcome.loaded),
    }
    yield dg.MaterializeResult(asset_key=ESTIMATES_KEY, metadata={**metadata, "rows_loaded": outcome.rows})
    yield dg.MaterializeResult(asset_key=FILES_KEY, metadata=metadata)
    yield dg.MaterializeResult(asset_key=WITHDRAWALS_KEY, metadata=metadata)


survey_assets = [raw_city_surveys]
