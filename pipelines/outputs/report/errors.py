"""The report's failure family: one line saying what, where and what to do."""

from __future__ import annotations

from pipelines.errors import SpsError


class ReportError(SpsError):
    """A city report cannot be built or written as asked; nothing was written."""
