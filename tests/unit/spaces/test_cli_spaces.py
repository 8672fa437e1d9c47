"""`sps space upload`, `sps audit form` and `sps audit upload`: help, one clear line for every failure, a report
beside a rejected file only, and nothing written beside an accepted one. SYNTHETIC shapes (shapes.py)."""

from __future__ import annotations

import pytest

from tests.conftest import run_sps, sps_env
from tests.unit.spaces.shapes import geojson, rect, space


@pytest.fixture
def env(tmp_path):
    return sps_env(tmp_path / "data")


@pytest.fixture
def token(env):
    return run_sps(["token", "issue", "--city", "ES003C"], env).stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("command", [["space", "upload"], ["audit", "form"], ["audit", "upload"]])
def test_every_public_space_command_has_help(command, env):
    result = run_sps([*command, "--help"], env)
    assert result.returncode == 0 and "usage: sps" in result.stdout


def test_a_rejected_layer_gets_its_report_and_one_error_line(tmp_path, env, token):
    path = tmp_path / "d.geojson"
    path.write_bytes(geojson((rect(0, 0, 100, 100), {"codi": "d1"})))
    result = run_sps(["space", "upload", str(path), "--kind", "districts", "--city", "ES003C", "--token", token], env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "d.geojson rejected: 1 error(s)" in result.stderr
    assert "No feature has the property 'district_code'" in result.stdout
    assert (tmp_path / "d.geojson.report.csv").read_text().startswith("severity,row,column,value,rule,message")


def test_an_accepted_layer_writes_nothing_beside_the_file(tmp_path, env, token):
    path = tmp_path / "d.geojson"
    path.write_bytes(geojson((rect(0, 0, 100, 100), {"codi": "d1"}), (rect(0, 0, 100, 100), {"codi": "d2"})))
    args = ["space", "upload", str(path), "--kind", "districts", "--city", "ES003C", "--token", token]
    result = run_sps([*args, "--map", "codi=district_code"], env)
    assert result.returncode == 1 and "overlap by 10,000 m²" in result.stdout  # two identical districts
    path.write_bytes(geojson((rect(0, 0, 100, 100), {"codi": "d1"}), (rect(100, 0, 100, 100), {"codi": "d2"})))
    (tmp_path / "d.geojson.report.csv").unlink()
    result = run_sps([*args, "--map", "codi=district_code"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted as submission" in result.stdout and "2 districts feature(s)" in result.stdout
    assert not (tmp_path / "d.geojson.report.csv").exists()


def test_bad_options_and_tokens_are_one_line(tmp_path, env, token):
    path = tmp_path / "s.geojson"
    path.write_bytes(geojson((rect(0, 0, 10, 10), space("p"))))
    base = ["space", "upload", str(path), "--kind", "open-spaces", "--city", "ES003C"]
    result = run_sps([*base, "--token", token, "--map", "codi"], env)
    assert result.returncode == 1 and "write it as ATTRIBUTE=property" in result.stderr
    result = run_sps([*base, "--token", "abc.def"], env)
    assert result.returncode == 1 and "upload token rejected" in result.stderr
    result = run_sps(["space", "upload", str(tmp_path / "none.geojson"), "--kind", "boundary", "--city", "ES003C",
                      "--token", token], env)  # fmt: skip
    assert result.returncode == 1 and "no such file" in result.stderr
    result = run_sps(["audit", "form", "--out", str(tmp_path / "form.csv")], env)
    assert result.returncode == 1 and "an XLSForm is an .xlsx file" in result.stderr
    assert all("Traceback" not in r for r in (result.stderr,))


def test_audit_form_writes_the_xlsform(tmp_path, env):
    result = run_sps(["audit", "form", "--out", str(tmp_path / "audit.xlsx")], env)
    assert result.returncode == 0 and (tmp_path / "audit.xlsx").stat().st_size > 0
