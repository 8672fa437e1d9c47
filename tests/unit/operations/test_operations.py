"""Schedules, sensors and alerts evaluated the way Dagster evaluates them (build_schedule_context,
build_sensor_context, build_run_status_sensor_context), against a SYNTHETIC published version whose
fingerprint the test writes, a local Eurostat table-of-contents server, a local SMTP server and a local
webhook listener, all on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest
from aiosmtpd.controller import Controller

from pipelines.operations.alerts import AlertConfig, send_alert
from pipelines.operations.schedules import daily_inbox_refresh, monthly_full_rebuild, weekly_eurostat_refresh
from pipelines.operations.selection import UPLOAD_INPUTS, run_request_for
from pipelines.operations.sensors import alert_on_run_failure, eurostat_update_sensor, inbox_sensor
from pipelines.publishing.fingerprint import CITY_SUBMISSIONS, CODE, MISSING, code_fingerprint
from pipelines.publishing.plan import RefreshPlan
from pipelines.sources.catalog import load_catalog
from pipelines.warehouse.partial import UPLOADS_ONLY_TAG
from tests.fixtures.city_inbox import write_submission
from tests.fixtures.eurostat_server import EurostatServer

ROW = {"indicator_code": "feel_safe_after_dark", "geo_code": "ZZ001C", "period": "2023", "value": "61.5", "unit": "%"}
LOADED_UPDATE = "15.03.2025"


def _publish_fingerprint(data_dir, eurostat_update=LOADED_UPDATE) -> str:
    """A minimal published version (SYNTHETIC) recording that every source was missing except the Eurostat
    datasets, loaded at `eurostat_update`; and an empty warehouse beside it."""
    inputs = {CODE: {"sha256": code_fingerprint()}, CITY_SUBMISSIONS: {"sha256": "", "ids": []}}
    for spec in load_catalog():
        update = eurostat_update if spec.live == "eurostat_sdmx" else None
        inputs[f"raw/{spec.code}"] = {"sha256": MISSING, "last_update": update}
    published = data_dir / "published"
    published.mkdir(parents=True)
    version = "20260101T000000000000Z"
    with duckdb.connect(str(published / f"{version}.duckdb")) as conn:
        conn.execute(
            "create table _publication as select ? as version, now() as published_at, null as previous_version, "
            "? as inputs_json",
            [version, json.dumps(inputs)],
        )
    (published / "CURRENT").write_text(f"{version}.duckdb\n")
    duckdb.connect(str(data_dir / "warehouse.duckdb")).close()
    return version


@pytest.fixture
def offline(tmp_path, monkeypatch):
    data, snapshot = tmp_path / "data", tmp_path / "empty_snapshot"
    snapshot.mkdir()
    monkeypatch.setenv("SPS_DATA_DIR", str(data))
    monkeypatch.setenv("SPS_SNAPSHOT_DIR", str(snapshot))
    monkeypatch.setenv("SPS_MODE", "offline")
    data.mkdir()
    return data


@pytest.fixture
def live(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    with EurostatServer() as server:
        monkeypatch.setenv("SPS_DATA_DIR", str(data))
        monkeypatch.setenv("SPS_SNAPSHOT_DIR", str(tmp_path / "empty_snapshot"))
        monkeypatch.setenv("SPS_MODE", "live")
        monkeypatch.setenv("SPS_EUROSTAT_API", server.url)
        monkeypatch.setenv("SPS_HTTP_RETRIES", "1")
        monkeypatch.setenv("SPS_HTTP_TIMEOUT", "2")
        yield data, server


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def schedule_context(instance, code_location):
    """Evaluate a schedule as the daemon does: with the code location's repository (its asset graph)."""
    repository = code_location.get_repository_def()
    return lambda **kwargs: dg.build_schedule_context(repository_def=repository, instance=instance, **kwargs)


@pytest.fixture
def sensor_context(instance, code_location):
    return lambda: dg.build_sensor_context(definitions=code_location, instance=instance)


def _keys(request: dg.RunRequest) -> set[str]:
    return {key.to_user_string() for key in request.asset_selection}


# --------------------------------------------------------------------------------------------- schedules
def test_schedules_have_the_documented_rhythms():
    assert weekly_eurostat_refresh.cron_schedule == "0 5 * * 1"
    assert daily_inbox_refresh.cron_schedule == "0 6 * * *"
    assert monthly_full_rebuild.cron_schedule == "0 3 1 * *"
    for schedule in (weekly_eurostat_refresh, daily_inbox_refresh, monthly_full_rebuild):
        assert schedule.job_name == "refresh" and schedule.execution_timezone == "Europe/Brussels"


