"""The upload report as the Upload page shows it: the summary by rule and message, and one page of problems.
Apart from the page so the benchmark (benchmarks/upload_page.py) times exactly what the page draws."""

from __future__ import annotations

import pandas as pd

from dashboards.labels import text as _
from pipelines.uploads import api as uploads

PAGE_SIZE = 500  # problems listed a page: a report can hold 150 000 of them


def n(number: int) -> str:
    return f"{number:,}".replace(",", " ")  # 158 335


def problem_table(problems: list[uploads.Problem]) -> pd.DataFrame:
    """The rows shown on one page only: never a frame of the whole report just to show a page of it."""
    frame = pd.DataFrame(
        [p.as_dict() for p in problems], columns=["severity", "row", "column", "value", "rule", "message"]
    )
    frame["row"] = frame["row"].astype("Int64")  # file-level problems have no line: blank, not 2.0 beside them
    return frame.rename(columns={"row": "line", "message": "what to do"})


def summary_table(summary: list[uploads.RuleSummary]) -> pd.DataFrame:
    """One row per rule and message: a rule such as `required` that caught two different things says both."""
    rows = []
    for rule in summary:
        for message in rule.messages:
            lines = ", ".join(str(line) for line in message.first_rows)
            more = message.rows - len(message.first_rows)
            rows.append(
                {
                    "severity": rule.severity,
                    "rule": rule.rule,
                    "what to do": message.message,
                    "problems": message.problems,
                    "lines": (lines + (f" and {n(more)} more" if more > 0 else "")) if lines else _("whole file"),
                }
            )
        if rule.other_messages:
            rows.append(
                {
                    "severity": rule.severity,
                    "rule": rule.rule,
                    "what to do": f"{rule.other_messages} {_('other messages of this rule: see the whole report')}",
                    "problems": rule.problems - sum(m.problems for m in rule.messages),
                    "lines": "",
                }
            )
    return pd.DataFrame(rows, columns=["severity", "rule", "what to do", "problems", "lines"])
