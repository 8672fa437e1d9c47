"""Loading the survey store's estimates into the raw layer (never its microdata):

    data/surveys/submissions/<id>/metadata.json  -> raw.city_survey_files        one row per accepted survey
    data/surveys/submissions/<id>/estimates.csv  -> raw.city_survey_estimates    every estimate row, as text
    data/surveys/submissions/<id>/withdrawn.json -> raw.city_survey_withdrawals  one row per withdrawal

Idempotent by submission id, append-only like every raw table (docs/adr/0004): a survey loaded once is never read
again, and a withdrawal is a new row, so the warehouse keeps the audit trail while dbt leaves withdrawn surveys out
of every mart (and so of the next published version). All new folders load in one transaction, or none does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.errors import SpsError
from pipelines.surveys import store
from pipelines.surveys.estimate import OUTPUT_SCHEMA
from pipelines.warehouse.raw import LoadOutcome, ensure_raw_schema, record_status, rollback

DATASET = "city_surveys"
REQUIRED_METADATA = ("submission_id", "city_code", "uploaded_at", "sha256", "period", "estimate_rows")


class SurveyFolderError(SpsError):
    def __init__(self, folder: Path, reason: str) -> None:
        self.folder, self.reason = Path(folder), reason
        self.hint = (
            "Nothing from the survey store was loaded. Move the folder out of data/surveys/submissions (the city can "
            "upload the survey again) or restore it, then refresh again."
        )
        super().__init__(f"survey folder {self.folder.name}: {reason}.")


@dataclass(frozen=True)
class SurveyLoadOutcome:
    loaded: tuple[str, ...]
    withdrawn: tuple[str, ...]
    rows: int

    @property
    def message(self) -> str:
        if not self.loaded and not self.withdrawn:
            return "nothing new in the survey store"
        return f"loaded {len(self.loaded)} survey(s), {self.rows} estimate rows; {len(self.withdrawn)} withdrawal(s)"


def ensure_survey_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """The three raw tables, created empty so dbt builds the survey models before any survey arrives."""
    ensure_raw_schema(conn)
    columns = ", ".join(f'"{column}" varchar' for column in OUTPUT_SCHEMA)
    conn.execute(
        f"create table if not exists raw.city_survey_estimates (submission_id varchar not null, "
        f"source_row bigint not null, {columns}, loaded_at timestamptz not null)"
    )
    conn.execute(
        """create table if not exists raw.city_survey_files (
               submission_id varchar primary key, city_code varchar not null, token_id varchar,
               uploaded_at varchar not null, original_filename varchar, sha256 varchar not null, format varchar,
               module varchar, period varchar not null, survey_json varchar, design_json varchar,
               achieved_n bigint, estimate_rows bigint not null, warnings_json varchar, registry_json varchar,
               store_path varchar not null, loaded_at timestamptz not null)"""
    )
    conn.execute(
        """create table if not exists raw.city_survey_withdrawals (
               submission_id varchar primary key, city_code varchar not null, token_id varchar,
               withdrawn_at varchar not null, loaded_at timestamptz not null)"""
    )


def _ids(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ? "
        "and table_catalog = current_database()",
        [table],
    ).fetchall()[0][0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute(f"select submission_id from raw.{table}").fetchall()}


def loaded_survey_ids(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """What the warehouse holds (works read-only): loaded submissions and loaded withdrawals."""
    return {
        "submissions": sorted(_ids(conn, "city_survey_files")),
        "withdrawn": sorted(_ids(conn, "city_survey_withdrawals")),
    }


def pending_surveys(data_dir: Path, loaded: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(submissions not loaded yet, withdrawals not loaded yet) in the store."""
    submissions = [s for s in store.submission_ids(data_dir) if s not in set(loaded.get("submissions", []))]
    withdrawals = [s for s in store.withdrawn_ids(data_dir) if s not in set(loaded.get("withdrawn", []))]
    return submissions, withdrawals


