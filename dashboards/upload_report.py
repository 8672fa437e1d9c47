"""The upload report as the Upload page shows it: the summary by rule and message, and one page of problems, each
message in the reader's language (through its message id: pipelines/uploads/problems.py; the CSV report stays
English). Apart from the page so the benchmark (benchmarks/upload_page.py) times exactly what the page draws."""

from __future__ import annotations

import pandas as pd

from dashboards.labels import format_integer, ngettext
from dashboards.labels import text as _
from pipelines.shared import i18n
from pipelines.uploads import api as uploads

PAGE_SIZE = 500  # problems listed a page: a report can hold 150 000 of them


def n(number: int) -> str:
    """158 335 (en), 158 335 (fr), 158.335 (nl): the reader's grouping."""
    return format_integer(number) if i18n.language() != i18n.DEFAULT_LANGUAGE else f"{number:,}".replace(",", " ")


def message(problem) -> str:
    """A problem's (or a summary's) message in the reader's language."""
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        return problem.message
    return problem.translated(i18n.gettext)


def problem_table(problems: list[uploads.Problem]) -> pd.DataFrame:
    """The rows shown on one page only: never a frame of the whole report just to show a page of it."""
    english = i18n.language() == i18n.DEFAULT_LANGUAGE
    frame = pd.DataFrame(
        [p.as_dict() if english else {**p.as_dict(), "message": message(p)} for p in problems],
        columns=["severity", "row", "column", "value", "rule", "message"],
    )
    frame["row"] = frame["row"].astype("Int64")  # file-level problems have no line: blank, not 2.0 beside them
    return frame.rename(columns={"row": "line", "message": "what to do"})


def summary_table(summary: list[uploads.RuleSummary]) -> pd.DataFrame:
    """One row per rule and message: a rule such as `required` that caught two different things says both."""
    rows = []
    for rule in summary:
        for entry in rule.messages:
            lines = ", ".join(str(line) for line in entry.first_rows)
            more = entry.rows - len(entry.first_rows)
            rows.append(
                {
                    "severity": rule.severity,
                    "rule": rule.rule,
                    "what to do": message(entry),
                    "problems": entry.problems,
                    "lines": (lines + (" " + _("and {n} more", n=n(more)) if more > 0 else ""))
                    if lines
                    else _("whole file"),
                }
            )
        if rule.other_messages:
            rows.append(
                {
                    "severity": rule.severity,
                    "rule": rule.rule,
                    "what to do": ngettext(
                        "{n} other message of this rule: see the whole report",
                        "{n} other messages of this rule: see the whole report",
                        rule.other_messages,
                    ),
                    "problems": rule.problems - sum(m.problems for m in rule.messages),
                    "lines": "",
                }
            )
    return pd.DataFrame(rows, columns=["severity", "rule", "what to do", "problems", "lines"])
