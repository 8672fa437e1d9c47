"""Writing submissions into the inbox (accepted) or quarantine (rejected), atomically: a folder is built
under a temporary name and renamed into place, so a reader sees a whole submission or none
(docs/adr/0008-upload-inbox-contract.md). Every file of a submission is sealed with the vault (ADR 0021):
what a city sent may hold personal data, in its original file, its notes or a problem report quoting a cell;
read them back with `pipelines.vault.read_private`. rows.csv is written by DuckDB from the validated rows'
Arrow table (a 1 M-row upload never becomes a million dicts) into memory, never to disk in plain text; empty
text is written as an empty cell."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from pipelines.shared.cells import neutralise_row
from pipelines.uploads.problems import Problem
from pipelines.vault import write_private

ROW_COLUMNS = [
    "submission_id",
    "source_row",
    "indicator_code",
    "geo_code",
    "parent_geo_code",
    "period",
    "sex",
    "age_group",
    "breakdown",
    "value",
    "unit",
    "ci_low",
    "ci_high",
    "sample_size",
    "source",
    "note",
    "local_indicator_name",
    "local_indicator_unit",
    "local_indicator_description",
]
# Written only by submissions that have them: a city's target sheet (pipelines/uploads/targets.py) marks its rows
# `row_type = target` with their `baseline_year`; a value row has neither (row_type empty means a value).
OPTIONAL_ROW_COLUMNS = ["row_type", "baseline_year"]
EXTENSIONS = {"xlsx", "xlsm", "csv", "tsv", "txt"}


def safe_extension(filename: str) -> str:
    """File names never become paths: only a known extension is kept from what the user sent."""
    extension = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return extension if extension in EXTENSIONS else "bin"


def report_csv(problems: list[Problem]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["severity", "row", "column", "value", "rule", "message"], lineterminator="\n"
    )
    writer.writeheader()
    for problem in problems:
        writer.writerow(neutralise_row(problem.as_dict()))
    return buffer.getvalue()


def write_folder(
    parent: Path,
    submission_id: str,
    files: dict[str, bytes | Callable[[], bytes]],
    sealed: Callable[[str], bool] | None = None,
) -> Path:
    """A submission folder `parent/submission_id`, written whole or not at all (built under a temporary name and
    renamed), owner-only. `files`: name -> its bytes, or a function returning them. Files are sealed with the vault
    (ADR 0021) unless `sealed(name)` says otherwise: the public-space uploads (pipelines/spaces/store.py) keep what
    the refresh reads plain."""
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data_dir = parent.parent  # data/inbox, data/quarantine (data/public_space/inbox: its key check is one level down)
    tmp = parent / f".{submission_id}.tmp"
    final = parent / submission_id
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(mode=0o700)
    try:
        for name, payload in files.items():
            plain = payload() if callable(payload) else payload
            if sealed is None or sealed(name):
                write_private(tmp / name, plain, data_dir)
                continue
            fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(plain)
                fh.flush()
                os.fsync(fh.fileno())
        os.rename(tmp, final)  # never replaces: a submission id is unique
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def rows_csv_bytes(submission_id: str, rows: Iterable[dict]) -> bytes:
    """rows.csv in ROW_COLUMNS, in the rows' order: UTF-8, comma, a header, empty text as an empty cell,
    quotes only where a cell needs them. Validated rows (validate.CleanRows) go from SQL to the file, which
    DuckDB writes into an in-memory file system (fsspec's), so the plain text never reaches the disk."""
    import duckdb
    import fsspec

    memory = fsspec.filesystem("memory")
    target = f"/sps-rows/{uuid.uuid4().hex}.csv"
    with duckdb.connect() as conn:
        conn.register_filesystem(memory)
        if hasattr(rows, "register"):
            name = rows.register(conn)
        else:
            name = "given_rows"
            rows = list(rows)
            optional = [c for c in OPTIONAL_ROW_COLUMNS if rows and c in rows[0]]
            fields = [c for c in ROW_COLUMNS if c != "submission_id"] + optional
            table = pa.Table.from_pylist(
                [{c: "" if row.get(c) is None else str(row[c]) for c in fields} for row in rows],
                schema=pa.schema([(c, pa.large_utf8()) for c in fields]),
            )
            conn.register(name, table)
        present = {column for (column,) in conn.execute(f"select column_name from (describe {name})").fetchall()}
        columns = ", ".join(
            "$submission_id as submission_id"
            if column == "submission_id"
            else f"nullif(cast({column} as varchar), '') as {column}"
            if column in present
            else f"null::varchar as {column}"
            for column in ROW_COLUMNS + [c for c in OPTIONAL_ROW_COLUMNS if c in present]
        )
        # A select from one table, or a view of plain selects, keeps the rows' order (DuckDB's order preservation).
        try:
            conn.sql(f"select {columns} from {name}", params={"submission_id": submission_id}).write_csv(
                f"memory://{target}", header=True, sep=",", quotechar='"', escapechar='"'
            )
            return memory.cat_file(target)
        finally:
            if memory.exists(target):
                memory.rm_file(target)


def write_accepted(
    inbox: Path, submission_id: str, original: bytes, extension: str, rows: Iterable[dict], metadata: dict
) -> Path:
    """`rows`: the validated rows (validate.CleanRows, or dicts keyed by ROW_COLUMNS)."""
    return write_folder(
        inbox,
        submission_id,
        {
            f"original.{extension}": original,
            "rows.csv": lambda: rows_csv_bytes(submission_id, rows),
            "metadata.json": json.dumps(metadata, indent=2, default=str).encode("utf-8"),
        },
    )


def write_rejected(
    quarantine: Path, submission_id: str, original: bytes, extension: str, problems: list[Problem], metadata: dict
) -> Path:
    return write_folder(
        quarantine,
        submission_id,
        {
            f"original.{extension}": original,
            "report.csv": report_csv(problems).encode("utf-8"),
            "metadata.json": json.dumps(metadata, indent=2, default=str).encode("utf-8"),
        },
    )
