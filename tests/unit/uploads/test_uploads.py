"""City uploads: every problem at once, nothing lost, nothing written for the wrong city. Files here are small
SYNTHETIC examples written by the tests; the real city files are exercised in tests/integration."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.settings import load_settings
from pipelines.uploads.formats import Mapping
from pipelines.uploads.submit import check_file, submit_upload
from pipelines.uploads.tokens import TokenRejected, issue_upload_token, revoke_upload_token, token_city
from tests.fixtures.private import opened, opened_text

HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"


@pytest.fixture
def env(tmp_path):
    s = replace(load_settings(), data_dir=tmp_path / "data")
    _, token = issue_upload_token(s.data_dir, "ES003C")
    return s, token


def test_a_clean_template_file_goes_to_the_inbox_byte_for_byte(env):
    s, token = env
    data = (HEADER + "\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic survey,\n").encode()
    result = submit_upload(data, "results.csv", "ES003C", token, None, s)
    assert result.accepted and result.rows == 1 and not result.problems
    folder = s.inbox_dir / result.submission_id
    assert opened(folder / "original.csv") == data
    metadata = json.loads(opened(folder / "metadata.json"))
    assert metadata["city_code"] == "ES003C" and metadata["original_filename"] == "results.csv"
    row = next(csv.DictReader(opened_text(folder / "rows.csv")))
    assert (row["value"], row["unit"], row["ci_low"], row["sample_size"]) == ("61.5", "% of population", "58.2", "700")
    assert not s.quarantine_dir.exists()


def test_every_problem_is_reported_at_once_and_nothing_is_loaded(env):
    s, token = env
    lines = [
        HEADER,
        "homicide_rate,ES003C,2019,,,,0.87,per 100000,,,,,",  # 2: fine
        "homicide_rate,ES002C,2019,,,,0.9,per 100000,,,,,",  # 3: another city
        "no_such_code,ES003C,2019,,,,1,%,,,,,",  # 4: unknown indicator
        "feel_safe_after_dark,ES003C,2099,other,,,140,%,,,,,",  # 5: future, sex, > 100
        'feel_safe_after_dark,ES003C,2018,,,,"12,5",%,,,,,',  # 6: decimal comma in a comma file
        "feel_safe_after_dark,ES003C,2017,,,,50,%,55,60,0,,",  # 7: interval, sample size
        "homicide_rate,ES003C,2019,,,,0.87,per 100000,,,,,",  # 8: duplicate of 2
        "homicide_rate,ES003C,19,,,,,%,,,,,",  # 9: period, empty value, unit
    ]
    result = submit_upload("\n".join(lines).encode(), "bad.csv", "ES003C", token, None, s)
    assert not result.accepted
    found = {(p.row, p.column, p.rule) for p in result.errors}
    assert found == {
        (3, "geo_code", "wrong_city"),
        (4, "indicator_code", "unknown_indicator"),
        (5, "period", "future_period"),
        (5, "sex", "sex"),
        (5, "value", "range"),
        (6, "value", "not_a_number"),
        (7, "ci_low", "interval"),
        (7, "sample_size", "sample_size"),
        (2, None, "duplicate_key"),
        (8, None, "duplicate_key"),
        (9, "period", "period_format"),
        (9, "value", "required"),
        (9, "unit", "unit"),
    }
    assert next(p for p in result.errors if p.row == 9 and p.column == "value").shown_value == "empty"
    assert not s.inbox_dir.exists()
    quarantined = s.quarantine_dir / result.submission_id
    report = list(csv.DictReader(opened_text(quarantined / "report.csv")))
    assert len(report) == len(result.problems) and (quarantined / "original.csv").exists()


def test_tokens_are_per_city_hashed_and_revocable(env):
    s, token = env
    data = (HEADER + "\nhomicide_rate,ES003C,2019,,,,0.87,per 100000,,,,,\n").encode()
    with pytest.raises(TokenRejected, match="for ES003C, not ES002C"):
        submit_upload(data, "x.csv", "ES002C", token, None, s)
    with pytest.raises(TokenRejected, match="not valid"):
        submit_upload(data, "x.csv", "ES003C", token + "x", None, s)
    stored = (s.data_dir / "tokens.json").read_text()
    assert token.split(".", 1)[1] not in stored
    assert token_city(s.data_dir, token) == "ES003C"  # the upload page offers the token's own city
    with pytest.raises(TokenRejected, match="not valid"):
        token_city(s.data_dir, token + "x")
    revoke_upload_token(s.data_dir, token.split(".")[0])
    with pytest.raises(TokenRejected, match="revoked"):
        submit_upload(data, "x.csv", "ES003C", token, None, s)
    with pytest.raises(TokenRejected, match="revoked"):
        token_city(s.data_dir, token)
    assert not s.inbox_dir.exists() and not s.quarantine_dir.exists()


def test_bom_semicolons_decimal_comma_crlf_and_windows_1252_are_accepted(env):
    s, token = env
    text = HEADER.replace(",", ";") + "\r\nfeel_safe_after_dark;ES003C;2019;;;;61,5;%;;;;Encuesta de València;\r\n"
    for data in ("\ufeff" + text).encode("utf-8"), text.encode("cp1252"):
        fmt, rows, problems = check_file(data, "semicolons.csv", "ES003C", None, s)
        assert fmt == "sps_template" and not problems
        assert rows[0]["value"] == "61.5" and rows[0]["source"] == "Encuesta de València"


def test_xlsx_is_read_as_text_and_a_per_1000_rate_is_converted(env):
    from openpyxl import Workbook

    s, token = env
    workbook = Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append(["homicide_rate", "ES003C", 2019, None, None, None, 0.0087, "per 1 000"] + [None] * 5)
    buffer = io.BytesIO()
    workbook.save(buffer)
    fmt, rows, problems = check_file(buffer.getvalue(), "rates.xlsx", "ES003C", None, s)
    assert [p.rule for p in problems] == ["unit_converted"]
    assert float(rows[0]["value"]) == pytest.approx(0.87) and rows[0]["unit"] == "offences per 100 000 inhabitants"


def test_open_sdg_file_with_a_mapping(env):
    s, _ = env
    data = b"Year,Gender,Age,GeoCode,Value\n2018,,,,6.56\n2018,Men,,,6.61\n2018,,18 a 39,,6.4\n2018,,,d1,7.41\n"
    mapping = Mapping(
        local_name="Neighbourhood safety rating",
        local_unit="score 1-10",
        columns={"Gender": "sex", "Age": "age_group"},
        values={"Gender": {"Men": "male"}},
    )
    fmt, rows, problems = check_file(data, "16-1-2.csv", "ES003C", mapping, s)
    assert fmt == "open_sdg" and not problems
    assert {r["indicator_code"] for r in rows} == {"local:ES003C:neighbourhood_safety_rating"}
    assert [(r["geo_code"], r["parent_geo_code"], r["sex"], r["age_group"]) for r in rows] == [
        ("ES003C", "", "", ""),
        ("ES003C", "", "male", ""),
        ("ES003C", "", "", "18 a 39"),
        ("ES003C:d1", "ES003C", "", ""),
    ]
    _, _, missing = check_file(data, "16-1-2.csv", "ES003C", Mapping(), s)
    assert any("which indicator it holds" in p.message for p in missing)


def test_an_open_sdg_file_of_several_indicators_names_each_rows_indicator_in_its_series_column(env):
    s, _ = env
    data = (
        b"Year,Series,Units,GeoCode,Value\n"
        b"2019,Feel safe walking alone at night in the city,% of respondents,,71.5\n"
        b"2019,Feel safe walking alone at night in the neighbourhood,% of respondents,,80\n"
        b"2019,feel_safe_city,% of respondents,,75\n"  # a code needs no mapping
    )
    mapping = Mapping(
        columns={"Series": "indicator"},
        values={
            "Series": {
                "Feel safe walking alone at night in the city": "feel_safe_night_city",
                "Feel safe walking alone at night in the neighbourhood": "feel_safe_night_neighbourhood",
            }
        },
        source="SYNTHETIC city survey",
    )
    fmt, rows, problems = check_file(data, "indicator_16-1-4.csv", "ES003C", mapping, s)
    assert fmt == "open_sdg" and not problems
    assert [(r["indicator_code"], r["breakdown"], r["value"]) for r in rows] == [
        ("feel_safe_night_city", "", "71.5"),
        ("feel_safe_night_neighbourhood", "", "80"),
        ("feel_safe_city", "", "75"),
    ]


def test_an_unmapped_series_label_or_two_indicator_columns_are_reported(env):
    s, _ = env
    data = b"Year,Series,Other,Units,Value\n2019,Sense of safety,x,% of respondents,75\n"
    _, _, problems = check_file(data, "f.csv", "ES003C", Mapping(columns={"Series": "indicator"}), s)
    assert [(p.rule, p.column, p.value) for p in problems if p.severity == "error"] == [
        ("unknown_indicator", "indicator_code", "Sense of safety")
    ]
    two = Mapping(columns={"Series": "indicator", "Other": "indicator"})
    _, _, problems = check_file(data, "f.csv", "ES003C", two, s)
    assert any(p.rule == "mapping" and "map one column to it" in p.message for p in problems)


def test_a_breakdown_column_can_be_read_under_another_name_and_an_empty_name_is_refused(env):
    """An Open SDG export renames a breakdown called like an Open SDG column ('Series (breakdown)'); its mapping
    reads it back under its own name with the target 'breakdown:Series'."""
    s, _ = env
    data = b"Year,Series (breakdown),Units,GeoCode,Value\n2019,Deprivation,% of respondents,,75\n"
    renamed = Mapping(indicator="feel_safe_city", columns={"Series (breakdown)": "breakdown:Series"})
    _, rows, problems = check_file(data, "f.csv", "ES003C", renamed, s)
    assert not problems and [r["breakdown"] for r in rows] == ["Series=Deprivation"]
    empty = Mapping(indicator="feel_safe_city", columns={"Series (breakdown)": "breakdown: "})
    _, _, problems = check_file(data, "f.csv", "ES003C", empty, s)
    assert any(p.rule == "mapping" and "'breakdown:Name'" in p.message for p in problems)


def test_file_names_never_become_paths_and_formulas_are_neutralised(env):
    s, token = env
    data = (HEADER + '\nhomicide_rate,ES003C,2019,,,,0.87,per 100000,,,,"=HYPERLINK(""http://x"")",\n').encode()
    result = submit_upload(data, "../../etc/x.csv", "ES003C", token, None, s)
    assert result.accepted
    folder = s.inbox_dir / result.submission_id
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "original.csv", "rows.csv"]
    bad = (HEADER + "\n=cmd|' /C calc'!A0,ES003C,2019,,,,1,%,,,,,\n").encode()
    rejected = submit_upload(bad, "f.csv", "ES003C", token, None, s)
    report = opened(s.quarantine_dir / rejected.submission_id / "report.csv").decode("utf-8")
    assert "'=cmd" in report and ",=cmd" not in report


def test_size_limit_is_checked_before_parsing(env, monkeypatch):
    s, _ = env
    monkeypatch.setenv("SPS_UPLOAD_MAX_MB", "0.001")
    _, _, problems = check_file(b"x" * 2000, "big.csv", "ES003C", None, s)
    assert len(problems) == 1 and "over the" in problems[0].message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: (HEADER + "\n" + t).encode("utf-8")))
def test_random_bytes_and_mangled_csv_never_crash(env, data):
    s, _ = env
    fmt, rows, problems = check_file(data, "fuzz.csv", "ES003C", None, s)
    assert problems or rows or fmt  # a clean acceptance or a clean report; no exception


def test_cli_rejects_with_one_line_and_writes_the_report(tmp_path):
    from tests.conftest import run_sps, sps_env

    env_vars = sps_env(tmp_path / "data")
    issued = run_sps(["token", "issue", "--city", "ES003C"], env_vars)
    token = issued.stdout.strip().splitlines()[-1]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\nno_such,ES003C,2019,,,,1,%,,,,,\n")
    result = run_sps(["upload", str(bad), "--city", "ES003C", "--token", token], env_vars)
    assert result.returncode == 1 and "rejected: 1 error(s)" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (tmp_path / "bad.csv.report.csv").exists()
    template = tmp_path / "template.xlsx"
    assert run_sps(["template", "--out", str(template)], env_vars).returncode == 0
    from openpyxl import load_workbook

    workbook = load_workbook(template)
    assert workbook.sheetnames == ["data", "data dictionary", "indicators", "definitions"]
    # the data dictionary says which unit each indicator takes and what else is read, and which sex codes
    indicators = {row[0]: row for row in workbook["indicators"].iter_rows(min_row=2, values_only=True)}
    header = [cell.value for cell in workbook["indicators"][1]]
    homicide = dict(zip(header, indicators["homicide_rate"], strict=True))
    assert homicide["unit"] == "offences per 100 000 inhabitants"
    assert "per 100 000 inhabitants" in homicide["unit read with a warning"]
    assert "per 1 000 (x100)" in homicide["unit converted with a warning"]
    assert homicide["sex"] == "female, male, or empty for both sexes"
    sex = next(r for r in workbook["data dictionary"].iter_rows(min_row=2, values_only=True) if r[0] == "sex")
    assert "total" in sex[3] and "_t" in sex[3]


def test_workbooks_with_macros_or_a_zip_bomb_are_refused_without_reading_them(env):
    import zipfile

    s, _ = env
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/vbaProject.bin", b"\x00" * 10)
    _, _, problems = check_file(buffer.getvalue(), "macro.xlsm", "ES003C", None, s)
    assert len(problems) == 1 and "macros" in problems[0].message
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 1024 * 1024))
    _, _, problems = check_file(bomb.getvalue(), "bomb.xlsx", "ES003C", None, s)
    assert len(problems) == 1 and "zip bomb" in problems[0].message


def test_a_big_change_against_the_published_value_warns_but_does_not_block():
    from pipelines.uploads.validate import Catalogue, validate_rows

    row = {
        "indicator_code": "homicide_rate",
        "geo_code": "ES003C",
        "period": "2023",
        "sex": "",
        "age_group": "",
        "breakdown": "",
        "value": "2.0",
        "unit": "per 100000",
        "ci_low": "",
        "ci_high": "",
        "sample_size": "",
        "source": "",
        "note": "",
        "source_row": 2,
    }
    previous = {("homicide_rate", "ES003C"): ("2022", 0.87)}
    clean, problems = validate_rows([row], "ES003C", False, Catalogue.load(), previous)
    assert [(p.severity, p.rule) for p in problems] == [("warning", "big_change")]
    assert "0.87 in 2022" in problems[0].message and clean[0]["value"] == "2"
    _, calm = validate_rows([dict(row, value="1.0")], "ES003C", False, Catalogue.load(), previous)
    assert calm == []


def _sps_in(folder, args, env):
    """`sps` run from `folder` (the current folder is where a report goes when it cannot go beside the file)."""
    import subprocess

    from tests.conftest import SPS

    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run([SPS, *args], env=env, capture_output=True, text=True, timeout=300, cwd=folder)


def test_a_file_in_the_data_snapshot_gets_its_report_in_the_current_folder_not_beside_it(tmp_path):
    """The snapshot is read in place and never written (DESIGN): checking a file that sits in it writes the problem
    report in the folder `sps` runs from, and says so."""
    from tests.conftest import sps_env

    snapshot = tmp_path / "snapshot"
    (snapshot / "city_reported").mkdir(parents=True)
    bad = snapshot / "city_reported" / "SYNTHETIC_bad.csv"
    bad.write_text(HEADER + "\nno_such,ES003C,2019,,,,1,%,,,,,\n")
    env = sps_env(tmp_path / "data", snapshot)
    token = _sps_in(tmp_path, ["token", "issue", "--city", "ES003C"], env).stdout.strip().splitlines()[-1]
    work = tmp_path / "work"
    done = _sps_in(work, ["upload", str(bad), "--city", "ES003C", "--token", token, "--check"], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert [p.name for p in bad.parent.iterdir()] == ["SYNTHETIC_bad.csv"]  # nothing written into the snapshot
    report = work / "SYNTHETIC_bad.csv.report.csv"
    assert f"The full report is in {report}" in done.stderr and "no_such" in report.read_text()


def test_a_report_that_cannot_be_written_beside_the_file_goes_to_the_current_folder_or_is_said_missing(tmp_path):
    """Beside the file, then also in the current folder, the report's name is taken by a folder (as good as a
    read-only share, also for root): no crash; the report goes to the current folder, and when that cannot be
    written either, the problems are printed and the one line says there is no report file and why."""
    from tests.conftest import sps_env

    env = sps_env(tmp_path / "data")
    token = _sps_in(tmp_path, ["token", "issue", "--city", "ES003C"], env).stdout.strip().splitlines()[-1]
    share, work = tmp_path / "share", tmp_path / "work"
    bad = share / "SYNTHETIC_bad.csv"
    (share / "SYNTHETIC_bad.csv.report.csv").mkdir(parents=True)
    bad.write_text(HEADER + "\nno_such,ES003C,2019,,,,1,%,,,,,\nfeel_safe_after_dark,ES003C,20x9,,,,1,%,,,,,\n")
    done = _sps_in(work, ["upload", str(bad), "--city", "ES003C", "--token", token], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "rejected: 2 error(s)" in done.stderr and done.stderr.count("\n") == 1
    assert f"The full report is in {work / 'SYNTHETIC_bad.csv.report.csv'}" in done.stderr  # the current folder

    (work / "SYNTHETIC_bad.csv.report.csv").unlink()
    (work / "SYNTHETIC_bad.csv.report.csv").mkdir()
    again = _sps_in(work, ["upload", str(bad), "--city", "ES003C", "--token", token], env)
    assert again.returncode == 1 and "Traceback" not in again.stderr and again.stderr.count("\n") == 1
    assert "No report file was written" in again.stderr and "cannot be written" in again.stderr
    assert "no_such" in again.stdout and "20x9" in again.stdout  # every problem still printed


def test_a_missing_or_broken_mapping_file_is_refused_in_one_line(tmp_path):
    from tests.conftest import run_sps, sps_env

    env = sps_env(tmp_path / "data")
    token = run_sps(["token", "issue", "--city", "ES003C"], env).stdout.strip().splitlines()[-1]
    good = tmp_path / "SYNTHETIC_good.csv"
    good.write_text(HEADER + "\nfeel_safe_after_dark,ES003C,2019,,,,61.5,%,58.2,64.8,700,Synthetic survey,\n")
    broken = tmp_path / "broken.yml"
    broken.write_text("columns: [unclosed\n")
    listed = tmp_path / "listed.yml"
    listed.write_text("- a\n- b\n")
    for mapping, expected in (
        (tmp_path / "nowhere.yml", "no such file"),
        (broken, "not a YAML mapping"),
        (listed, "not a YAML mapping"),
    ):
        done = run_sps(
            ["upload", str(good), "--city", "ES003C", "--token", token, "--mapping", str(mapping), "--check"], env
        )
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and expected in done.stderr and str(mapping) in done.stderr, done.stderr


def test_a_token_is_issued_only_for_a_city_of_the_published_geographies(tmp_path, refreshed_data_dir):
    """A typo in `sps token issue --city` would put a city's uploads under a code no page lists: refused in one
    line with the nearest codes, unless --unlisted (a city Eurostat does not list); with nothing published yet,
    the token is issued and the line says the code was not checked."""
    from tests.conftest import refreshed_copy, run_sps, sps_env

    env = sps_env(refreshed_copy(refreshed_data_dir, tmp_path / "data"))
    before = set(run_sps(["token", "list"], env).stdout.splitlines())
    for typo in ("valencia", "XX999C", "ES003C:district"):
        refused = run_sps(["token", "issue", "--city", typo], env)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 1 and f"--city {typo}: not a city code" in refused.stderr
    assert "ES003C Valencia" in run_sps(["token", "issue", "--city", "valencia"], env).stderr  # the nearest code
    assert set(run_sps(["token", "list"], env).stdout.splitlines()) == before  # nothing issued
    assert "Token " in run_sps(["token", "issue", "--city", "es003c"], env).stdout
    unlisted = run_sps(["token", "issue", "--city", "XX999C", "--unlisted"], env)
    assert unlisted.returncode == 0 and "not among the published geographies" in unlisted.stdout
    issued = set(run_sps(["token", "list"], env).stdout.splitlines()) - before
    assert sorted(line.split()[1] for line in issued) == ["ES003C", "XX999C"]
    empty = run_sps(["token", "issue", "--city", "XX999C"], sps_env(tmp_path / "empty"))
    assert empty.returncode == 0 and "not checked against the geographies: nothing is published yet" in empty.stdout
