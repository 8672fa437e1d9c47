"""The private store of city survey microdata, under the data folder and readable by its owner only (folders 0700,
files 0600):

    data/surveys/
        submissions/<submission_id>/   an accepted survey
            original.<ext>               the bytes the city sent                     private, sealed
            microdata.parquet            the normalised respondents with weights      private, sealed
            design.yml, margins.csv      what came with it, when given                private, sealed
            estimates.csv                the tidy estimates (no microdata)            loaded into raw by a refresh
            metadata.json                who, when, which file, survey facts, registry rows, warnings
            withdrawn.json               after a withdrawal: when and by which token (the private files are gone)
        quarantine/<submission_id>/    a rejected survey: original, design/margins, report.csv, metadata.json
                                       (all sealed: a problem report quotes cells, respondent ids included)
        audit.jsonl                    one line per upload, rejection and withdrawal; never rewritten

Private files are sealed at rest with the vault (AES-256-GCM, pipelines/vault, ADR 0021): a copy of the data
folder or a backup is useless without the key. What the refresh reads from an accepted survey (estimates,
metadata, withdrawal) holds no respondent and stays plain. The whole store is a kept path (backed up, restored).

Nothing here is ever copied into the warehouse, a published version, an export, the dashboard or a report: only
estimates.csv and metadata.json are read by the loader (loader.py). A folder is written under a temporary name and
renamed into place, so a reader sees a whole submission or none (as the upload inbox, docs/adr/0008).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pipelines.errors import SpsError
from pipelines.vault import read_private
from pipelines.vault import write_private as write_sealed

STORE = "surveys"
SUBMISSIONS, QUARANTINE, AUDIT = "submissions", "quarantine", "audit.jsonl"
PRIVATE_FILES = ("microdata.parquet", "design.yml", "margins.csv", "estimates.csv")  # plus original.<ext>
ESTIMATES_FILE, METADATA_FILE, WITHDRAWN_FILE, REPORT_FILE = (
    "estimates.csv",
    "metadata.json",
    "withdrawn.json",
    "report.csv",
)
EXTENSIONS = {"csv", "tsv", "txt", "xlsx", "xlsm", "sav", "zsav", "dta"}
DIR_MODE, FILE_MODE = 0o700, 0o600


class SurveyStoreError(SpsError):
    pass


def store_dir(data_dir: Path) -> Path:
    return data_dir / STORE


def submissions_dir(data_dir: Path) -> Path:
    return store_dir(data_dir) / SUBMISSIONS


def quarantine_dir(data_dir: Path) -> Path:
    return store_dir(data_dir) / QUARANTINE


def safe_extension(filename: str) -> str:
    """File names never become paths: only a known extension is kept from what the city sent."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return extension if extension in EXTENSIONS else "bin"


def _private_dir(parent: Path) -> None:
    """Create data/surveys/<submissions|quarantine> owner-only; existing folders are tightened to 0700."""
    for folder in (parent.parent, parent):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)


PLAIN_FILES = (ESTIMATES_FILE, METADATA_FILE, WITHDRAWN_FILE)  # of an accepted survey: read by the refresh


def is_sealed(parent: Path, name: str) -> bool:
    """Whether a file of the store is sealed: every file of a rejected survey; of an accepted one, all but what
    the refresh reads (estimates, metadata, withdrawal), which hold no respondent."""
    return parent.name != SUBMISSIONS or name not in PLAIN_FILES


