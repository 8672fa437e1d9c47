"""The text alternative of every chart: one short sentence, generated from the data drawn, in the reader's language
("Riga, 2019: 72.3 % of respondents, 95 % CI 68.9–75.5, rank 67–89 of 100"). Pages pass it to
dashboards.common.altair_chart, which writes it under the chart and into the chart's own description, with the data
as a table one click away (WCAG 2.1 success criterion 1.1.1, non-text content)."""

from __future__ import annotations

import pandas as pd

from dashboards.frames import records, row_tuples
from dashboards.labels import fmt_interval, fmt_value, ngettext, unit_label
from dashboards.labels import text as _


def _value(value, unit: str | None) -> str:
    return f"{fmt_value(value, unit)} {unit_label(unit)}".strip()


def _named(row: dict, name_col: str) -> str:
    return str(row.get(name_col) or row.get("geo_code") or "?")


def _with_interval(row: dict, unit: str | None) -> str:
    """'72.3 % of respondents, 95 % CI 68.9–75.5' (the interval only when there is one)."""
    text = _value(row.get("value"), unit)
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is not None and high is not None and not pd.isna(low) and not pd.isna(high):
        text += ", " + _("95 % CI {interval}", interval=fmt_interval(low, high, unit))
    return text


def ranked(
    frame: pd.DataFrame,
    name_col: str,
    unit: str | None,
    indicator: str,
    period: str | None,
    highlight: str | None = None,
    rank: str | None = None,
) -> str:
    """Bars ranked by value: how many places, the highest, the lowest and the median; the highlighted place first
    with its interval and rank when there is one."""
    data = frame.dropna(subset=["value"]).sort_values("value", ascending=False)
    if data.empty:
        return _("{indicator}: no value to draw.", indicator=indicator)
    rows = records(data)
    parts = []
    if highlight is not None:
        mine = next((r for r in rows if r.get("geo_code") == highlight), None)
        if mine is not None:
            first = (
                _(
                    "{place}, {period}: {value}",
                    place=_named(mine, name_col),
                    period=period,
                    value=_with_interval(mine, unit),
                )
                if period
                else f"{_named(mine, name_col)}: {_with_interval(mine, unit)}"
            )
            parts.append(first + (f", {rank}" if rank else "") + ".")
    if len(rows) == 1:  # no highest, lowest and median of one bar
        parts.append(
            _(
                "{indicator}, {period}: one bar, {place} ({value}).",
                indicator=indicator,
                period=period or "",
                place=_named(rows[0], name_col),
                value=_value(rows[0]["value"], unit),
            )
        )
        return " ".join(parts)
    parts.append(
        _(
            "{indicator}, {period}: {places}; highest {top} ({top_value}), lowest {bottom} ({bottom_value}), median "
            "{median}.",
            indicator=indicator,
            period=period or "",
            places=ngettext("{n} bar", "{n} bars", len(rows)),
            top=_named(rows[0], name_col),
            top_value=_value(rows[0]["value"], unit),
            bottom=_named(rows[-1], name_col),
            bottom_value=_value(rows[-1]["value"], unit),
            median=_value(data["value"].median(), unit),
        )
    )
    return " ".join(parts)


def time_series(series: pd.DataFrame, unit: str | None, indicator: str) -> str:
    """One clause per line: 'Riga: 64.0 % in 2012, 79.0 % in 2015'."""
    clauses = []
    for city, rows in series.sort_values("period_year").groupby("city", sort=False):
        points = ", ".join(
            _("{value} in {period}", value=fmt_value(v, unit), period=p) for v, p in row_tuples(rows, "value", "period")
        )
        clauses.append(f"{city}: {points}")
    return (
        _("{indicator} ({unit}) over time.", indicator=indicator, unit=unit_label(unit))
        + " "
        + "; ".join(clauses)
        + "."
    )


def country_trends(series: pd.DataFrame, unit: str | None, indicator: str) -> str:
    """Each country's first and latest value."""
    clauses = []
    for country, rows in series.sort_values("period_year").groupby("country_name", sort=True):
        first, last = rows.iloc[0], rows.iloc[-1]
        clauses.append(
            _(
                "{country}: {first} in {first_period}, {last} in {last_period}",
                country=country,
                first=fmt_value(first["value"], unit),
                first_period=first["period"],
                last=fmt_value(last["value"], unit),
                last_period=last["period"],
            )
        )
    return (
        _("{indicator} ({unit}), each country against its own past.", indicator=indicator, unit=unit_label(unit))
        + " "
        + "; ".join(clauses)
        + "."
    )


