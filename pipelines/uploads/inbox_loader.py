"""Loading accepted city submissions from the inbox into the raw layer (docs/adr/0008-upload-inbox-contract.md).

    data/inbox/<submission_id>/{metadata.json, rows.csv, original.<ext>}
        -> raw.city_submission_files   one row per submission (its metadata.json)
        -> raw.city_submissions        every row of its rows.csv, all text, plus loaded_at

Loading is idempotent by submission_id: a folder whose id is already in raw.city_submission_files is never read
again, so the inbox stays the archive of what was sent. Every folder not yet loaded is checked against the
contract and loaded inside one DuckDB transaction: a malformed folder fails the whole load, names itself, and
leaves the raw tables exactly as they were.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import fsspec

from pipelines.errors import SpsError
from pipelines.settings import pause_for_tests
from pipelines.uploads.inbox import OPTIONAL_ROW_COLUMNS
from pipelines.uploads.inbox import ROW_COLUMNS as INBOX_ROW_COLUMNS
from pipelines.vault import VaultError, read_private
from pipelines.warehouse.raw import LoadOutcome, ensure_raw_schema, record_status, rollback

DATASET = "city_submissions"
METADATA_FILE = "metadata.json"
ROWS_FILE = "rows.csv"
# The columns of rows.csv, as the inbox contract (ADR 0008) names them: one definition, shared with the writer.
ROW_COLUMNS = tuple(INBOX_ROW_COLUMNS)
REQUIRED_METADATA = ("submission_id", "city_code", "uploaded_at", "sha256", "format", "row_count")


class InboxFolderError(SpsError):
    """An inbox folder cannot be loaded as a submission (the writer broke the contract, or a person edited it)."""

    def __init__(self, folder: Path, reason: str) -> None:
        self.folder, self.reason = Path(folder), reason
        self.hint = (
            "Nothing from the inbox was loaded. Move the folder out of the inbox (the upload can be sent "
            "again) or restore it from its original file, then refresh again."
        )
        super().__init__(f"inbox folder {self.folder.name}: {reason}.")


@dataclass(frozen=True)
class InboxSubmission:
    """One accepted submission as its inbox folder describes it."""

    submission_id: str
    folder: Path
    city_code: str
    token_id: str | None
    uploaded_at: str
    original_filename: str | None
    sha256: str
    format: str
    mapping_json: str | None
    row_count: int
    warnings_json: str


@dataclass(frozen=True)
class InboxLoadOutcome:
    loaded: tuple[str, ...]  # submission ids loaded by this call, in order
    rows: int
    already_loaded: int  # inbox folders skipped because their id was loaded before

    @property
    def message(self) -> str:
        if not self.loaded:
            return f"nothing new in the inbox ({self.already_loaded} submission(s) loaded before)"
        return f"loaded {len(self.loaded)} submission(s), {self.rows} rows, from the inbox"


def inbox_submission_ids(inbox_dir: Path) -> list[str]:
    """Every submission folder in the inbox, sorted (ids sort by upload time). Names starting with '.' are
    folders still being written (`.<id>.tmp`) or hidden files, and plain files are not submissions."""
    if not inbox_dir.is_dir():
        return []
    return sorted(p.name for p in inbox_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def ensure_city_submission_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create both raw tables (empty) so dbt builds the city models before any upload arrives."""
    ensure_raw_schema(conn)
    # target sheets' columns (ADR 0018) are there before any target arrives: stg_city__targets reads them
    columns = ", ".join(f'"{column}" varchar' for column in (*ROW_COLUMNS, *OPTIONAL_ROW_COLUMNS))
    conn.execute(f"create table if not exists raw.city_submissions ({columns}, loaded_at timestamptz)")
    for column in OPTIONAL_ROW_COLUMNS:  # a warehouse made before target sheets existed
        conn.execute(f'alter table raw.city_submissions add column if not exists "{column}" varchar')
    conn.execute(
        """create table if not exists raw.city_submission_files (
               submission_id varchar primary key, city_code varchar not null, token_id varchar,
               uploaded_at varchar not null, original_filename varchar, sha256 varchar not null,
               format varchar not null, mapping_json varchar, row_count bigint not null,
               warnings_json varchar not null, inbox_path varchar not null, loaded_at timestamptz not null)"""
    )


