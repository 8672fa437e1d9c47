"""A published version damaged on disk (4 KB overwritten in the current file): every reader notices on first
opening it, answers from the newest intact version with a banner, and one alert goes out; `sps status` and
`sps publish --verify` name the damaged version; a CURRENT pointer that names nothing is reported as what it is,
never as "publish failed"; a rollback never switches to a damaged version; the next refresh rebuilds."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import run_sps, sps_env
from tests.integration.damage import damaged_current

pytestmark = pytest.mark.integration
APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        type(self).received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def damaged(refreshed_data_dir, tmp_path):
    return damaged_current(refreshed_data_dir, tmp_path)


def test_exports_reports_and_status_answer_from_the_newest_intact_version(damaged, tmp_path):
    data, intact, broken = damaged
    with connect_version(str(data / "published" / f"{intact}.duckdb")) as conn:
        rows = conn.execute("select count(*) from fct_observations").fetchall()[0][0]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received.clear()
    env = sps_env(data, SPS_ALERT_WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/hook")
    try:
        export = run_sps(["export", "observations", "--out", str(tmp_path / "obs.csv")], env)
        report = run_sps(["report", "--city", "LV001C", "--out", str(tmp_path / "riga.html")], env)
    finally:
        server.shutdown()
    assert export.returncode == 0 and report.returncode == 0, export.stderr + report.stderr
    for done in (export, report):
        assert f"WARNING: Published version {broken} is damaged" in done.stderr and "the sha256 of" in done.stderr
        assert f"Showing the newest intact version, {intact}" in done.stderr and "Traceback" not in done.stderr
        assert "publish failed" not in done.stderr
    assert f"wrote {rows} rows" in export.stdout and f"published version {intact}" in export.stdout
    sidecar = json.loads((tmp_path / "obs.csv.metadata.json").read_text())
    assert intact in json.dumps(sidecar) and broken not in json.dumps(sidecar)
    assert f"published version {intact}" in report.stdout
    [alert] = _Hook.received  # two readers met it; one alert
    assert f"published version {broken} is damaged" in alert["title"] and alert["details"]["served"] == intact

    status = run_sps(["status"], sps_env(data)).stdout
    assert f"verified:         DAMAGED: published version {broken} is damaged" in status
    assert f"readers serve {intact} (intact)" in status
    verify = run_sps(["publish", "--verify"], sps_env(data))
    assert verify.returncode == 1
    lines = {line.split()[1] if line.startswith("*") else line.split()[0]: line for line in verify.stdout.splitlines()}
    assert "DAMAGED" in lines[broken] and "INTACT" in lines[intact] and "row counts" in lines[intact]
    assert f"sps publish --rollback {intact}" in verify.stderr
    listed = run_sps(["publish", "--list"], sps_env(data)).stdout
    assert "damaged" in next(line for line in listed.splitlines() if broken in line)

    refused = run_sps(["publish", "--rollback", broken], sps_env(data))
    assert refused.returncode == 1 and "is damaged" in refused.stderr and "not switching" in refused.stderr

    from dataclasses import replace

    from pipelines.publishing.plan import plan_refresh
    from pipelines.settings import load_settings

    plan = plan_refresh(replace(load_settings(), data_dir=data))
    assert plan.full and f"published version {broken} is damaged" in plan.reason  # the next refresh rebuilds


def test_the_dashboard_shows_the_intact_version_with_a_banner(damaged, monkeypatch):
    from streamlit.testing.v1 import AppTest

    data, intact, broken = damaged
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    banner = at.warning[0].value
    assert f"Published version {broken} is damaged" in banner and f"newest intact version, {intact}" in banner
    assert len(at.dataframe[-1].value) == 100  # the compare page's real values, from the intact version
    assert any(intact in caption.value for caption in at.caption)
    at.switch_page("views/quality.py").run()
    assert not at.exception and f"Published version {broken} is damaged" in at.warning[0].value


def test_a_pointer_naming_nothing_is_reported_as_such_and_repaired_by_rollback(damaged, tmp_path):
    data, intact, broken = damaged
    pointer = data / "published" / "CURRENT"
    pointer.write_text("../../etc/passwd\n")
    export = run_sps(["export", "observations", "--out", str(tmp_path / "o.csv")], sps_env(data))
    assert export.returncode == 0
    assert "The pointer" in export.stderr and "'../../etc/passwd', which is not a published version" in export.stderr
    assert f"newest intact version, {intact}" in export.stderr and "publish failed" not in export.stderr
    # with no intact version left, the reader fails in one line that says what is wrong and what to do
    from tests.integration.damage import overwrite_4k

    overwrite_4k(data / "published" / f"{intact}.duckdb")
    failed = run_sps(["export", "observations", "--out", str(tmp_path / "p.csv")], sps_env(data))
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1
    assert failed.stderr.startswith("sps export: error: the pointer") and "no intact version is kept" in failed.stderr
    assert "sps refresh --full" in failed.stderr and "publish failed" not in failed.stderr
    assert not (tmp_path / "p.csv").exists()


def test_rollback_repairs_a_broken_pointer(damaged):
    data, intact, _ = damaged
    (data / "published" / "CURRENT").write_text("nonsense\n")
    done = run_sps(["publish", "--rollback"], sps_env(data))
    assert done.returncode == 0 and f"now reads version {intact}" in done.stdout, done.stderr
    assert (data / "published" / "CURRENT").read_text().strip() == f"{intact}.duckdb"
    assert run_sps(["publish", "--verify"], sps_env(data)).returncode == 1  # the damaged newer one is still kept
