"""Writing submissions into the inbox (accepted) or quarantine (rejected), atomically: a folder is built
under a temporary name and renamed into place, so a reader sees a whole submission or none
(docs/adr/0008-upload-inbox-contract.md). rows.csv is written by DuckDB from the validated rows' Arrow
table (a 1 M-row upload never becomes a million dicts); empty text is written as an empty cell."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa

from pipelines.shared.cells import neutralise_row
from pipelines.uploads.problems import Problem

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


def write_folder(parent: Path, submission_id: str, files: dict[str, bytes | Callable[[Path], None]]) -> Path:
    """A submission folder `parent/submission_id`, written whole or not at all (built under a temporary name and
    renamed). `files`: name -> its bytes, or a function that writes the file at the path it is given. Also used by
    the public-space uploads (pipelines/spaces/store.py)."""
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{submission_id}.tmp"
    final = parent / submission_id
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        for name, payload in files.items():
            if callable(payload):
                payload(tmp / name)
                with open(tmp / name, "rb+") as fh:
                    os.fsync(fh.fileno())
                continue
            with open(tmp / name, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        os.rename(tmp, final)  # never replaces: a submission id is unique
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def write_rows_csv(path: Path, submission_id: str, rows: Iterable[dict]) -> None:
    """rows.csv in ROW_COLUMNS, in the rows' order: UTF-8, comma, a header, empty text as an empty cell,
    quotes only where a cell needs them. Validated rows (validate.CleanRows) go from SQL to the file."""
    import duckdb

    with duckdb.connect() as conn:
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
        conn.sql(f"select {columns} from {name}", params={"submission_id": submission_id}).write_csv(
            str(path), header=True, sep=",", quotechar='"', escapechar='"'
        )


def write_accepted(
    inbox: Path, submission_id: str, original: bytes, extension: str, rows: Iterable[dict], metadata: dict
) -> Path:
    """`rows`: the validated rows (validate.CleanRows, or dicts keyed by ROW_COLUMNS)."""
    return write_folder(
        inbox,
        submission_id,
        {
            f"original.{extension}": original,
            "rows.csv": lambda path: write_rows_csv(path, submission_id, rows),
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