def loaded_submission_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """Submission ids already in the warehouse (none when the table does not exist yet; works read-only)."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' "
        "and table_name = 'city_submission_files' and table_catalog = current_database()"
    ).fetchall()[0][0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute("select submission_id from raw.city_submission_files").fetchall()}


def pending_submission_ids(inbox_dir: Path, loaded: set[str]) -> list[str]:
    return [submission_id for submission_id in inbox_submission_ids(inbox_dir) if submission_id not in loaded]


def _private(folder: Path, name: str) -> bytes:
    """A file of the folder, opened with the vault (sealed, or plain from before the vault)."""
    try:
        return read_private(folder / name, folder.parent.parent)
    except VaultError as exc:
        raise InboxFolderError(folder, f"{name} cannot be opened ({exc})") from None


def read_submission(folder: Path) -> InboxSubmission:
    """Check one inbox folder against the contract and return its metadata; raise InboxFolderError if not."""
    metadata_path, rows_path = folder / METADATA_FILE, folder / ROWS_FILE
    if not metadata_path.is_file():
        raise InboxFolderError(folder, f"{METADATA_FILE} is missing")
    if not rows_path.is_file():
        raise InboxFolderError(folder, f"{ROWS_FILE} is missing")
    try:
        metadata = json.loads(_private(folder, METADATA_FILE).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InboxFolderError(folder, f"{METADATA_FILE} is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise InboxFolderError(folder, f"{METADATA_FILE} is not a JSON object")
    missing = [key for key in REQUIRED_METADATA if metadata.get(key) in (None, "")]
    if missing:
        raise InboxFolderError(folder, f"{METADATA_FILE} lacks {', '.join(missing)}")
    if metadata["submission_id"] != folder.name:
        raise InboxFolderError(
            folder, f"{METADATA_FILE} names submission {metadata['submission_id']!r}, not the folder's name"
        )
    row_count = metadata["row_count"]
    if isinstance(row_count, bool) or not isinstance(row_count, int) or row_count < 0:
        raise InboxFolderError(folder, f"{METADATA_FILE}: row_count {row_count!r} is not a whole number")
    warnings = metadata.get("warnings") or []
    if not isinstance(warnings, list):
        raise InboxFolderError(folder, f"{METADATA_FILE}: warnings is not a list")
    mapping = metadata.get("mapping")
    return InboxSubmission(
        submission_id=folder.name,
        folder=folder,
        city_code=str(metadata["city_code"]),
        token_id=None if metadata.get("token_id") is None else str(metadata["token_id"]),
        uploaded_at=str(metadata["uploaded_at"]),
        original_filename=metadata.get("original_filename"),
        sha256=str(metadata["sha256"]),
        format=str(metadata["format"]),
        mapping_json=None if mapping is None else json.dumps(mapping, sort_keys=True, default=str),
        row_count=row_count,
        warnings_json=json.dumps(warnings, default=str),
    )


def _stage_rows(conn: duckdb.DuckDBPyConnection, submission: InboxSubmission, loaded_at: datetime) -> int:
    """Read rows.csv (all text, nothing sniffed) into the temp table _incoming_rows and check it. The file is
    opened in memory (it is sealed at rest) and read by DuckDB from there."""
    plain = _private(submission.folder, ROWS_FILE)
    memory = fsspec.filesystem("memory")  # the plain text stays in memory: fsspec's in-memory file system
    target = f"/sps-inbox/{uuid.uuid4().hex}.csv"
    memory.pipe_file(target, plain)
    try:
        if not conn.filesystem_is_registered("memory"):
            conn.register_filesystem(memory)
        conn.execute(
            "create or replace temp table _incoming_rows as select *, cast(? as timestamptz) as loaded_at "
            "from read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"', "
            "encoding = 'utf-8')",
            [loaded_at.isoformat(), f"memory://{target}"],
        )
    except duckdb.Error as exc:
        raise InboxFolderError(submission.folder, f"{ROWS_FILE} cannot be read ({str(exc).splitlines()[0]})") from None
    finally:
        memory.rm_file(target)
    columns = [row[0] for row in conn.execute("select column_name from (describe _incoming_rows)").fetchall()]
    missing = [column for column in ROW_COLUMNS if column not in columns]
    if missing:
        raise InboxFolderError(submission.folder, f"{ROWS_FILE} lacks the column(s) {', '.join(missing)}")
    rows, foreign = conn.execute(
        "select count(*), count(*) filter (where submission_id is distinct from ?) from _incoming_rows",
        [submission.submission_id],
    ).fetchall()[0]
    if foreign:
        raise InboxFolderError(submission.folder, f"{foreign} row(s) of {ROWS_FILE} name another submission_id")
    if rows != submission.row_count:
        raise InboxFolderError(
            submission.folder, f"{ROWS_FILE} has {rows} rows but {METADATA_FILE} says {submission.row_count}"
        )
    return rows


def _add_new_columns(conn: duckdb.DuckDBPyConnection) -> None:
    """A rows.csv with columns beyond the contract keeps them: the raw table widens (all text)."""
    have = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = 'city_submissions' and table_catalog = current_database()"
        ).fetchall()
    }
    for (column,) in conn.execute("select column_name from (describe _incoming_rows)").fetchall():
        if column not in have:
            conn.execute(f'alter table raw.city_submissions add column "{column.replace(chr(34), "")}" varchar')


def load_inbox(conn: duckdb.DuckDBPyConnection, inbox_dir: Path, data_dir: Path) -> InboxLoadOutcome:
    """Load every inbox folder not yet in raw.city_submission_files, all or nothing, in one transaction."""
    ensure_city_submission_tables(conn)
    loaded_before = loaded_submission_ids(conn)
    all_ids = inbox_submission_ids(inbox_dir)
    pending = [submission_id for submission_id in all_ids if submission_id not in loaded_before]
    already = len(all_ids) - len(pending)
    pause_for_tests("inbox")  # test-only: uploads arriving from here on wait for the next run
    if not pending:
        outcome = InboxLoadOutcome((), 0, already)
        record_status(conn, LoadOutcome(DATASET, "unchanged", outcome.message, origin="inbox"))
        return outcome
    loaded_at = datetime.now(UTC)
    total = 0
    current: Path | None = None
    conn.execute("begin transaction")
    try:
        for submission_id in pending:
            current = inbox_dir / submission_id
            submission = read_submission(current)
            total += _stage_rows(conn, submission, loaded_at)
            _add_new_columns(conn)
            conn.execute("insert into raw.city_submissions by name select * from _incoming_rows")
            conn.execute(
                "insert into raw.city_submission_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    submission.submission_id,
                    submission.city_code,
                    submission.token_id,
                    submission.uploaded_at,
                    submission.original_filename,
                    submission.sha256,
                    submission.format,
                    submission.mapping_json,
                    submission.row_count,
                    submission.warnings_json,
                    _relative(current, data_dir),
                    loaded_at,
                ],
            )
        conn.execute("drop table if exists _incoming_rows")
        outcome = InboxLoadOutcome(tuple(pending), total, already)
        record_status(conn, LoadOutcome(DATASET, "loaded", outcome.message, rows=total, origin="inbox"))
        conn.execute("commit")
    except InboxFolderError as exc:
        rollback(conn)
        record_status(conn, LoadOutcome(DATASET, "failed", str(exc), source_file=_relative(exc.folder, data_dir)))
        raise
    except duckdb.Error as exc:
        rollback(conn)
        error = InboxFolderError(current or inbox_dir, f"loading failed ({str(exc).splitlines()[0]})")
        record_status(conn, LoadOutcome(DATASET, "failed", str(error), source_file=_relative(error.folder, data_dir)))
        raise error from exc
    except BaseException:
        rollback(conn)
        raise
    return outcome


def _relative(path: Path, data_dir: Path) -> str:
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
