"""`sps export progress`, `sps cycle status` and the health report's reporting-cycle section, on a small SYNTHETIC
published version (a DuckDB file with the tables they read)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.cli import main
from pipelines.outputs.cycles import CycleError, default_cycle, load_cycle_status, write_reminders
from pipelines.outputs.exports import ExportError, ExportFilters, export_published
from pipelines.publishing.health import _cycle_sections
from pipelines.versions.connection import connect_version
from pipelines.versions.store import write_pointer

VERSION = "20260601T000000000000Z"
SURVEY, TREND, OPEN = "survey_change_95", "eurostat_sdg_trend", "open_sdg"


def progress_row(geo, indicator, group, first, last, method, assessment, change=None, se=None, target=None):
    low = None if se is None else change - 1.96 * se
    high = None if se is None else change + 1.96 * se
    return (indicator, geo, None, None, None, group, first, last, 10.0, 12.0, change, se, low, high, 1.5,
            target, 2030 if target else None, assessment, method, "SYNTHETIC")  # fmt: skip


def cycle_row(cycle, city, status, reported, missing, partnership=True, last=None):
    opens, closes = (dt.date(cycle, 3, 1), dt.date(cycle + 1, 1, 31))
    return (cycle, city, f"Town {city}", partnership, opens, closes, cycle - 3, cycle - 1, 4, reported,
            reported / 4, None, None, None, missing, last, status)  # fmt: skip


def make_version(path: Path, *, with_marts: bool = True) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table _publication (version varchar, published_at timestamptz)")
        conn.execute("insert into _publication values (?, ?)", [VERSION, dt.datetime(2026, 6, 1, tzinfo=dt.UTC)])
        conn.execute(
            "create table dim_geographies (geo_code varchar, geo_level varchar, geo_name varchar)"
            ";insert into dim_geographies values ('ZZ001C', 'city', 'Zedtown'), ('ZZ002C', 'city', 'Yville')"
        )
        conn.execute(
            "create table dim_indicators (indicator_code varchar, indicator_name varchar, higher_is_better boolean)"
            ";insert into dim_indicators values ('zz_feel', 'Feel safe', true), ('zz_robbery', 'Robbery', false)"
        )
        conn.execute(
            "create table fct_observations (indicator_code varchar, geo_code varchar, source_dataset varchar, "
            "source_type varchar, period_year integer)"
            ";insert into fct_observations values ('zz_feel', 'ZZ001C', 'zz_survey', 'survey', 2015)"
        )
        if not with_marts:
            return path
        conn.execute(
            "create table city_progress (indicator_code varchar, geo_code varchar, sex varchar, age_group varchar, "
            "breakdown varchar, comparability_group varchar, from_period varchar, to_period varchar, "
            "from_value double, to_value double, change double, change_se double, change_ci_low double, "
            "change_ci_high double, annual_growth_rate double, target_value double, target_year integer, "
            "assessment varchar, method varchar, note varchar)"
        )
        conn.executemany(
            "insert into city_progress values (" + ", ".join(["?"] * 20) + ")",
            [
                progress_row("ZZ001C", "zz_feel", "g:feel", "2012", "2015", SURVEY, "significant improvement", 8, 2.9),
                progress_row("ZZ001C", "zz_feel", "g:feel", "2009", "2015", SURVEY, "no significant change", 3, 2.9),
                progress_row("ZZ001C", "zz_robbery", "g:rob", "2017", "2022", TREND, "significant progress"),
                progress_row("ZZ001C", "zz_robbery", "g:rob", "2015", "2022", OPEN, "limited progress", target=50),
                progress_row("ZZ002C", "zz_feel", "g:feel", "2012", "2015", SURVEY, "=cmd|calc"),
            ],
        )  # fmt: skip
        conn.execute(
            "create table city_cycle_status (cycle integer, city_code varchar, city_name varchar, "
            "is_partnership_city boolean, opens_on date, closes_on date, first_period_year integer, "
            "last_period_year integer, indicators_requested bigint, indicators_reported bigint, share_reported double, "
            "reported_by_city_upload varchar, reported_by_city_survey varchar, reported_by_official_source varchar, "
            "missing_indicators varchar, last_submission_at timestamptz, status varchar)"
        )
        conn.executemany(
            "insert into city_cycle_status values (" + ", ".join(["?"] * 17) + ")",
            [
                cycle_row(2026, "ZZ001C", "complete", 4, None, last=dt.datetime(2026, 4, 2, 10, tzinfo=dt.UTC)),
                cycle_row(2026, "ZZ002C", "partial", 1, "a, b, c"),
                cycle_row(2026, "ZZ003C", "none", 0, '=HYPERLINK("x"), b, c, d'),
                cycle_row(2027, "ZZ001C", "none", 0, "a, b, c, d"),
            ],
        )
    return path


@pytest.fixture
def version(tmp_path) -> duckdb.DuckDBPyConnection:
    conn = connect_version(str(make_version(tmp_path / f"{VERSION}.duckdb")))
    yield conn
    conn.close()


def test_progress_export_writes_the_mart_with_open_sdgs_status(version, tmp_path):
    out = tmp_path / "progress.csv"
    result = export_published(version, "progress", out)
    assert result.rows == 5 and result.table == "city_progress"
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert list(rows[0])[-3:] == ["method", "note", "open_sdg_progress_status"]
    status = {(r["geo_code"], r["method"]): r["open_sdg_progress_status"] for r in rows}
    assert status[("ZZ001C", "open_sdg")] == "limited_progress" and status[("ZZ001C", "eurostat_sdg_trend")] == ""
    assert "'=cmd|calc" in {r["assessment"] for r in rows}  # a spreadsheet never runs a cell
    metadata = json.loads(Path(f"{out}.metadata.json").read_text())
    assert metadata["table"] == "city_progress" and "change_se = sqrt" in metadata["notes"]
    result = export_published(version, "progress", tmp_path / "zed.xlsx", filters=ExportFilters(cities=("ZZ001C",)))
    assert result.rows == 4
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "zed.xlsx")["progress"]
    assert sheet.max_row == 5 and sheet["U1"].value == "open_sdg_progress_status"


def test_progress_as_open_sdg_progress_fields(version, tmp_path):
    out = tmp_path / "zed_progress"
    result = export_published(version, "progress", out, "open-sdg", ExportFilters(cities=("ZZ001C",)))
    assert sorted(p.name for p in result.paths) == [
        "indicator_zz_feel.progress.yml",
        "indicator_zz_robbery.progress.yml",
    ]
    robbery = yaml.safe_load((out / "indicator_zz_robbery.progress.yml").read_text())
    assert robbery["progress_status"] == "limited_progress" and robbery["auto_progress_calculation"] is False
    assert robbery["progress_calculation_options"] == [
        {"base_year": 2015, "direction": "negative", "target": 50.0, "target_year": 2030}
    ]
    feel = yaml.safe_load((out / "indicator_zz_feel.progress.yml").read_text())
    assert feel["progress_status"] == "not_available"  # a survey: its assessment is a test, kept below
    assert [a["assessment"] for a in feel["sps_progress"]["assessments"]] == [
        "no significant change",
        "significant improvement",
    ]
    assert "Open SDG" in json.loads((out / "metadata.json").read_text())["notes"]


@pytest.mark.parametrize(
    ("fmt", "filters", "message"),
    [
        ("sdmx-csv", ExportFilters(), "is for observations"),
        (None, ExportFilters.from_options(period="2019"), "--period and --source-type apply to observations"),
        ("open-sdg", ExportFilters(), "give exactly one --city"),
    ],
)
def test_progress_export_refuses_what_it_cannot_write(version, tmp_path, fmt, filters, message):
    out = tmp_path / ("x.csv" if fmt != "open-sdg" else "folder")
    with pytest.raises(ExportError, match=message):
        export_published(version, "progress", out, fmt, filters)
    assert not out.exists()


def test_a_version_without_the_mart_says_to_refresh(tmp_path):
    with connect_version(str(make_version(tmp_path / "old.duckdb", with_marts=False))) as conn:
        with pytest.raises(ExportError, match="run `sps refresh`"):
            export_published(conn, "progress", tmp_path / "p.csv")
        with pytest.raises(CycleError, match="run `sps refresh`"):
            load_cycle_status(conn, 2026)
    assert not (tmp_path / "p.csv").exists()


def test_the_default_cycle_is_the_open_one():
    cycles = [(2026, dt.date(2026, 3, 1), dt.date(2027, 1, 31)), (2027, dt.date(2027, 3, 1), dt.date(2028, 1, 31))]
    assert default_cycle(cycles, dt.date(2026, 12, 4)) == 2026
    assert default_cycle(cycles, dt.date(2027, 2, 10)) == 2026  # between cycles: the latest that opened
    assert default_cycle(cycles, dt.date(2027, 3, 1)) == 2027
    assert default_cycle(cycles, dt.date(2025, 1, 1)) == 2026


def test_cycle_status_and_the_reminder_list(version, tmp_path):
    status = load_cycle_status(version, None, today=dt.date(2026, 12, 4))
    assert (status.cycle, status.state) == (2026, "open")
    assert status.counts() == {"complete": 1, "partial": 1, "none": 1}
    assert [r["city_code"] for r in status.rows] == ["ZZ003C", "ZZ002C", "ZZ001C"]  # none first
    out = write_reminders(status, tmp_path / "reminders" / "2026.csv")
    reminders = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [(r["city_code"], r["status"]) for r in reminders] == [("ZZ003C", "none"), ("ZZ002C", "partial")]
    assert reminders[0]["missing_indicators"].startswith("'=HYPERLINK")  # spreadsheet-safe
    with pytest.raises(CycleError, match="--cycle 2031: not a reporting cycle; the cycles are 2026, 2027"):
        load_cycle_status(version, 2031)
    with pytest.raises(CycleError, match="give a .csv file name"):
        write_reminders(status, tmp_path / "reminders.txt")


def test_a_reminder_list_that_cannot_be_written_leaves_nothing(version, tmp_path):
    status = load_cycle_status(version, 2026)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(CycleError, match="cannot write"):
        write_reminders(status, blocker / "r.csv")
    assert blocker.read_text() == "a file where the folder should be"


def test_sps_cycle_status_prints_and_writes(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    published = data / "published"
    published.mkdir(parents=True)
    make_version(published / f"{VERSION}.duckdb")
    write_pointer(published, f"{VERSION}.duckdb")
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    assert main(["cycle", "status", "--cycle", "2026"]) == 0
    printed = capsys.readouterr().out
    assert "Reporting cycle 2026" in printed and "1 complete, 1 partial, 1 none" in printed
    assert "ZZ003C" in printed and "2026-04-02 10:00" in printed
    assert (data / "reports" / "cycles" / "reminders_2026.csv").is_file()
    assert main(["cycle", "status", "--cycle", "1999"]) == 1
    assert "not a reporting cycle" in capsys.readouterr().err


def test_the_health_report_names_cities_that_reported_nothing_in_the_open_cycle(tmp_path):
    path = make_version(tmp_path / "v.duckdb")
    with duckdb.connect() as conn:
        conn.execute(f"attach '{path}' as new (read_only)")
        (section,) = _cycle_sections(conn, "new", dt.date(2026, 12, 4))
        # named while the cycle has time to run, as information; a warning in its last month
        assert section.level == "ok" and "Cycle 2026 is open until 2027-01-31" in section.summary
        assert "1 city(ies) have reported nothing for it (ZZ003C), 1 partial, 1 complete" in section.summary
        assert [row[0] for row in section.rows] == ["ZZ003C"]
        (late,) = _cycle_sections(conn, "new", dt.date(2027, 1, 10))
        assert late.level == "warning" and late.rows == section.rows
        assert _cycle_sections(conn, "new", dt.date(2031, 6, 1)) == []  # no cycle open
