"""How the secretariat's warehouse runs itself: schedules (schedules.py), sensors and the failure alert
(sensors.py, alerts.py), and which assets each trigger runs (selection.py). Nothing here writes data; the
single `refresh` job does, one run at a time."""

from pipelines.operations.schedules import schedules
from pipelines.operations.sensors import sensors

__all__ = ["schedules", "sensors"]
