"""Failure alerts by e-mail (SMTP) and/or a webhook (JSON POST), configured only through SPS_* variables.

    SPS_ALERT_EMAIL_TO     comma-separated recipients (e-mail off when empty)
    SPS_SMTP_HOST / SPS_SMTP_PORT (25) / SPS_SMTP_USER / SPS_SMTP_PASSWORD / SPS_SMTP_STARTTLS (0|1)
    SPS_ALERT_EMAIL_FROM   sender (default sps-monitor@localhost)
    SPS_ALERT_WEBHOOK_URL  URL that receives {"text": ..., "title": ..., "details": {...}} (Slack/Teams/Mattermost
                           incoming webhooks accept the "text" field)

Used by the Dagster run-failure and backup sensors (runs launched by schedules, sensors or the UI), by
`sps refresh` (runs started from cron or by hand), and by every reader that finds the published version
damaged (the dashboard, `sps export`, `sps report`: `alert_once`), so a failure is reported whichever way it
was met. A leaf module (shared/): the dashboard may import it. Sending never
raises: a broken mail server must not hide the failure being reported; each channel's outcome is returned
and logged. Nothing is sent unless configured: no data leaves the machine unasked.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import requests


@dataclass(frozen=True)
class AlertConfig:
    email_to: tuple[str, ...]
    email_from: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    webhook_url: str
    timeout_s: float = 10.0

    @classmethod
    def from_env(cls) -> AlertConfig:
        env = os.environ.get
        return cls(
            email_to=tuple(a.strip() for a in env("SPS_ALERT_EMAIL_TO", "").split(",") if a.strip()),
            email_from=env("SPS_ALERT_EMAIL_FROM", "sps-monitor@localhost"),
            smtp_host=env("SPS_SMTP_HOST", "").strip(),
            smtp_port=int(env("SPS_SMTP_PORT", "25") or 25),
            smtp_user=env("SPS_SMTP_USER", ""),
            smtp_password=env("SPS_SMTP_PASSWORD", ""),
            smtp_starttls=env("SPS_SMTP_STARTTLS", "0").strip() in ("1", "true", "yes"),
            webhook_url=env("SPS_ALERT_WEBHOOK_URL", "").strip(),
            timeout_s=float(env("SPS_HTTP_TIMEOUT", "10") or 10),
        )

    @property
    def channels(self) -> list[str]:
        return [name for name, on in (("email", self.email_to and self.smtp_host), ("webhook", self.webhook_url)) if on]


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    detail: str


def send_alert(title: str, body: str, details: dict | None = None, config: AlertConfig | None = None) -> list[Delivery]:
    config = config or AlertConfig.from_env()
    deliveries = []
    if config.email_to and config.smtp_host:
        deliveries.append(_send_email(config, title, body))
    if config.webhook_url:
        deliveries.append(_post_webhook(config, title, body, details or {}))
    return deliveries


def _send_email(config: AlertConfig, title: str, body: str) -> Delivery:
    message = EmailMessage()
    message["Subject"] = f"[SPS Monitor] {title}"
    message["From"] = config.email_from
    message["To"] = ", ".join(config.email_to)
    message.set_content(body)
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_s) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # TimeoutError is an OSError
        return Delivery("email", False, f"{config.smtp_host}:{config.smtp_port}: {type(exc).__name__}: {exc}")
    return Delivery("email", True, f"sent to {len(config.email_to)} recipient(s) via {config.smtp_host}")


def _post_webhook(config: AlertConfig, title: str, body: str, details: dict) -> Delivery:
    payload = {"title": f"SPS Monitor: {title}", "text": f"SPS Monitor: {title}\n{body}", "details": details}
    try:
        response = requests.post(
            config.webhook_url,
            data=json.dumps(payload, default=str),
            headers={"Content-Type": "application/json"},
            timeout=config.timeout_s,
        )
    except requests.RequestException as exc:
        return Delivery("webhook", False, f"{type(exc).__name__}: {exc}")
    if response.status_code >= 400:
        return Delivery("webhook", False, f"HTTP {response.status_code}")
    return Delivery("webhook", True, f"HTTP {response.status_code}")


def alert_once(data_dir: Path, key: str, title: str, body: str, details: dict | None = None) -> list[Delivery] | None:
    """`send_alert`, unless an alert with this key was already sent from this data folder (a marker file in
    data/alerts/, made atomically): several readers meeting the same damaged version send one message.
    Returns None when it had been sent before. A data folder that cannot be written sends anyway."""
    marker = data_dir / "alerts" / (re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:120] + ".sent")
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return None
    except OSError:
        return send_alert(title, body, details)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{title}\n{body}\n")
    return send_alert(title, body, details)