def write_private(path: Path, payload: bytes | Callable[[Path], None], sealed: bool = False) -> None:
    """Write a file only the owner can read: bytes are created 0600 (sealed with the vault when `sealed`); a plain
    file written by a library is set to 0600 at once, inside a folder that is already 0700, so no one else can
    reach it meanwhile."""
    if sealed:
        if callable(payload):
            raise TypeError(f"{path.name}: a sealed file is given as bytes, never written by a library to disk")
        write_sealed(path, payload, path.parent.parent.parent.parent)  # data/surveys/<kind>/<.id.tmp>/<name>
        return
    if callable(payload):
        payload(path)
        os.chmod(path, FILE_MODE)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def write_folder(parent: Path, submission_id: str, files: dict[str, bytes | Callable[[Path], None]]) -> Path:
    """`files`: name -> bytes, or a function that writes the file at the path it is given."""
    _private_dir(parent)
    tmp, final = parent / f".{submission_id}.tmp", parent / submission_id
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(mode=DIR_MODE)
    os.chmod(tmp, DIR_MODE)
    try:
        for name, payload in files.items():
            write_private(tmp / name, payload, sealed=is_sealed(parent, name))
        os.rename(tmp, final)  # never replaces: a submission id is unique
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def append_audit(data_dir: Path, event: str, **fields) -> None:
    """One JSON line per event, appended (O_APPEND) to the owner-only audit trail."""
    store = store_dir(data_dir)
    store.mkdir(parents=True, exist_ok=True)
    os.chmod(store, DIR_MODE)
    line = json.dumps({"event": event, "at": datetime.now(UTC).isoformat(), **fields}, default=str, sort_keys=True)
    fd = os.open(store / AUDIT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_audit(data_dir: Path) -> list[dict]:
    path = store_dir(data_dir) / AUDIT
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def submission_ids(data_dir: Path) -> list[str]:
    """Accepted survey submissions (withdrawn ones included), sorted by upload time (ids sort that way)."""
    folder = submissions_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def withdrawn_ids(data_dir: Path) -> list[str]:
    folder = submissions_dir(data_dir)
    return [s for s in submission_ids(data_dir) if (folder / s / WITHDRAWN_FILE).is_file()]


def read_file(folder: Path, name: str) -> bytes:
    """A file of a submission or quarantine folder, opened with the vault when it is sealed."""
    return read_private(folder / name, folder.parent.parent.parent)


def read_metadata(folder: Path) -> dict:
    try:
        return json.loads(read_file(folder, METADATA_FILE).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SurveyStoreError(f"survey submission {folder.name}: {METADATA_FILE} cannot be read ({exc}).") from None


def withdraw(data_dir: Path, submission_id: str, city: str, token_id: str) -> dict:
    """Delete a survey's microdata (original, normalised Parquet, design and margins files) and its estimates; keep
    metadata.json and write withdrawn.json, so the audit trail and the lineage of what was published stay. The next
    refresh removes the estimates from the published version."""
    folder = submissions_dir(data_dir) / submission_id
    if not submission_id or "/" in submission_id or submission_id.startswith(".") or not folder.is_dir():
        raise SurveyStoreError(
            f"no survey submission {submission_id!r}; list your city's surveys with `sps survey list --city {city}`."
        )
    metadata = read_metadata(folder)
    if metadata.get("city_code") != city:
        raise SurveyStoreError(f"survey submission {submission_id} is not {city}'s; a city can withdraw only its own.")
    if (folder / WITHDRAWN_FILE).exists():
        when = json.loads((folder / WITHDRAWN_FILE).read_text(encoding="utf-8")).get("withdrawn_at", "")
        raise SurveyStoreError(f"survey submission {submission_id} was already withdrawn on {when[:10]}.")
    deleted = []
    for path in sorted(folder.iterdir()):
        if path.name in PRIVATE_FILES or path.name.startswith("original."):
            path.unlink()
            deleted.append(path.name)
    record = {
        "submission_id": submission_id,
        "city_code": city,
        "token_id": token_id,
        "withdrawn_at": datetime.now(UTC).isoformat(),
        "deleted": deleted,
    }
    write_private(folder / WITHDRAWN_FILE, json.dumps(record, indent=2).encode("utf-8"))
    append_audit(data_dir, "withdrawn", submission_id=submission_id, city_code=city, token_id=token_id, deleted=deleted)
    return record
