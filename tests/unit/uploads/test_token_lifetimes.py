"""Token lifetimes: tokens expire (default 400 days, SPS_TOKEN_DAYS), `sps token list` shows when, the health report
and `sps status` name tokens expiring within 30 days; repeated wrong tokens on the upload page are slowed down,
then refused for a while, with a message and a log line (pipelines/uploads/limiter.py)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.uploads import limiter
from pipelines.uploads.limiter import LOCK_AFTER, LOCKOUT_S, TokenLimiter, TooManyWrongTokens
from pipelines.uploads.tokens import TokenRejected, expiring_tokens, issue_upload_token, list_upload_tokens
from tests.conftest import run_sps, sps_env


def _expires_in(record: dict) -> float:
    return (datetime.fromisoformat(record["expires_at"]) - datetime.now(UTC)).total_seconds() / 86400


def test_tokens_expire_after_400_days_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("SPS_TOKEN_DAYS", raising=False)
    issue_upload_token(tmp_path, "ES003C")
    monkeypatch.setenv("SPS_TOKEN_DAYS", "90")
    issue_upload_token(tmp_path, "ES002C")
    issue_upload_token(tmp_path, "LV001C", days=7)
    by_city = {record["city"]: record for record in list_upload_tokens(tmp_path)}
    assert 399.9 < _expires_in(by_city["ES003C"]) <= 400
    assert 89.9 < _expires_in(by_city["ES002C"]) <= 90
    assert 6.9 < _expires_in(by_city["LV001C"]) <= 7
    monkeypatch.setenv("SPS_TOKEN_DAYS", "0")
    with pytest.raises(Exception, match="SPS_TOKEN_DAYS must be at least 1"):
        issue_upload_token(tmp_path, "ES003C")


def test_expiring_tokens_and_where_they_are_named(tmp_path):
    from pipelines.publishing.health import tokens_section

    data = tmp_path / "data"
    soon_id, _ = issue_upload_token(data, "ES003C", days=10)
    issue_upload_token(data, "ES002C", days=200)
    revoked_id, _ = issue_upload_token(data, "LV001C", days=5)
    run_sps(["token", "revoke", revoked_id], sps_env(data))
    [soon] = expiring_tokens(data, 30)
    assert (soon["token_id"], soon["city"], soon["days_left"]) == (soon_id, "ES003C", 9)
    section = tokens_section(data)
    assert section.level == "warning" and "1 expire within 30 days: ES003C on" in section.summary
    assert section.rows[0][:2] == ["ES003C", soon_id] and "sps token issue --city CODE" in section.summary

    listed = run_sps(["token", "list"], sps_env(data)).stdout
    lines = {line.split()[1]: line for line in listed.splitlines()}
    assert "active, expires" in lines["ES003C"] and "(in 9 day(s), SOON)" in lines["ES003C"]
    assert "(in 199 day(s))" in lines["ES002C"] and "revoked" in lines["LV001C"]
    status = run_sps(["status"], sps_env(data)).stdout
    assert f"upload tokens:    1 expire within 30 days: ES003C ({soon_id}) on" in status

    tokens = json.loads((data / "tokens.json").read_text())
    tokens[soon_id]["expires_at"] = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    (data / "tokens.json").write_text(json.dumps(tokens))
    assert "EXPIRED" in run_sps(["token", "list"], sps_env(data)).stdout
    assert expiring_tokens(data, 30) == []
    issued = run_sps(["token", "issue", "--city", "ES003C"], sps_env(data, SPS_TOKEN_DAYS="30"))
    assert "valid for 30 day(s) (until " in issued.stdout


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def limited(tmp_path):
    clock = Clock()
    _, token = issue_upload_token(tmp_path, "ES003C")
    return TokenLimiter(clock=clock, sleep=clock.sleep), clock, tmp_path, token


def test_wrong_tokens_are_slowed_down_then_refused_for_a_while_with_a_log_line(limited, caplog):
    gate, clock, data, token = limited
    caplog.set_level(logging.WARNING, logger="sps.uploads")
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(TokenRejected):
            gate.verify(data, "deadbeef.wrong", "ES003C", "session-a", "203.0.113.7")
    assert clock.slept == [1.0, 2.0]  # attempts 4 and 5 waited; 1-3 were checked at once
    with pytest.raises(TooManyWrongTokens) as locked:
        gate.verify(data, "deadbeef.wrong", "ES003C", "session-a", "203.0.113.7")
    assert clock.slept == [1.0, 2.0, 4.0]
    assert "uploads are refused until" in str(locked.value) and "ask the secretariat" in str(locked.value)
    # now even the right token is refused, from that session and from that address in a new session
    for session in ("session-a", "session-b"):
        with pytest.raises(TooManyWrongTokens):
            gate.verify(data, token, "ES003C", session, "203.0.113.7")
    assert any("wrong token(s) in 15 min" in r.message and "203.0.113.7" in r.message for r in caplog.records)
    assert any("locked out until" in r.message for r in caplog.records)
    assert all(token.split(".")[1] not in r.getMessage() for r in caplog.records)  # never the secret
    # another address and session is not affected; after the lockout the right token works again
    assert gate.verify(data, token, "ES003C", "session-c", "198.51.100.1")
    clock.now += LOCKOUT_S + 1
    assert gate.verify(data, token, "ES003C", "session-a", "203.0.113.7")


def test_a_right_token_clears_its_session_and_old_failures_age_out(limited):
    gate, clock, data, token = limited
    for _ in range(3):
        with pytest.raises(TokenRejected):
            gate.verify(data, "x.y", "ES003C", "s", None)
    gate.verify(data, token, "ES003C", "s", None)
    with pytest.raises(TokenRejected):
        gate.verify(data, "x.y", "ES003C", "s", None)
    assert clock.slept == [1.0]  # the session's count was cleared by the right token
    clock.now += 16 * 60
    for _ in range(3):
        with pytest.raises(TokenRejected):
            gate.verify(data, "x.y", "ES003C", "s", None)
    assert clock.slept == [1.0]  # failures older than 15 minutes no longer count


def test_the_upload_page_refuses_after_repeated_wrong_tokens(tmp_path, monkeypatch, caplog):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    clock = Clock()
    monkeypatch.setattr(limiter, "LIMITER", TokenLimiter(clock=clock, sleep=clock.sleep))
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    _, token = issue_upload_token(tmp_path / "data", "ES003C")
    page = str(Path(__file__).resolve().parents[3] / "dashboards" / "views" / "upload.py")
    at = AppTest.from_file(page, default_timeout=60).run()
    token_box = 0  # the values tab asks for the token first, then offers the city it may write
    for attempt in range(LOCK_AFTER):
        at.text_input[token_box].set_value(f"deadbeef.wrong{attempt}").run()
        assert not at.exception
        at.run()  # a rerun with the same wrong token is not counted again
    assert "too many wrong upload tokens" in at.error[0].value
    assert clock.slept == [1.0, 2.0, 4.0]
    at.text_input[token_box].set_value(token).run()
    assert "too many wrong upload tokens" in at.error[0].value  # refused for a while, even the right token
    clock.now += LOCKOUT_S + 1
    at.text_input[token_box].set_value(token + " ").run()
    assert not at.error or "too many" not in at.error[0].value