def _metadata(folder: Path) -> dict:
    try:
        metadata = json.loads((folder / store.METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SurveyFolderError(folder, f"{store.METADATA_FILE} cannot be read ({exc})") from None
    if not isinstance(metadata, dict):
        raise SurveyFolderError(folder, f"{store.METADATA_FILE} is not a JSON object")
    missing = [key for key in REQUIRED_METADATA if metadata.get(key) in (None, "")]
    if missing:
        raise SurveyFolderError(folder, f"{store.METADATA_FILE} lacks {', '.join(missing)}")
    if metadata["submission_id"] != folder.name:
        raise SurveyFolderError(folder, f"{store.METADATA_FILE} names another submission")
    return metadata


def _load_estimates(conn, folder: Path, metadata: dict, loaded_at: datetime) -> int:
    path = folder / store.ESTIMATES_FILE
    if not path.is_file():
        raise SurveyFolderError(folder, f"{store.ESTIMATES_FILE} is missing")
    try:
        conn.execute(
            "create or replace temp table _incoming_estimates as select * from read_csv(?, all_varchar = true, "
            "header = true, delim = ',', quote = '\"', escape = '\"')",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise SurveyFolderError(folder, f"{store.ESTIMATES_FILE} cannot be read ({str(exc).splitlines()[0]})") from None
    have = [row[0] for row in conn.execute("select column_name from (describe _incoming_estimates)").fetchall()]
    if have != list(OUTPUT_SCHEMA):
        raise SurveyFolderError(folder, f"{store.ESTIMATES_FILE} has the columns {have}, not {list(OUTPUT_SCHEMA)}")
    rows = conn.execute("select count(*) from _incoming_estimates").fetchall()[0][0]
    if rows != metadata["estimate_rows"]:
        expected = metadata["estimate_rows"]
        raise SurveyFolderError(
            folder, f"{store.ESTIMATES_FILE} has {rows} rows, {store.METADATA_FILE} says {expected}"
        )
    columns = ", ".join(f'"{c}"' for c in OUTPUT_SCHEMA)
    conn.execute(
        f"insert into raw.city_survey_estimates select ?, row_number() over (), {columns}, ? from _incoming_estimates",
        [metadata["submission_id"], loaded_at],
    )
    conn.execute("drop table _incoming_estimates")
    return rows


def load_surveys(conn: duckdb.DuckDBPyConnection, data_dir: Path) -> SurveyLoadOutcome:
    ensure_survey_tables(conn)
    submissions, withdrawals = pending_surveys(data_dir, loaded_survey_ids(conn))
    if not submissions and not withdrawals:
        outcome = SurveyLoadOutcome((), (), 0)
        record_status(conn, LoadOutcome(DATASET, "unchanged", outcome.message, origin="survey store"))
        return outcome
    loaded_at = datetime.now(UTC)
    base = store.submissions_dir(data_dir)
    total, current = 0, base
    conn.execute("begin transaction")
    try:
        for submission_id in submissions:
            current = base / submission_id
            metadata = _metadata(current)
            withdrawn = (current / store.WITHDRAWN_FILE).exists()
            # A survey withdrawn before any refresh loaded it: its record is loaded, its estimates are gone.
            if not withdrawn:
                total += _load_estimates(conn, current, metadata, loaded_at)
            conn.execute(
                "insert into raw.city_survey_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    submission_id,
                    metadata["city_code"],
                    metadata.get("token_id"),
                    metadata["uploaded_at"],
                    metadata.get("original_filename"),
                    metadata["sha256"],
                    metadata.get("format"),
                    metadata.get("module"),
                    metadata["period"],
                    json.dumps(metadata.get("survey") or {}, default=str),
                    json.dumps(metadata.get("design") or {}, default=str),
                    metadata.get("achieved_n"),
                    0 if withdrawn else metadata["estimate_rows"],
                    json.dumps(metadata.get("warnings") or [], default=str),
                    json.dumps(metadata.get("registry") or [], default=str),
                    current.relative_to(data_dir).as_posix(),
                    loaded_at,
                ],
            )
        for submission_id in withdrawals:
            current = base / submission_id
            try:
                record = json.loads((current / store.WITHDRAWN_FILE).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise SurveyFolderError(current, f"{store.WITHDRAWN_FILE} cannot be read ({exc})") from None
            conn.execute(
                "insert into raw.city_survey_withdrawals values (?, ?, ?, ?, ?)",
                [submission_id, record.get("city_code"), record.get("token_id"), record["withdrawn_at"], loaded_at],
            )
        outcome = SurveyLoadOutcome(tuple(submissions), tuple(withdrawals), total)
        record_status(conn, LoadOutcome(DATASET, "loaded", outcome.message, rows=total, origin="survey store"))
        conn.execute("commit")
    except SurveyFolderError as exc:
        rollback(conn)
        record_status(conn, LoadOutcome(DATASET, "failed", str(exc), source_file=exc.folder.name))
        raise
    except (duckdb.Error, KeyError) as exc:
        rollback(conn)
        error = SurveyFolderError(current, f"loading failed ({str(exc).splitlines()[0] if str(exc) else exc!r})")
        record_status(conn, LoadOutcome(DATASET, "failed", str(error), source_file=current.name))
        raise error from exc
    except BaseException:
        rollback(conn)
        raise
    return outcome
