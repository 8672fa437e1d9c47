"""How the pages show a progress assessment of the city_progress mart (issue 19): labels, arrows, colours and the
link to the method. Nothing here computes a change or decides an assessment: the mart does (one implementation)."""

from __future__ import annotations

import math

import pandas as pd

from dashboards.labels import fmt_signed
from dashboards.labels import text as _
from pipelines.outputs.assessments import ASSESSMENTS
from pipelines.shared.i18n import N_

# The Methodology page renders docs/methodology/progress.md under this anchor.
METHOD_PAGE = "/methodology#progress-assessment"
METHODS = {
    "survey_change_95": (N_("Survey change test (95 %)"), "surveys-change-between-two-waves"),
    "target_ci": (N_("Target, with the interval of the latest value"), "surveys-with-a-target"),
    "eurostat_sdg_trend": (N_("Eurostat SDG trend (growth rate)"), "eurostat-sdg-trend"),
    "eurostat_sdg_target": (N_("Eurostat SDG target (ratio of growth rates)"), "eurostat-sdg-target"),
    "open_sdg": (N_("Open SDG progress status"), "open-sdg-progress-status"),
}
GOOD = {
    "significant improvement",
    "on track",
    "significant progress",
    "target met",
    "significant progress towards the target",
    "target achieved",
    "substantial progress",
}
BAD = {
    "significant deterioration",
    "off track",
    "significant movement away",
    "movement away from the target",
    "deterioration",
}
MIXED = {
    "moderate progress",
    "moderate progress towards the target",
    "insufficient progress towards the target",
    "limited progress",
    "moderate movement away",
}


def method_label(method: str) -> str:
    return _(METHODS[method][0]) if method in METHODS else method


def assessment_label(assessment) -> str:
    """An assessment of the mart in the reader's language."""
    if assessment is None or (isinstance(assessment, float) and math.isnan(assessment)):
        return "–"
    return _(assessment) if assessment in ASSESSMENTS else str(assessment)


def method_link(method: str) -> str:
    """Markdown link to the method's section on the Methodology page."""
    anchor = METHODS.get(method, (method, "progress-assessment"))[1]
    return f"[{method_label(method)}](/methodology#{anchor})"


def colour(assessment: str) -> str:
    if assessment in GOOD:
        return "green"
    if assessment in BAD:
        return "red"
    if assessment in MIXED:
        return "orange"
    return "gray"


def arrow(change) -> str:
    """Direction of the change itself (up, down, flat); whether that is good is the assessment's colour."""
    if change is None or pd.isna(change):
        return "·"
    return "↑" if change > 0 else "↓" if change < 0 else "→"


def badge(assessment: str) -> str:
    """A coloured badge with an arrow-free word: the colour repeats what the words say (never colour alone)."""
    return f":{colour(assessment)}-badge[{assessment_label(assessment)}]"


def number(value, unit: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    return fmt_signed(value, 1 if str(unit or "").startswith("%") else 2)


def change_text(row, unit: str | None) -> str:
    """'+8.0 (95 % CI +2.3 to +13.7)', '+6.6 (no interval)' or 'not comparable (break in series)'."""
    if pd.isna(row["change"]):
        return _("not comparable (break in series)") if "break" in str(row["assessment"]) else "–"
    text = f"{arrow(row['change'])} {number(row['change'], unit)}"
    if not pd.isna(row["change_ci_low"]):
        return _(
            "{change} (95 % CI {low} to {high})",
            change=text,
            low=number(row["change_ci_low"], unit),
            high=number(row["change_ci_high"], unit),
        )
    method = row["method"] if "method" in row else row["progress_method"]  # the scorecard names it progress_method
    if method in ("survey_change_95", "target_ci"):
        return _("{change} (no interval)", change=text)
    growth = row.get("annual_growth_rate")
    if growth is not None and not pd.isna(growth):
        return _("{change} ({growth} % a year)", change=text, growth=fmt_signed(growth, 2))
    return text


def window_text(row) -> str:
    return f"{row['from_period']} → {row['to_period']}"
