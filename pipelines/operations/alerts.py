"""Failure alerts: the sending lives in pipelines/shared/alerts.py, so that readers below this layer (the dashboard,
exports, reports) can alert too; this name stays for the sensors and the CLI."""

from pipelines.shared.alerts import AlertConfig, Delivery, alert_once, send_alert

__all__ = ["AlertConfig", "Delivery", "alert_once", "send_alert"]
