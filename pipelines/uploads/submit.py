"""One entry point for the CLI, the upload page and the drop folder: check a file now (every problem at
once), and when it is clean store it in the inbox for the next refresh; otherwise quarantine it."""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.settings import Settings
from pipelines.shared.gx import warm_up as warm_up_gx
from pipelines.uploads.formats import Mapping, normalise
from pipelines.uploads.inbox import safe_extension, write_accepted, write_rejected
from pipelines.uploads.parse import read_table
from pipelines.uploads.problems import Problem, error
from pipelines.uploads.targets import FORMAT as TARGET_FORMAT
from pipelines.uploads.targets import check_targets, is_target_sheet
from pipelines.uploads.tokens import verify_upload_token
from pipelines.uploads.validate import Catalogue, CleanRows, validate_rows
from pipelines.versions.connection import connect_version
from pipelines.versions.store import current_version_path


@dataclass
class UploadResult:
    accepted: bool
    submission_id: str
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    format: str | None = None
    stored_at: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def upload_max_mb() -> float:
    """The largest upload accepted, in MB (SPS_UPLOAD_MAX_MB, default 20): the dashboard's file box says the same
    number because `sps serve` hands it to Streamlit as server.maxUploadSize."""
    return float(os.environ.get("SPS_UPLOAD_MAX_MB", "20"))


def upload_max_bytes() -> int:
    return int(upload_max_mb() * 1_000_000)


def next_submission_time(data_dir: Path) -> datetime:
    """The upload time that names a submission, strictly increasing across threads and processes sharing the
    data folder: two uploads in the same microsecond still get distinct ids, ordered by arrival."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".submissions.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = data_dir / ".last_submission_at"
        now = datetime.now(UTC)
        try:
            last = datetime.fromisoformat(stamp.read_text().strip())
        except (FileNotFoundError, ValueError):
            last = None
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        tmp = stamp.with_name(stamp.name + ".tmp")
        tmp.write_text(now.isoformat())
        os.replace(tmp, stamp)
    return now


def previous_published_values(settings: Settings, city: str) -> dict[tuple[str, str], tuple[str, float]]:
    """The latest published total per indicator x area of this city (for the 'big change' warning)."""
    path = current_version_path(settings.published_dir, required=False)
    if path is None:
        return {}
    import duckdb

    try:
        with connect_version(path) as conn:
            rows = conn.execute(
                """select indicator_code, geo_code, period, value from fct_observations
                   where (geo_code = ? or geo_code like ? || ':%') and sex is null and age_group is null
                     and breakdown is null
                   qualify row_number() over (partition by indicator_code, geo_code order by period_year desc) = 1""",
                [city, city],
            ).fetchall()
    except duckdb.Error:
        return {}
    return {(indicator, geo): (period, value) for indicator, geo, period, value in rows}


def check_file(
    data: bytes,
    filename: str,
    city: str,
    mapping: Mapping | None,
    settings: Settings,
) -> tuple[str | None, CleanRows | list, list[Problem]]:
    """(format, the clean rows (one dict per row when indexed or iterated), every problem found)."""
    if len(data) <= upload_max_bytes():
        warm_up_gx()  # imported while the file is read and checked in DuckDB
    table = read_table(data, filename, upload_max_bytes())
    if table.problems:
        return None, [], [error("file", message) for message in table.problems]
    comma_decimal = table.delimiter in (";", "\t")
    if is_target_sheet(table.header):  # a target sheet: its own few rules (pipelines/uploads/targets.py)
        rows, problems = check_targets(table, city, Catalogue.load(), comma_decimal)
        return TARGET_FORMAT, rows, problems
    fmt, rows, problems = normalise(table, city, mapping)
    del table  # the normalised rows share or replace its columns
    if fmt is None or any(p.rule in ("missing_column", "format") for p in problems):
        return fmt, [], problems
    clean, found = validate_rows(rows, city, comma_decimal, Catalogue.load(), previous_published_values(settings, city))
    return fmt, clean, problems + found


def submit_upload(
    data: bytes,
    filename: str,
    city: str,
    token: str,
    mapping: Mapping | None,
    settings: Settings,
    check_only: bool = False,
) -> UploadResult:
    city = city.strip().upper()
    token_id = verify_upload_token(settings.data_dir, token, city)
    return store_submission(data, filename, city, token_id, mapping, settings, check_only)


def store_submission(
    data: bytes,
    filename: str,
    city: str,
    token_id: str,
    mapping: Mapping | None,
    settings: Settings,
    check_only: bool = False,
) -> UploadResult:
    """Check and store a file for `city` whose sender is already authorised (a token, or the drop folder)."""
    sha = hashlib.sha256(data).hexdigest()
    now = next_submission_time(settings.data_dir)
    submission_id = f"{now:%Y%m%dT%H%M%S%fZ}-{city}-{sha[:8]}"
    fmt, rows, problems = check_file(data, filename, city, mapping, settings)
    accepted = not any(p.severity == "error" for p in problems)
    result = UploadResult(accepted, submission_id, problems, len(rows), fmt)
    if check_only:
        return result
    metadata = {
        "submission_id": submission_id,
        "city_code": city,
        "token_id": token_id,
        "uploaded_at": now.isoformat(),
        "original_filename": os.path.basename(filename.replace("\\", "/")),
        "sha256": sha,
        "format": fmt,
        "mapping": mapping.as_dict() if mapping else None,
        "row_count": len(rows),
        "warnings": [p.as_dict() for p in result.warnings],
    }
    extension = safe_extension(filename)
    if accepted:
        result.stored_at = str(write_accepted(settings.inbox_dir, submission_id, data, extension, rows, metadata))
    else:
        metadata["problems"] = [p.as_dict() for p in problems]
        result.stored_at = str(
            write_rejected(settings.quarantine_dir, submission_id, data, extension, problems, metadata)
        )
    return result
