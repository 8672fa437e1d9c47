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


@dataclass(frozen=True)
class RuleSummary:
    """All the problems of one rule at one severity: how many, on how many lines, the first line, one example."""

    severity: str
    rule: str
    problems: int
    rows: int  # distinct lines affected (file-level problems have no line and are not counted)
    first_row: int | None  # lowest line number, None when every problem of the rule is file-level
    example: str  # the message of the rule's first problem in report order


_SEVERITY_ORDER = {"error": 0, "warning": 1}


def summarise(problems: list[Problem]) -> list[RuleSummary]:
    """One entry per (severity, rule): errors before warnings, then most problems first, then by rule name.
    One pass over the problems, no pandas: a report can hold 150 000 of them."""
    counts: dict[tuple[str, str], int] = {}
    rows: dict[tuple[str, str], set[int]] = {}
    examples: dict[tuple[str, str], str] = {}
    for problem in problems:
        key = (problem.severity, problem.rule)
        if key in counts:
            counts[key] += 1
        else:
            counts[key] = 1
            rows[key] = set()
            examples[key] = problem.message
        if problem.row is not None:
            rows[key].add(problem.row)
    summaries = [
        RuleSummary(*key, count, len(rows[key]), min(rows[key], default=None), examples[key])
        for key, count in counts.items()
    ]
    summaries.sort(key=lambda s: (_SEVERITY_ORDER.get(s.severity, len(_SEVERITY_ORDER)), -s.problems, s.rule))
    return summaries
