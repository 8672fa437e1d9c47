"""The inbox loader: accepted city submissions reach raw.city_submissions* once, all or nothing. Every inbox
here is SYNTHETIC (tests/fixtures/city_inbox.py), written in tmp_path."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.uploads.inbox_loader import (
    InboxFolderError,
    ensure_city_submission_tables,
    inbox_submission_ids,
    load_inbox,
)
from tests.fixtures.city_inbox import write_submission

ROW = {"indicator_code": "feel_safe_after_dark", "geo_code": "ZZ001C", "period": "2023", "value": "61.5", "unit": "%"}


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "inbox").mkdir()
    return tmp_path


@pytest.fixture
def conn(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def _counts(conn) -> tuple[int, int]:
    return (
        conn.execute("select count(*) from raw.city_submission_files").fetchall()[0][0],
        conn.execute("select count(*) from raw.city_submissions").fetchall()[0][0],
    )


def test_both_raw_tables_exist_empty_before_any_upload(conn, data_dir):
    outcome = load_inbox(conn, data_dir / "missing_inbox", data_dir)
    assert outcome.loaded == () and _counts(conn) == (0, 0)
    columns = [r[0] for r in conn.execute("describe raw.city_submissions").fetchall()]
    assert columns[:3] == ["submission_id", "source_row", "indicator_code"] and columns[-1] == "loaded_at"


def test_loading_twice_loads_each_submission_once(conn, data_dir):
    inbox = data_dir / "inbox"
    first = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW, ROW | {"period": "2022"}])
    second = write_submission(inbox, "20260102T090000000000", "ZZ001C", [ROW | {"value": "63"}])
    outcome = load_inbox(conn, inbox, data_dir)
    assert outcome.loaded == (first, second) and outcome.rows == 3
    assert _counts(conn) == (2, 3)

    again = load_inbox(conn, inbox, data_dir)
    assert again.loaded == () and again.already_loaded == 2
    assert _counts(conn) == (2, 3)

    third = write_submission(inbox, "20260103T090000000000", "ZZ001C", [ROW | {"value": "64"}])
    assert load_inbox(conn, inbox, data_dir).loaded == (third,)
    assert _counts(conn) == (3, 4)
    statuses = [r[0] for r in conn.execute("select status from raw._source_status order by checked_at").fetchall()]
    assert statuses == ["loaded", "unchanged", "loaded"]


def test_metadata_lands_in_the_files_table(conn, data_dir):
    inbox = data_dir / "inbox"
    warning = {"severity": "warning", "row": 2, "column": "unit", "rule": "unit_converted", "message": "x"}
    submission = write_submission(
        inbox, "20260101T090000000000", "ZZ001C", [ROW], original_filename="zedtown 2023.csv", warnings=[warning]
    )
    load_inbox(conn, inbox, data_dir)
    row = conn.execute(
        "select submission_id, city_code, token_id, uploaded_at, original_filename, format, row_count, "
        "warnings_json, inbox_path, loaded_at is not null, length(sha256) from raw.city_submission_files"
    ).fetchall()[0]
    assert row[:7] == (
        submission,
        "ZZ001C",
        "tok-synthetic",
        "2026-01-01T09:00:00+00:00",
        "zedtown 2023.csv",
        "sps_template",
        1,
    )
    assert json.loads(row[7]) == [warning]
    assert row[8:] == (f"inbox/{submission}", True, 64)


def test_rows_are_kept_as_text_without_sniffing(conn, data_dir):
    inbox = data_dir / "inbox"
    write_submission(
        inbox,
        "20260101T090000000000",
        "ZZ001C",
        [ROW | {"value": "07.50", "sample_size": "0700", "period": "2019/20", "note": 'says "hello", twice'}],
    )
    load_inbox(conn, inbox, data_dir)
    types = {r[0]: r[1] for r in conn.execute("describe raw.city_submissions").fetchall()}
    assert {t for c, t in types.items() if c != "loaded_at"} == {"VARCHAR"}
    row = conn.execute(
        "select value, sample_size, period, note, source_row, ci_low from raw.city_submissions"
    ).fetchall()
    assert row == [("07.50", "0700", "2019/20", 'says "hello", twice', "2", None)]


def test_hidden_temporary_folders_and_plain_files_are_not_submissions(conn, data_dir):
    inbox = data_dir / "inbox"
    submission = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW])
    (inbox / ".20260102T090000000000Z-ZZ001C-deadbeef.tmp").mkdir()  # a folder still being written
    (inbox / "README.txt").write_text("not a submission")
    assert inbox_submission_ids(inbox) == [submission]
    assert load_inbox(conn, inbox, data_dir).loaded == (submission,)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda folder: (folder / "metadata.json").write_text("{not json"), "metadata.json is not valid JSON"),
        (lambda folder: (folder / "rows.csv").unlink(), "rows.csv is missing"),
        (lambda folder: (folder / "metadata.json").unlink(), "metadata.json is missing"),
        (lambda folder: (folder / "rows.csv").write_text(""), "rows.csv lacks the column(s) submission_id"),
        (
            lambda folder: (folder / "rows.csv").write_text(
                "\n".join((folder / "rows.csv").read_text().splitlines()[:-1]) + "\n"
            ),
            "rows.csv has 1 rows but metadata.json says 2",
        ),
        (
            lambda folder: (folder / "metadata.json").write_text(
                json.dumps(json.loads((folder / "metadata.json").read_text()) | {"submission_id": "other"})
            ),
            "metadata.json names submission 'other', not the folder's name",
        ),
    ],
    ids=["bad_json", "no_rows_csv", "no_metadata", "empty_rows_csv", "truncated_rows_csv", "wrong_id"],
)
def test_a_malformed_folder_fails_with_its_name_and_loads_nothing(conn, data_dir, damage, reason):
    inbox = data_dir / "inbox"
    good = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW])
    bad = write_submission(inbox, "20260102T090000000000", "ZZ001C", [ROW, ROW | {"period": "2022"}])
    later = write_submission(inbox, "20260103T090000000000", "ZZ001C", [ROW])
    damage(inbox / bad)
    with pytest.raises(InboxFolderError) as failure:
        load_inbox(conn, inbox, data_dir)
    assert failure.value.folder.name == bad
    assert f"inbox folder {bad}: {reason}" in str(failure.value)
    assert _counts(conn) == (0, 0)  # neither the good folder before it nor the one after it
    status = conn.execute("select status, message, source_file from raw._source_status").fetchall()
    assert status == [("failed", str(failure.value), f"inbox/{bad}")]

    # Once the folder is moved out of the inbox, the others load.
    (inbox / bad).rename(data_dir / bad)
    assert load_inbox(conn, inbox, data_dir).loaded == (good, later)


def test_a_folder_already_loaded_is_never_read_again(conn, data_dir):
    inbox = data_dir / "inbox"
    submission = write_submission(inbox, "20260101T090000000000", "ZZ001C", [ROW])
    load_inbox(conn, inbox, data_dir)
    (inbox / submission / "rows.csv").unlink()  # damage after loading does not matter: the id is known
    assert load_inbox(conn, inbox, data_dir).loaded == ()
    assert _counts(conn) == (1, 1)


def test_the_upload_writer_and_the_loader_agree_on_the_contract(conn, data_dir):
    """The folder `sps upload` writes (pipelines/uploads/inbox.py) loads as it is."""
    from pipelines.uploads.inbox import write_accepted

    inbox = data_dir / "inbox"
    submission = "20260101T090000000000Z-ZZ001C-0123abcd"
    rows = [ROW | {"source_row": "2", "geo_code": "ZZ001C:North", "parent_geo_code": "ZZ001C"}]
    metadata = {
        "submission_id": submission,
        "city_code": "ZZ001C",
        "token_id": "t1",
        "uploaded_at": "2026-01-01T09:00:00+00:00",
        "original_filename": "a.csv",
        "sha256": "0" * 64,
        "format": "sps_template",
        "mapping": {"Wert": "value"},
        "row_count": 1,
        "warnings": [],
    }
    write_accepted(inbox, submission, b"synthetic original bytes", "csv", rows, metadata)
    assert load_inbox(conn, inbox, data_dir).loaded == (submission,)
    assert conn.execute("select geo_code, parent_geo_code, value from raw.city_submissions").fetchall() == [
        ("ZZ001C:North", "ZZ001C", "61.5")
    ]
    assert conn.execute("select mapping_json from raw.city_submission_files").fetchall() == [('{"Wert": "value"}',)]


def test_table_creation_is_repeatable(conn):
    ensure_city_submission_tables(conn)
    ensure_city_submission_tables(conn)
    assert _counts(conn) == (0, 0)
