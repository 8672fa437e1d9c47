"""`sps survey form|estimate|upload|list|withdraw` on the SYNTHETIC Toruń example: the same checks and estimates as
the dashboard (surveys.api), one line per failure, nothing stored by a dry run, microdata deleted by a withdrawal."""

from __future__ import annotations

import shutil

import pytest
from pyxform.xls2xform import convert

from pipelines.cli import main
from pipelines.settings import PROJECT_ROOT
from pipelines.surveys.store import store_dir, submissions_dir
from pipelines.uploads.tokens import issue_upload_token

EXAMPLE = PROJECT_ROOT / "examples" / "surveys"


@pytest.fixture
def env(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SPS_DATA_DIR", str(data_dir))
    for name in ("torun_2026_kobo_export.csv", "design.yml", "margins.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    _, token = issue_upload_token(data_dir, "PL013C")
    return tmp_path, data_dir, token


def test_form_writes_an_xlsform_with_the_design_districts(env, capsys):
    folder, _, _ = env
    out = folder / "form.xlsx"
    assert (
        main(
            [
                "survey",
                "form",
                "--out",
                str(out),
                "--lang",
                "pl,en",
                "--city",
                "PL013C",
                "--design",
                str(folder / "design.yml"),
            ]
        )
        == 0
    )
    xform = convert(xlsform=str(out)).xform
    assert "Rubinkowo" in xform and 'lang="Polish (pl)"' in xform and "'PL013C'" in xform
    assert main(["survey", "form", "--out", str(folder / "f.xlsx"), "--lang", "de"]) == 1
    assert "unknown language(s) de" in capsys.readouterr().err


def test_estimate_is_a_dry_run(env, capsys):
    folder, data_dir, _ = env
    out = folder / "estimates.csv"
    code = main(
        [
            "survey",
            "estimate",
            str(folder / "torun_2026_kobo_export.csv"),
            "--city",
            "PL013C",
            "--design",
            str(folder / "design.yml"),
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("indicator_code,geo_code,period,sex,age_group,breakdown,value,ci_low,ci_high,se,df,deff")
    assert "PL013C:d08" in text and "feel_safe_after_dark" in text
    assert "nothing was stored" in capsys.readouterr().out
    assert not store_dir(data_dir).exists()


def test_upload_list_and_withdraw(env, capsys):
    folder, data_dir, token = env
    export = folder / "torun_2026_kobo_export.csv"
    assert (
        main(
            [
                "survey",
                "upload",
                str(export),
                "--city",
                "PL013C",
                "--token",
                token,
                "--design",
                str(folder / "design.yml"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "accepted as submission" in out and "812 respondents" in out
    [submission] = [p.name for p in submissions_dir(data_dir).iterdir()]
    assert main(["survey", "list", "--city", "PL013C"]) == 0
    assert submission in capsys.readouterr().out
    assert main(["survey", "withdraw", submission, "--city", "PL013C", "--token", "bad.token"]) == 1
    assert "upload token rejected" in capsys.readouterr().err
    assert main(["survey", "withdraw", submission, "--city", "PL013C", "--token", token]) == 0
    assert "microdata.parquet" in capsys.readouterr().out
    assert not (submissions_dir(data_dir) / submission / "microdata.parquet").exists()
    assert main(["survey", "list"]) == 0 and "WITHDRAWN" in capsys.readouterr().out


def test_a_rejected_upload_says_so_in_one_line_and_writes_its_report(env, capsys):
    folder, data_dir, token = env
    bad = folder / "bad.csv"
    bad.write_text("resp_id,sex,age,safe_night_area\nr1,1,12,1\nr1,2,40,3\n", encoding="utf-8")
    assert main(["survey", "upload", str(bad), "--city", "PL013C", "--token", token, "--period", "2026"]) == 1
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("sps survey: error: bad.csv rejected: 2 error(s)") and "quarantine" in line
    assert "ERROR line 2, column age (value '12')" in captured.out
    assert "duplicate_resp_id" in (folder / "bad.csv.report.csv").read_text(encoding="utf-8")
    assert not submissions_dir(data_dir).exists() or not any(submissions_dir(data_dir).iterdir())
    assert main(["survey", "upload", str(folder / "missing.csv"), "--city", "PL013C", "--token", token]) == 1
    assert "no such file" in capsys.readouterr().err
