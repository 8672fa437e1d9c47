"""Access: upload tokens (random, salted hash only, constant-time check, one city, revocable, expiring, never
written anywhere but the one line that issues them), hostile strings through every dashboard query parameter,
and servers bound to 127.0.0.1 by default. Upload values are SYNTHETIC."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import typing
from dataclasses import replace

import pytest

from pipelines.settings import load_settings
from pipelines.uploads import tokens
from pipelines.uploads.submit import submit_upload
from pipelines.uploads.tokens import TokenRejected, issue_upload_token, revoke_upload_token, verify_upload_token
from tests.conftest import PROJECT_ROOT, run_sps, sps_env

HEADER = "indicator_code,geo_code,period,sex,age_group,breakdown,value,unit,ci_low,ci_high,sample_size,source,note"
CLEAN = (HEADER + "\nhomicide_rate,ES003C,2019,,,,0.87,per 100000,,,,SYNTHETIC,\n").encode()


def test_tokens_carry_at_least_128_random_bits_and_only_a_salted_hash_is_stored(tmp_path):
    issued = [issue_upload_token(tmp_path, "ES003C") for _ in range(20)]
    secrets_ = [token.split(".", 1)[1] for _, token in issued]
    assert len(set(secrets_)) == 20
    assert all(len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) * 8 >= 128 for s in secrets_)
    stored = json.loads((tmp_path / "tokens.json").read_text())
    assert set(stored) == {token_id for token_id, _ in issued}
    assert all(
        set(record) == {"city", "salt", "hash", "issued_at", "expires_at", "revoked_at"} for record in stored.values()
    )
    assert len({record["salt"] for record in stored.values()}) == 20
    text = (tmp_path / "tokens.json").read_text()
    assert not any(secret in text for secret in secrets_)
    assert not any(hashlib.sha256(secret.encode()).hexdigest() in text for secret in secrets_)  # not unsalted
    assert (tmp_path / "tokens.json").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_tokens_are_compared_in_constant_time(tmp_path, monkeypatch):
    token_id, token = issue_upload_token(tmp_path, "ES003C")
    calls = []
    real = tokens.hmac.compare_digest
    monkeypatch.setattr(tokens.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert verify_upload_token(tmp_path, token, "ES003C") == token_id
    with pytest.raises(TokenRejected, match="not valid"):
        verify_upload_token(tmp_path, token[:-1] + ("A" if token[-1] != "A" else "B"), "ES003C")
    with pytest.raises(TokenRejected, match="not valid"):
        verify_upload_token(tmp_path, "ffffffff.guess", "ES003C")  # an unknown id is hashed all the same
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("days", "shift_days", "message"),
    [(1, 2, "the token expired on"), (30, 0, None)],
)
def test_an_expired_token_is_refused_with_a_clear_message(tmp_path, days, shift_days, message):
    token_id, token = issue_upload_token(tmp_path, "ES003C", days=days)
    record = json.loads((tmp_path / "tokens.json").read_text())
    if shift_days:  # let time pass: move the expiry into the past
        from datetime import UTC, datetime, timedelta

        record[token_id]["expires_at"] = (datetime.now(UTC) - timedelta(days=shift_days - days)).isoformat()
        (tmp_path / "tokens.json").write_text(json.dumps(record))
    if message:
        with pytest.raises(TokenRejected, match=message) as info:
            verify_upload_token(tmp_path, token, "ES003C")
        assert "Ask the secretariat for a valid token" in str(info.value)
    else:
        assert verify_upload_token(tmp_path, token, "ES003C") == token_id


def test_revoked_token_and_other_city_refused_and_nothing_stored(tmp_path):
    settings = replace(load_settings(), data_dir=tmp_path / "data")
    token_id, token = issue_upload_token(settings.data_dir, "ES003C")
    with pytest.raises(TokenRejected, match="this token is for ES003C, not ES002C"):
        submit_upload(CLEAN.replace(b"ES003C", b"ES002C"), "x.csv", "ES002C", token, None, settings)
    revoke_upload_token(settings.data_dir, token_id)
    with pytest.raises(TokenRejected, match="revoked on"):
        submit_upload(CLEAN, "x.csv", "ES003C", token, None, settings)
    assert not settings.inbox_dir.exists() and not settings.quarantine_dir.exists()


def test_token_issue_with_days_and_list_through_the_cli(tmp_path):
    env = sps_env(tmp_path / "data")
    issued = run_sps(["token", "issue", "--city", "ES003C", "--days", "30"], env)
    assert issued.returncode == 0 and "valid for 30 day(s)" in issued.stdout
    listed = run_sps(["token", "list"], env)
    assert "expires " in listed.stdout and issued.stdout.strip().splitlines()[-1].split(".", 1)[1] not in listed.stdout
    refused = run_sps(["token", "issue", "--city", "ES003C", "--days", "0"], env)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "at least one day" in refused.stderr


def test_a_token_is_never_written_to_outputs_reports_or_the_data_folder(tmp_path):
    """Issue a token, upload an accepted and a rejected file with it (CLI and environment variable), then
    look for the secret everywhere the product writes: stdout/stderr, report files, the whole data folder."""
    data = tmp_path / "data"
    env = sps_env(data)
    issued = run_sps(["token", "issue", "--city", "ES003C"], env)
    token = issued.stdout.strip().splitlines()[-1]
    secret = token.split(".", 1)[1]
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(CLEAN)
    bad.write_bytes(CLEAN.replace(b"homicide_rate", b"no_such_indicator"))
    outputs = [
        run_sps(["upload", str(good), "--city", "ES003C", "--token", token], env),
        run_sps(["upload", str(bad), "--city", "ES003C"], sps_env(data, SPS_UPLOAD_TOKEN=token)),
        run_sps(["upload", str(good), "--city", "ES002C", "--token", token], env),  # wrong city
        run_sps(["upload", str(good), "--city", "ES003C", "--token", token + "x"], env),  # wrong token
        run_sps(["token", "list"], env),
    ]
    assert [o.returncode for o in outputs] == [0, 1, 1, 1, 0]
    for output in outputs:
        assert secret not in output.stdout and secret not in output.stderr
    written = [p for p in [*data.rglob("*"), *tmp_path.glob("*.report.csv")] if p.is_file()]
    assert any(p.parent.parent.name == "quarantine" for p in written) and any(p.name == "tokens.json" for p in written)
    leaking = [str(p) for p in written if secret.encode() in p.read_bytes()]
    assert leaking == []


# ------------------------------------------------------------------------------------- dashboard queries
HOSTILE = [
    "'; drop table fct_observations; --",
    "' or '1'='1",
    '" or 1=1 --',
    "' || error('sql injected') || '",
    "') union select * from duckdb_settings() --",
    "%",
    "_",
    "\\",
    "\x00",
    "../../etc/passwd",
    "ES001C\n; select 1",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ü ß",
    "x" * 10_000,
]


def _query_functions():
    from dashboards import queries

    for name, function in inspect.getmembers(queries, inspect.isfunction):
        if function.__module__ != queries.__name__ or name.startswith("_") or name == "current_published":
            continue
        hints = typing.get_type_hints(function)
        params = [p for p in inspect.signature(function).parameters if p != "published"]
        if params:
            yield name, function, {p: hints.get(p) for p in params}


def _hostile_arguments(kinds: dict, hostile: str) -> list:
    arguments = []
    for kind in kinds.values():
        if kind is int:
            arguments.append(2**62)
        elif typing.get_origin(kind) is tuple:
            arguments.append((hostile, "LV001C' or 1=1 --"))
        else:
            arguments.append(hostile)
    return arguments


@pytest.mark.integration
def test_hostile_strings_through_every_dashboard_query_parameter_return_no_rows(refreshed_data_dir):
    from dashboards import queries

    path = refreshed_data_dir / "published" / (refreshed_data_dir / "published" / "CURRENT").read_text().strip()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    published = queries.Published(version=path.stem, path=str(path))
    functions = list(_query_functions())
    assert len(functions) >= 20  # every query that takes input; a new one is picked up automatically
    for name, function, kinds in functions:
        for hostile in HOSTILE:
            result = function(published, *_hostile_arguments(kinds, hostile))
            if isinstance(result, bool):  # has_table: a hostile name is no table of the version
                size = int(result)
            elif isinstance(result, dict):  # city_profile: one frame per part of the page
                size = sum(len(part) for part in result.values())
            else:
                size = len(result) if result is not None else 0
            assert size == 0, f"{name}({hostile[:40]!r}) returned {size} rows"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    queries_source = (PROJECT_ROOT / "dashboards" / "queries.py").read_text()
    assert ".format(" not in queries_source and "%s" not in queries_source


# ----------------------------------------------------------------------------------------- bind address
def test_dashboard_and_dagster_bind_loopback_by_default(monkeypatch, tmp_path):

    from pipelines import cli

    assert cli.build_parser().parse_args(["serve"]).address == "127.0.0.1"
    config = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "127.0.0.1"' in config
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dev = next(line for line in makefile.splitlines() if "dagster dev" in line)
    assert "-h 127.0.0.1" in dev
    commands = []
    monkeypatch.setattr("pipelines.cli.os.execv", lambda path, command: commands.append(command))
    monkeypatch.setattr("pipelines.versions.serving.serving_version", lambda *a, **k: None)
    monkeypatch.setenv("SPS_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["serve"]) == 0
    command = commands[0]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
