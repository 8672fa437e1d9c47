"""One problem found in an upload: where (row, column), what (the value), which rule, how to fix it.

A problem's message is English (the stored reports, the CLI, the logs). It also keeps its message id, the English
sentence with {placeholders} that is a gettext msgid of the `sps` catalogues (locales/, extracted from the `error()`
and `warning()` calls), and the values of the placeholders, so a reader can show it in another language
(`translated()`; the Upload page, `sps upload --lang fr`) without parsing English."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    severity: str  # error (blocks the file) | warning (shown and stored, does not block)
    row: int | None  # line in the file (header = 1); None for file-level problems
    column: str | None
    value: str | None
    rule: str
    message: str  # a plain sentence saying what is wrong and how to fix it
    # The message id (`message` before its {placeholders} were filled in) and the placeholders' values: how to
    # say `message` in the reader's language, not part of what the problem is (two problems with one message are
    # equal however their text was built).
    template: str | None = field(default=None, compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

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

    def translated(self, gettext) -> str:
        """The message in another language: `gettext` (the reader's catalogue) applied to the message id, its
        placeholders filled with the same values; the English message when there is no id."""
        if not self.template:
            return self.message
        return gettext(self.template).format(**dict(self.params)) if self.params else gettext(self.template)


def _problem(severity: str, rule: str, message: str, row, column, value, params: dict) -> Problem:
    value = None if value is None else str(value)
    if not params:
        return Problem(severity, row, column, value, rule, message, message)
    values = tuple((k, str(v)) for k, v in params.items())
    return Problem(severity, row, column, value, rule, message.format(**params), message, values)


def error(rule: str, message: str, row: int | None = None, column: str | None = None, value=None, **params) -> Problem:
    """An error (blocks the file). `message` may hold {placeholders}, filled from `params` (its message id)."""
    return _problem("error", rule, message, row, column, value, params)


def warning(
    rule: str, message: str, row: int | None = None, column: str | None = None, value=None, **params
) -> Problem:
    """A warning (shown and stored, does not block); `message` as for error()."""
    return _problem("warning", rule, message, row, column, value, params)


FIRST_ROWS = 5  # lines listed per message in a summary
MESSAGES_PER_RULE = 20  # distinct messages listed per rule; the rest are counted


@dataclass(frozen=True)
class MessageSummary:
    """The problems of one rule that say the same thing: how many, on how many lines, the first lines."""

    message: str
    problems: int
    rows: int
    first_rows: tuple[int, ...]
    # the message id and values of the first problem with this message (for translation; not compared)
    template: str | None = field(default=None, compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def translated(self, gettext) -> str:
        return Problem("", None, None, None, "", self.message, self.template, self.params).translated(gettext)


@dataclass(frozen=True)
class RuleSummary:
    """All the problems of one rule at one severity: how many, on how many lines, the first line, one example,
    and each distinct message of the rule with its own count and first lines (a rule such as `required` catches
    different things: "'unit' is empty" and "'value' is empty")."""

    severity: str
    rule: str
    problems: int
    rows: int  # distinct lines affected (file-level problems have no line and are not counted)
    first_row: int | None  # lowest line number, None when every problem of the rule is file-level
    example: str  # the message of the rule's first problem in report order
    messages: tuple[MessageSummary, ...] = ()  # most frequent first, at most MESSAGES_PER_RULE
    other_messages: int = 0  # distinct messages beyond those listed


_SEVERITY_ORDER = {"error": 0, "warning": 1}


def summarise(problems: list[Problem]) -> list[RuleSummary]:
    """One entry per (severity, rule): errors before warnings, then most problems first, then by rule name; in
    each, one entry per distinct message. One pass over the problems, no pandas: a report can hold 150 000."""
    counts: dict[tuple[str, str], int] = {}
    rows: dict[tuple[str, str], set[int]] = {}
    examples: dict[tuple[str, str], str] = {}
    by_message: dict[tuple[str, str], dict[str, list]] = {}  # message -> [count, set of rows, first problem]
    for problem in problems:
        key = (problem.severity, problem.rule)
        if key in counts:
            counts[key] += 1
        else:
            counts[key] = 1
            rows[key] = set()
            examples[key] = problem.message
            by_message[key] = {}
        entry = by_message[key].get(problem.message)
        if entry is None:
            entry = by_message[key][problem.message] = [0, set(), problem]
        entry[0] += 1
        if problem.row is not None:
            rows[key].add(problem.row)
            entry[1].add(problem.row)
    summaries = []
    for key, count in counts.items():
        messages = sorted(by_message[key].items(), key=lambda item: (-item[1][0], min(item[1][1], default=0)))
        listed = tuple(
            MessageSummary(message, n, len(lines), tuple(sorted(lines)[:FIRST_ROWS]), first.template, first.params)
            for message, (n, lines, first) in messages[:MESSAGES_PER_RULE]
        )
        summaries.append(
            RuleSummary(
                *key,
                count,
                len(rows[key]),
                min(rows[key], default=None),
                examples[key],
                listed,
                max(0, len(messages) - MESSAGES_PER_RULE),
            )
        )
    summaries.sort(key=lambda s: (_SEVERITY_ORDER.get(s.severity, len(_SEVERITY_ORDER)), -s.problems, s.rule))
    return summaries
