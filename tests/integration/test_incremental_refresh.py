"""The secretariat's refresh on the real snapshot: a refresh with nothing new does nothing; a changed source
rebuilds only what depends on it and its revised value lands in `revisions`; a city resubmission is a
revision too; the health report says so; a rollback points the dashboard back; a failed refresh alerts.

The revision fixture is made at test time: the real urb_percep file copied into a temporary snapshot (made of
symlinks to the real files) with ONE value changed, AT001C "strongly agree" in 2015 from 53.0 to 54.0, so the
published feel_safe_city 2015 for Wien goes from 86.0 (53 + 33) to 87.0. Nothing is committed or written to
the real snapshot. City submissions are SYNTHETIC (tests/fixtures/city_inbox.py)."""

from __future__ import annotations

import fcntl
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipelines.versions.connection import connect_version
from tests.conftest import mirror_snapshot, run_sps, sps_env
from tests.fixtures.city_inbox import write_submission

pytestmark = pytest.mark.integration

REVISED_LINE = "PS3290V,PC,AT001C\t: \t53.0 \t"


def _current(data: Path) -> str:
    """The version the CURRENT pointer names (its file is <version>.duckdb)."""
    return Path((data / "published" / "CURRENT").read_text().strip()).stem


def _published(data: Path) -> duckdb.DuckDBPyConnection:
    return connect_version(str(data / "published" / f"{_current(data)}.duckdb"))