def overview_map(points: pd.DataFrame, regions: int, indicator: str, unit: str | None, period: str) -> str:
    """How many cities and regions are drawn, and the cities with the highest and the lowest value."""
    parts = [_("Map of {indicator}, {period}.", indicator=indicator, period=period)]
    if len(points):
        ordered = points.dropna(subset=["value"]).sort_values("value", ascending=False)
        parts.append(
            ngettext("{n} city drawn as a point", "{n} cities drawn as points", len(points))
            + "; "
            + _(
                "highest {top} ({top_value}), lowest {bottom} ({bottom_value}).",
                top=ordered.iloc[0]["name"],
                top_value=_value(ordered.iloc[0]["value"], unit),
                bottom=ordered.iloc[-1]["name"],
                bottom_value=_value(ordered.iloc[-1]["value"], unit),
            )
        )
    if regions:
        parts.append(ngettext("{n} NUTS 3 region coloured by value.", "{n} NUTS 3 regions coloured by value.", regions))
    return " ".join(parts)


def scatter(frame: pd.DataFrame, x_label: str, y_label: str) -> str:
    """Perception against recorded crime: how many cities and how the two go together (Spearman's rank
    correlation, which needs no assumption about the scales)."""
    data = frame.dropna(subset=["x", "y"])
    if len(data) < 3:
        return ngettext("{n} city.", "{n} cities.", len(data))
    rho = data["x"].rank().corr(data["y"].rank())
    return _(
        "{places}: {y} against {x}; rank correlation {rho}.",
        places=ngettext("{n} city", "{n} cities", len(data)),
        y=y_label,
        x=x_label,
        rho=fmt_value(rho, "score"),
    )


def progress(frame: pd.DataFrame, unit: str | None, indicator: str) -> str:
    """How many changes are drawn and how many are significant either way (the mart's assessments)."""
    from dashboards import progress as shown

    good = int(frame["assessment"].isin(shown.GOOD).sum())
    bad = int(frame["assessment"].isin(shown.BAD).sum())
    return _(
        "{indicator}: {changes}; {good} better and {bad} worse by more than sampling noise, the others not "
        "distinguishable from no change.",
        indicator=indicator,
        changes=ngettext("{n} change drawn", "{n} changes drawn", len(frame)),
        good=good,
        bad=bad,
    )


def public_space_map(spaces: pd.DataFrame, counted: pd.Series, sites: pd.DataFrame) -> str:
    return _(
        "Map of the city's open spaces: {spaces}, {counted} open for public use; {sites}.",
        spaces=ngettext("{n} open space", "{n} open spaces", len(spaces)),
        counted=int(counted.sum()),
        sites=ngettext("{n} audited site", "{n} audited sites", len(sites)),
    )


def districts(values: pd.DataFrame, unit: str | None) -> str:
    data = values.dropna(subset=["value"]).sort_values("value", ascending=False)
    if data.empty:
        return _("No district has a value.")
    return _(
        "{districts}; highest {top} ({top_value}), lowest {bottom} ({bottom_value}).",
        districts=ngettext("{n} district", "{n} districts", len(data)),
        top=data.iloc[0]["area_name"],
        top_value=_value(data.iloc[0]["value"], unit),
        bottom=data.iloc[-1]["area_name"],
        bottom_value=_value(data.iloc[-1]["value"], unit),
    )


def day_after_dark(frame: pd.DataFrame) -> str:
    """Each audit item's mean by day and after dark (0 = poor, 3 = good)."""
    clauses = []
    for label, rows in frame.groupby("label", sort=False):
        by_time = {_(t): fmt_value(v, "score") for t, v in row_tuples(rows, "time", "value")}
        clauses.append(f"{label}: " + ", ".join(f"{t} {v}" for t, v in by_time.items()))
    return _("Mean audit scores (0 = poor, 3 = good).") + " " + "; ".join(clauses) + "."
