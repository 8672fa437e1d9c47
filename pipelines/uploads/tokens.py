"""Per-city upload tokens. A token is `<token_id>.<secret>` (the secret: 192 random bits); only a salted PBKDF2
hash of the secret is stored (data/tokens.json, replaced atomically under a file lock), compared in constant
time. A token writes only its own city, can be revoked, and expires: after SPS_TOKEN_DAYS days (default 400), or
`--days N`. Issues and revocations go to the audit trail (pipelines/vault/audit.py)."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.errors import SpsError
from pipelines.settings import load_settings
from pipelines.shared.i18n import N_
from pipelines.vault import audit

ITERATIONS = 200_000
CITY_CODE = re.compile(r"^[A-Z]{2}[0-9]{3}[A-Z0-9]$")


class TokenRejected(SpsError):
    """`reason` is a message id with {placeholders} filled from `values` (readers translate it: the Upload page)."""

    def __init__(self, reason: str, **values) -> None:
        self.hint = "Ask the secretariat for a valid token for your city (sps token issue --city CODE)."
        self.reason, self.values = reason, values
        super().__init__(f"upload token rejected: {reason.format(**values)}.")


def _path(data_dir: Path) -> Path:
    return data_dir / "tokens.json"


@contextmanager
def _locked(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".tokens.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _load(data_dir: Path) -> dict:
    try:
        return json.loads(_path(data_dir).read_text())
    except FileNotFoundError:
        return {}


def _save(data_dir: Path, tokens: dict) -> None:
    tmp = _path(data_dir).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(tokens, indent=2, sort_keys=True))
    os.chmod(tmp, 0o600)
    os.replace(tmp, _path(data_dir))


def _hash(secret: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), ITERATIONS).hex()


def issue_upload_token(data_dir: Path, city: str, days: int | None = None) -> tuple[str, str]:
    """Returns (token_id, token). The token itself is never stored. It expires after `days` days (default:
    SPS_TOKEN_DAYS, 400)."""
    if not CITY_CODE.match(city):
        raise SpsError(f"'{city}' is not an Urban Audit city code like ES002C.")
    if days is not None and days < 1:
        raise SpsError(f"--days {days}: a token must be valid for at least one day.")
    if days is None:
        try:
            days = load_settings().token_days
        except ValueError as exc:
            raise SpsError(str(exc)) from None
    issued_at = datetime.now(UTC)
    expires_at = (issued_at + timedelta(days=days)).isoformat()
    token_id, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(24), secrets.token_hex(16)
    with _locked(data_dir):
        tokens = _load(data_dir)
        tokens[token_id] = {
            "city": city,
            "salt": salt,
            "hash": _hash(secret, salt),
            "issued_at": issued_at.isoformat(),
            "expires_at": expires_at,
            "revoked_at": None,
        }
        _save(data_dir, tokens)
    audit.record(data_dir, "token.issued", token_id=token_id, city=city, expires_at=expires_at)
    return token_id, f"{token_id}.{secret}"


def revoke_upload_token(data_dir: Path, token_id: str) -> str:
    with _locked(data_dir):
        tokens = _load(data_dir)
        if token_id not in tokens:
            raise SpsError(f"no token with id {token_id}.")
        tokens[token_id]["revoked_at"] = datetime.now(UTC).isoformat()
        _save(data_dir, tokens)
    audit.record(data_dir, "token.revoked", token_id=token_id, city=tokens[token_id]["city"])
    return tokens[token_id]["city"]


def list_upload_tokens(data_dir: Path) -> list[dict]:
    return [
        {
            "token_id": k,
            "city": v["city"],
            "issued_at": v["issued_at"],
            "expires_at": v.get("expires_at"),
            "revoked_at": v["revoked_at"],
        }
        for k, v in sorted(_load(data_dir).items())
    ]


def token_city(data_dir: Path, token: str) -> str:
    """The city a valid token may write (the upload page offers it); TokenRejected when the token is not valid."""
    return _valid_token(data_dir, token)[1]["city"]


def expiring_tokens(data_dir: Path, within_days: int = 30, now: datetime | None = None) -> list[dict]:
    """Active (not revoked, not yet expired) tokens that expire within `within_days`, soonest first."""
    now = now or datetime.now(UTC)
    soon = []
    for record in list_upload_tokens(data_dir):
        expires_at = record["expires_at"]
        if record["revoked_at"] or not expires_at:
            continue
        when = datetime.fromisoformat(expires_at)
        if now < when <= now + timedelta(days=within_days):
            soon.append(record | {"days_left": (when - now).days})
    return sorted(soon, key=lambda record: record["expires_at"])


def verify_upload_token(data_dir: Path, token: str, city: str) -> str:
    """The token id if `token` is valid and belongs to `city`; TokenRejected otherwise."""
    token_id, record = _valid_token(data_dir, token)
    if record["city"] != city:
        raise TokenRejected(N_("this token is for {token_city}, not {city}"), token_city=record["city"], city=city)
    return token_id


def _valid_token(data_dir: Path, token: str) -> tuple[str, dict]:
    """The id and record of a known, unrevoked, unexpired token whose secret matches; TokenRejected otherwise."""
    token_id, _, secret = (token or "").strip().partition(".")
    record = _load(data_dir).get(token_id)
    # An unknown id costs the same hash as a known one, so timing tells nothing about which ids exist.
    stored, salt = (record["hash"], record["salt"]) if record else ("0" * 64, "00" * 16)
    matches = hmac.compare_digest(stored, _hash(secret, salt))
    if record is None or not secret or not matches:
        raise TokenRejected(N_("the token is not valid"))
    if record["revoked_at"]:
        raise TokenRejected(N_("the token was revoked on {date}"), date=record["revoked_at"][:10])
    expires_at = record.get("expires_at")
    if expires_at and datetime.fromisoformat(expires_at) <= datetime.now(UTC):
        raise TokenRejected(N_("the token expired on {date}"), date=expires_at[:10])
    return token_id, record
