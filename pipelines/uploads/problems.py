"""One problem found in an upload: where (row, column), what (the value), which rule, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    severity: str  # error (blocks the file) | warning (shown and stored, does not block)
    row: int | None  # line in the file (header = 1); None for file-level problems
    column: str | None
    value: str | None
    rule: str
    message: str  # a plain sentence saying what is wrong and how to fix it

    @property
    def shown_value(self) -> str:
        return "empty" if self.value in (None, "") else repr(self.value)

    def __str__(self) -> str:
        where = ("line " + str(self.row) if self.row else "file") + (f", column {self.column}" if self.column else "")
        value = f" (value {self.shown_value})" if self.column else ""
        return f"{self.severity.upper()} {where}{value}: {self.message}"

    def as_dict(self) -> dict:
        # Built by hand: dataclasses.asdict deep-copies, 20 us a problem (3 s for a report of 150 000).
        return {
            "severity": self.severity,
            "row": self.row,
            "column": self.column,
            "value": ("empty" if self.value in (None, "") else self.value) if self.column else "",
            "rule": self.rule,
            "message": self.message,
        }


def error(rule: str, message: str, row: int | None = None, column: str | None = None, value=None) -> Problem:
    return Problem("error", row, column, None if value is None else str(value), rule, message)


def warning(rule: str, message: str, row: int | None = None, column: str | None = None, value=None) -> Problem:
    return Problem("warning", row, column, None if value is None else str(value), rule, message)