def test_daily_inbox_schedule_skips_an_empty_inbox_and_requests_only_the_upload_path(offline, schedule_context):
    version = _publish_fingerprint(offline)
    skipped = daily_inbox_refresh(schedule_context())
    assert isinstance(skipped, dg.SkipReason)
    assert f"nothing changed in these sources since published version {version}" in skipped.skip_message

    write_submission(offline / "inbox", "20260101T090000000000", "ZZ001C", [ROW])
    request = daily_inbox_refresh(schedule_context())
    assert isinstance(request, dg.RunRequest)
    keys = _keys(request)
    assert {"raw/city_submissions", "raw/city_submission_files", "publish/published_snapshot"} <= keys
    assert "publish/health_report" in keys and "marts/submission_history" in keys
    assert not any(key.startswith("raw/urb_percep") or key.startswith("raw/crim") for key in keys)
    assert request.tags["sps/trigger"] == "daily_inbox_refresh"
    # only city inputs changed: dbt rebuilds only the cities' rows of the largest marts (partial_rebuild.sql)
    assert request.tags[UPLOADS_ONLY_TAG] == "true"


def test_weekly_schedule_requests_a_full_build_when_nothing_is_published(offline, schedule_context):
    request = weekly_eurostat_refresh(schedule_context())
    assert isinstance(request, dg.RunRequest) and request.asset_selection is None
    assert request.tags["sps/plan"] == "full" and UPLOADS_ONLY_TAG not in request.tags


def test_weekly_schedule_offline_sees_a_new_snapshot_file(offline, tmp_path, schedule_context):
    _publish_fingerprint(offline)
    assert isinstance(weekly_eurostat_refresh(schedule_context()), dg.SkipReason)
    eurostat = tmp_path / "empty_snapshot" / "eurostat"
    eurostat.mkdir()
    (eurostat / "crim_off_cat.tsv").write_text("SYNTHETIC\n")
    request = weekly_eurostat_refresh(schedule_context())
    assert isinstance(request, dg.RunRequest)
    keys = _keys(request)
    assert "raw/crim_off_cat" in keys and "publish/published_snapshot" in keys
    assert "raw/urb_percep" not in keys and "raw/city_submissions" not in keys
    assert "raw/crim_off_cat (new file)" in request.tags["sps/plan"]
    assert UPLOADS_ONLY_TAG not in request.tags


def test_only_a_plan_of_city_inputs_alone_asks_for_a_partial_rebuild(code_location):
    graph = code_location.get_repository_def().asset_graph
    for changed, partial in (
        (dict.fromkeys(UPLOAD_INPUTS, "1 new"), True),  # city submissions, city surveys, public space
        ({CITY_SUBMISSIONS: "1 new", "raw/crim_off_cat": "file changed"}, False),  # with a snapshot file: whole
        ({"raw/urb_percep": "file changed"}, False),
    ):
        request = run_request_for(RefreshPlan(full=False, changed=changed, published_version="v"), None, "t", graph)
        assert isinstance(request, dg.RunRequest) and (request.tags.get(UPLOADS_ONLY_TAG) == "true") is partial
    full = run_request_for(RefreshPlan(full=True, reason="asked for (--full)"), None, "t", graph)
    assert UPLOADS_ONLY_TAG not in full.tags


def test_monthly_schedule_always_requests_a_full_rebuild_once_per_month(schedule_context):
    when = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    request = monthly_full_rebuild(schedule_context(scheduled_execution_time=when))
    assert isinstance(request, dg.RunRequest)
    assert request.asset_selection is None and request.run_key == "monthly-2026-12"


# ----------------------------------------------------------------------------------------------- sensors
def test_the_inbox_sensor_asks_for_a_partial_rebuild_only_of_a_version_this_code_built(offline, sensor_context):
    write_submission(offline / "inbox", "20260101T090000000000", "ZZ001C", [ROW])
    first = inbox_sensor(sensor_context())
    assert isinstance(first, dg.RunRequest) and UPLOADS_ONLY_TAG not in first.tags  # nothing published yet
    _publish_fingerprint(offline)
    published = inbox_sensor(sensor_context())
    assert published.tags[UPLOADS_ONLY_TAG] == "true"
    # a new release (the dbt code differs from what built the published version): the marts are rebuilt whole
    version = offline / "published" / (offline / "published" / "CURRENT").read_text().strip()
    with duckdb.connect(str(version)) as conn:
        conn.execute("update _publication set inputs_json = replace(inputs_json, ?, 'an-older-release')",
                     [code_fingerprint()])  # fmt: skip
    assert UPLOADS_ONLY_TAG not in inbox_sensor(sensor_context()).tags