def _dbt_tested_models(data: Path) -> set[str]:
    """Names of the tests dbt ran in its latest invocation (from the warehouse's ops table)."""
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        return {
            row[0]
            for row in conn.execute(
                "select name from ops.dbt_test_results where invocation_id = "
                "(select invocation_id from ops.dbt_test_results order by recorded_at desc limit 1)"
            ).fetchall()
        }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, snapshot_dir):
    root = tmp_path_factory.mktemp("incremental")
    snapshot, data = root / "snapshot", root / "data"
    mirror_snapshot(snapshot_dir, snapshot)
    env = sps_env(data, snapshot)
    first = run_sps(["refresh"], env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "full rebuild: nothing is published yet" in first.stdout
    return {"snapshot": snapshot, "data": data, "env": env, "real": snapshot_dir}


def test_a_refresh_with_nothing_new_rebuilds_and_republishes_nothing(workspace):
    data, env = workspace["data"], workspace["env"]
    before = _current(data)
    versions = sorted(p.name for p in (data / "published").glob("*.duckdb"))
    logs = sorted((data / "logs").glob("*.log"))
    warehouse_mtime = (data / "warehouse.duckdb").stat().st_mtime_ns
    result = run_sps(["refresh"], env)
    assert result.returncode == 0, result.stderr
    assert f"nothing changed since published version {before}" in result.stdout
    assert "nothing rebuilt or republished" in result.stdout
    assert _current(data) == before
    assert sorted(p.name for p in (data / "published").glob("*.duckdb")) == versions
    assert sorted((data / "logs").glob("*.log")) == logs  # no Dagster run, no dbt
    assert (data / "warehouse.duckdb").stat().st_mtime_ns == warehouse_mtime


def test_a_revised_eurostat_value_rebuilds_only_its_models_and_is_listed_in_revisions(workspace):
    data, env, snapshot = workspace["data"], workspace["env"], workspace["snapshot"]
    previous = _current(data)
    target = snapshot / "eurostat" / "urb_percep.tsv"
    text = (workspace["real"] / "eurostat" / "urb_percep.tsv").read_text()
    assert text.count(REVISED_LINE) == 1
    target.unlink()  # the symlink; the real file is never touched
    target.write_text(text.replace(REVISED_LINE, "PS3290V,PC,AT001C\t: \t54.0 \t"))

    result = run_sps(["refresh"], env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "rebuilding what depends on raw/urb_percep (file changed)" in result.stdout
    tested = _dbt_tested_models(data)
    assert any("stg_eurostat__urb_percep" in name for name in tested)
    assert not any("crim_gen_reg" in name or "crim_off_cat" in name for name in tested)  # not rebuilt

    with _published(data) as conn:
        revised = conn.execute(
            "select from_version, change, indicator_code, geo_code, period, old_value, new_value, source_dataset "
            "from revisions where change = 'revised'"
        ).fetchall()
        wien = conn.execute(
            "select value from fct_observations where indicator_code = 'feel_safe_city' and geo_code = 'AT001C' "
            "and period = '2015'"
        ).fetchall()
        health = conn.execute("select markdown from _health").fetchall()[0][0]
        crime_rows = conn.execute("select count(*) from fct_police_recorded_offences").fetchall()[0][0]
    assert revised == [(previous, "revised", "feel_safe_city", "AT001C", "2015", 86.0, 87.0, "urb_percep")]
    assert wien == [(87.0,)]
    assert crime_rows > 0  # the marts not rebuilt are still published, copied as they were
    assert "1 value(s) revised" in health and "| feel_safe_city | AT001C | 2015 | 86.0 | 87.0 | urb_percep |" in health
    report = data / "reports" / "health" / f"{_current(data)}.html"
    assert report.exists() and "feel_safe_city" in report.read_text()


def test_a_city_resubmission_is_a_revision_with_both_submissions(workspace):
    data, env = workspace["data"], workspace["env"]
    row = {"indicator_code": "feel_safe_after_dark", "geo_code": "LV001C", "period": "2023", "unit": "% of population"}
    first = write_submission(data / "inbox", "20260101T090000000000", "LV001C", [row | {"value": "60"}])
    assert run_sps(["refresh"], env).returncode == 0
    second = write_submission(data / "inbox", "20260201T090000000000", "LV001C", [row | {"value": "62.5"}])
    result = run_sps(["refresh"], env)
    assert result.returncode == 0, result.stderr
    assert "raw/city_submissions (1 new inbox submission(s)" in result.stdout
    with _published(data) as conn:
        revised = conn.execute(
            "select old_value, new_value, source_type, old_submission_id, new_submission_id from revisions "
            "where change = 'revised' and geo_code = 'LV001C'"
        ).fetchall()
        sections = json.loads(conn.execute("select report_json from _health").fetchall()[0][0])["sections"]
        uploads = next(section for section in sections if section["title"] == "Uploads")
    assert revised == [(60.0, 62.5, "city_report", first, second)]
    assert uploads["rows"] == [["LV001C", 1, 1, 0]]


def test_rollback_points_the_dashboard_at_the_earlier_version_and_forward_again(workspace):
    from streamlit.testing.v1 import AppTest

    data, env = workspace["data"], workspace["env"]
    newest = _current(data)
    listing = run_sps(["publish", "--list"], env)
    assert f"* {newest}" in listing.stdout
    older = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line.startswith("  2")][-1]

    back = run_sps(["publish", "--rollback"], env)
    assert back.returncode == 0, back.stderr
    assert _current(data) == older
    assert f"now reads version {older}" in back.stdout

    import os

    saved = os.environ.get("SPS_DATA_DIR")
    os.environ["SPS_DATA_DIR"] = str(data)
    try:
        app = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
        at = AppTest.from_file(str(app), default_timeout=60)
        at.switch_page("views/quality.py").run()
        assert not at.exception
        assert any(older in caption.value for caption in at.caption)
        assert any(expander.label.startswith("Health report of this version") for expander in at.expander)
        assert any(
            f"health report: version {older}" in markdown.value for markdown in at.markdown
        )  # the report of the version served, read from inside that version
        assert not any(newest in caption.value for caption in at.caption)
    finally:
        if saved is None:
            os.environ.pop("SPS_DATA_DIR")
        else:
            os.environ["SPS_DATA_DIR"] = saved

    forward = run_sps(["publish", "--rollback", newest], env)
    assert forward.returncode == 0 and _current(data) == newest
    unknown = run_sps(["publish", "--rollback", "20990101T000000000000Z"], env)
    assert unknown.returncode == 1 and "no published version" in unknown.stderr and "Traceback" not in unknown.stderr


def test_status_shows_version_health_freshness_and_last_runs(workspace):
    result = run_sps(["status"], workspace["env"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"published:        {_current(workspace['data'])}" in out
    # how the version was built, from its own metadata, apart from this shell's settings
    assert f"offline mode, snapshot folder {workspace['snapshot']}" in out
    assert "sources (as the published version recorded them):" in out
    assert "this shell (used by the next sps refresh):" in out
    assert "health:" in out and "Revisions:" in out
    assert "urb_percep" in out and "loaded 20" in out
    assert "last runs:" in out and "SUCCESS" in out and "sps refresh (raw/city_submissions)" in out


def test_a_second_refresh_is_refused_while_one_holds_the_lock(workspace):
    data, env = workspace["data"], workspace["env"]
    with open(data / ".refresh.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            result = run_sps(["refresh"], env)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    assert result.returncode == 1
    assert "another refresh is running" in result.stderr and "Traceback" not in result.stderr


class _Listener(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_failed_refresh_alerts_the_webhook_and_keeps_the_published_version(workspace):
    data, snapshot = workspace["data"], workspace["snapshot"]
    before = _current(data)
    broken = snapshot / "eurostat" / "crim_off_cat.tsv"
    lines = (workspace["real"] / "eurostat" / "crim_off_cat.tsv").read_text().splitlines(keepends=True)
    broken.unlink()
    broken.write_text("".join(lines[:100]) + lines[100][:7])  # truncated mid-line
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = workspace["env"] | {"SPS_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/hook"}
        result = run_sps(["refresh"], env)
    finally:
        server.shutdown()
        broken.unlink()
        broken.symlink_to(workspace["real"] / "eurostat" / "crim_off_cat.tsv")
    assert result.returncode == 4  # its only source failed: nothing could be refreshed
    assert "crim_off_cat" in result.stderr and "Traceback" not in result.stderr
    assert "alert via webhook sent" in result.stderr
    assert _current(data) == before
    [alert] = _Listener.received
    assert "sps refresh failed" in alert["title"] and "crim_off_cat" in alert["text"]
    assert any("crim_off_cat" in step for step in alert["details"]["failed_steps"])
