"""City target sheets (issue 19, ADR 0018): checked with every problem at once, stored in the inbox through the same
path as values, loaded into the raw layer as target rows. The sheets are small SYNTHETIC examples."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import replace

import duckdb
import pytest

from pipelines.settings import load_settings
from pipelines.uploads.api import inspect_file, write_target_template
from pipelines.uploads.inbox_loader import load_inbox
from pipelines.uploads.parse import read_table
from pipelines.uploads.submit import submit_upload
from pipelines.uploads.targets import check_targets
from pipelines.uploads.tokens import issue_upload_token
from pipelines.uploads.validate import Catalogue
from tests.fixtures.private import opened_text

HEADER = "indicator_code,geo_code,target_value,target_year,baseline_year,unit,source,note"


@pytest.fixture
def env(tmp_path):
    s = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(s.data_dir, "ES003C")
    return s, token


def test_a_clean_target_sheet_goes_to_the_inbox_as_target_rows(env):
    s, token = env
    data = (
        HEADER + "\nfeel_safe_after_dark,,80,2030,2019,%,Safety strategy (SYNTHETIC),\n"
        "homicide_rate,ES003C:d1,0.8,2030,2019,per 1 000,,converted\n"
    ).encode()
    assert inspect_file(data, "targets.csv").format == "sps_targets"
    result = submit_upload(data, "targets.csv", "ES003C", token, None, s)
    assert result.accepted and result.format == "sps_targets" and result.rows == 2
    assert [(p.rule, p.severity) for p in result.problems] == [("unit_converted", "warning")]
    folder = s.inbox_dir / result.submission_id
    assert json.load(opened_text(folder / "metadata.json"))["format"] == "sps_targets"
    rows = list(csv.DictReader(opened_text(folder / "rows.csv")))
    first, second = rows
    assert (first["indicator_code"], first["geo_code"], first["period"], first["value"]) == (
        "feel_safe_after_dark",
        "ES003C",
        "2030",
        "80.0",
    )
    assert (first["row_type"], first["baseline_year"], first["unit"]) == ("target", "2019", "% of population")
    # per 1 000 -> per 100 000 (x 100); a district target keeps its city as parent
    assert (second["geo_code"], second["parent_geo_code"], float(second["value"])) == ("ES003C:d1", "ES003C", 80.0)

    # the inbox loader puts them in raw.city_submissions with their row type
    with duckdb.connect() as conn:
        load_inbox(conn, s.inbox_dir, s.data_dir)
        loaded = conn.execute(
            "select indicator_code, row_type, baseline_year, period from raw.city_submissions order by source_row"
        ).fetchall()
    assert loaded == [("feel_safe_after_dark", "target", "2019", "2030"), ("homicide_rate", "target", "2019", "2030")]


def test_every_problem_of_a_target_sheet_is_reported_at_once(env):
    s, token = env
    lines = [
        HEADER,
        "feel_safe_after_dark,,80,2030,2019,,,",  # 2: fine
        "feel_safe_after_dark,,85,2030,2019,,,",  # 3: second target for the same indicator and area
        "no_such_code,,1,2030,2019,,,",  # 4: unknown indicator
        "local:ES003C:lights,,1,2030,2019,,,",  # 5: local indicators have no targets
        "homicide_rate,ES002C,1,2030,2019,,,",  # 6: another city
        "harassment_prevalence,,140,2030,2099,,,",  # 7: above 100 %, baseline in the future
        "homicide_rate,ES003C:d2,-1,2019,2020,,,",  # 8: negative rate, target year before the baseline
        'physical_violence_prevalence,,"12,5",30,,%,,',  # 9: decimal comma, year not 4 digits, no baseline
        "open_public_space_share,,20,2030,2019,m2,,",  # 10: unit of another kind
        ",,,,,,,",  # a blank row is skipped and not counted
        "sexual_violence_prevalence,,5,2150,2019,,,",  # 11: target year too far
    ]
    result = submit_upload("\n".join(lines).encode(), "targets.csv", "ES003C", token, None, s)
    assert not result.accepted and not s.inbox_dir.exists()
    found = {(p.row, p.column, p.rule) for p in result.errors}
    assert found == {
        (3, "indicator_code", "duplicate_key"),
        (4, "indicator_code", "unknown_indicator"),
        (5, "indicator_code", "target_local"),
        (6, "geo_code", "wrong_city"),
        (7, "target_value", "range"),
        (7, "baseline_year", "future_baseline"),
        (7, "target_year", "target_year"),  # and 2030 is not after 2099
        (8, "target_value", "range"),
        (8, "target_year", "target_year"),
        (9, "target_value", "not_a_number"),
        (9, "target_year", "year"),
        (9, "baseline_year", "required"),
        (10, "unit", "unit"),
        (11, "target_year", "target_year"),
    }
    assert "Use a point as decimal separator" in next(
        p.message for p in result.errors if p.row == 9 and p.rule == "not_a_number"
    )
    report = s.quarantine_dir / result.submission_id / "report.csv"
    assert len(list(csv.DictReader(opened_text(report)))) == len(result.problems)


def test_a_semicolon_sheet_takes_a_decimal_comma_and_unknown_or_missing_columns_are_named():
    catalogue = Catalogue.load()
    table = read_table(
        (HEADER.replace(",", ";") + "\nfeel_safe_after_dark;;72,5;2030;2019;;;\n").encode(), "t.csv", 10**6
    )
    rows, problems = check_targets(table, "ES003C", catalogue, comma_decimal=True, today=dt.date(2026, 1, 1))
    assert not problems and rows[0]["value"] == "72.5"
    table = read_table(b"indicator_code,target_value,colour\nfeel_safe_after_dark,80,red\n", "t.csv", 10**6)
    rows, problems = check_targets(table, "ES003C", catalogue, comma_decimal=False)
    assert not rows
    assert {(p.rule, p.column) for p in problems} == {
        ("unknown_column", "colour"),
        ("missing_column", "target_year"),
        ("missing_column", "baseline_year"),
    }


def test_the_target_template_is_the_seed(tmp_path):
    out = tmp_path / "targets.csv"
    write_target_template(out)
    header, example = list(csv.reader(open(out, encoding="utf-8")))
    assert header == HEADER.split(",")
    table = read_table(out.read_bytes(), "targets.csv", 10**6)
    rows, problems = check_targets(table, "ES002C", Catalogue.load(), comma_decimal=False)
    assert not [p for p in problems if p.severity == "error"] and rows[0]["indicator_code"] == example[0]
    write_target_template(tmp_path / "targets.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "targets.xlsx")
    assert book.sheetnames == ["targets", "data dictionary"]