def test_eurostat_sensor_skips_in_offline_mode(offline, sensor_context):
    result = eurostat_update_sensor(sensor_context())
    assert isinstance(result, dg.SkipReason) and "offline mode" in result.skip_message


def test_eurostat_sensor_skips_when_the_table_of_contents_is_unchanged(live, sensor_context):
    data, server = live
    _publish_fingerprint(data)
    for spec in load_catalog():
        server.toc[spec.code] = LOADED_UPDATE
    result = eurostat_update_sensor(sensor_context())
    assert isinstance(result, dg.SkipReason), result
    assert "nothing changed" in result.skip_message
    assert any(path.startswith("/catalogue/toc/txt") for path, _ in server.requests)


def test_eurostat_sensor_requests_only_the_datasets_eurostat_updated(live, sensor_context):
    data, server = live
    _publish_fingerprint(data)
    for spec in load_catalog():
        server.toc[spec.code] = LOADED_UPDATE
    server.toc["crim_gen_reg"] = "20.11.2026"
    result = eurostat_update_sensor(sensor_context())
    assert isinstance(result, dg.RunRequest)
    keys = _keys(result)
    assert "raw/crim_gen_reg" in keys and "publish/published_snapshot" in keys
    assert not {"raw/urb_percep", "raw/crim_off_cat", "raw/city_submissions"} & keys
    assert "Eurostat last update 20.11.2026" in result.tags["sps/plan"] and UPLOADS_ONLY_TAG not in result.tags
    # the same change gives the same run key: Dagster launches it once
    assert eurostat_update_sensor(sensor_context()).run_key == result.run_key


def test_eurostat_sensor_skips_with_the_reason_when_eurostat_is_down(live, sensor_context):
    data, server = live
    _publish_fingerprint(data)
    server.script("/catalogue/toc/txt", "500")
    result = eurostat_update_sensor(sensor_context())
    assert isinstance(result, dg.SkipReason) and "unreachable" in result.skip_message


# ------------------------------------------------------------------------------------------------ alerts
class _Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.server.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def smtp_and_webhook(monkeypatch):
    mailbox = _Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's Controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    webhook.received = []
    threading.Thread(target=webhook.serve_forever, daemon=True).start()
    monkeypatch.setenv("SPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPS_SMTP_PORT", str(port))
    monkeypatch.setenv("SPS_ALERT_EMAIL_TO", "secretariat@example.org, ops@example.org")
    monkeypatch.setenv("SPS_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{webhook.server_port}/hooks/sps")
    try:
        yield mailbox, webhook
    finally:
        controller.stop()
        webhook.shutdown()


@dg.asset
def synthetic_failing_source():
    raise dg.Failure(description="raw/synthetic: the file ends in the middle of line 101")


def test_a_failed_run_alerts_by_email_and_webhook(smtp_and_webhook, instance):
    mailbox, webhook = smtp_and_webhook
    job = dg.define_asset_job("refresh", selection=[synthetic_failing_source])
    defs = dg.Definitions(assets=[synthetic_failing_source], jobs=[job])
    result = defs.resolve_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    alert_on_run_failure(context)

    [mail] = mailbox.messages
    assert mail["Subject"] == f"[SPS Monitor] refresh run {result.run_id[:8]} failed"
    assert mail["To"] == "secretariat@example.org, ops@example.org"
    body = mail.get_payload()
    assert "synthetic_failing_source" in body and "the file ends in the middle of line 101" in body
    assert "published version analysts see is unchanged" in body
    [posted] = webhook.received
    assert posted["details"]["run_id"] == result.run_id
    assert any("line 101" in step for step in posted["details"]["failed_steps"])


def test_an_unreachable_mail_server_or_webhook_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("SPS_HTTP_TIMEOUT", "2")
    config = AlertConfig(
        email_to=("a@example.org",),
        email_from="sps@localhost",
        smtp_host="127.0.0.1",
        smtp_port=1,  # nothing listens on port 1
        smtp_user="",
        smtp_password="",
        smtp_starttls=False,
        webhook_url="http://127.0.0.1:1/hook",
        timeout_s=2,
    )
    deliveries = send_alert("test", "body", config=config)
    assert [(d.channel, d.ok) for d in deliveries] == [("email", False), ("webhook", False)]
    assert all("Refused" in d.detail or "refused" in d.detail for d in deliveries)


def test_nothing_is_sent_when_no_channel_is_configured(monkeypatch):
    for name in ("SPS_SMTP_HOST", "SPS_ALERT_EMAIL_TO", "SPS_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert AlertConfig.from_env().channels == []
    assert send_alert("test", "body") == []
