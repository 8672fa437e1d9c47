"""Compare cities, "progress" mode (issue 19): every city's change of one indicator over one window, with its 95 %
interval and the assessment of the city_progress mart. The window and method live in the URL (?mode=progress&
window=<from>~<to>~<method>~<group>), so a view can be shared. Nothing here computes a change or an assessment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import chart_text
from dashboards import progress as shown
from dashboards.common import altair_chart, cached, download_buttons, opened_from_link, show_table, url_picker
from dashboards.frames import pairs, records, row_tuples
from dashboards.labels import change_unit_label, column_label, group_label, ngettext
from dashboards.labels import text as _

# Okabe-Ito, as dashboards/charts.py: colour follows the assessment, and the table says it in words too
ASSESSMENT_COLOURS = {"green": "#009E73", "red": "#D55E00", "orange": "#E69F00", "gray": "#999999"}
SELECTED = "#0072B2"


def window_key(row) -> str:
    return "~".join([row["from_period"], row["to_period"], row["method"], row["comparability_group"]])


def progress_chart(frame: pd.DataFrame, unit: str, highlight: str | None, limit: int = 150) -> alt.Chart:
    """A dot per city at its change, a whisker for the change's 95 % interval, coloured by the assessment; zero
    marked. Cities in order of their change, largest first."""
    data = frame.dropna(subset=["change"]).head(limit).copy()
    data["colour"] = [
        SELECTED if code == highlight else ASSESSMENT_COLOURS[shown.colour(a)]
        for code, a in row_tuples(data, "geo_code", "assessment")
    ]
    # The assessment is also a shape (better: triangle up, worse: triangle down, in between: diamond, not assessable:
    # circle), so it never rests on colour alone; the tooltip and the table say it in words.
    data["direction"] = [
        "triangle-up" if a in shown.GOOD else "triangle-down" if a in shown.BAD else "diamond" if a in shown.MIXED
        else "circle"
        for a in data["assessment"]
    ]  # fmt: skip
    data["assessment_label"] = data["assessment"].map(shown.assessment_label)
    order = data["city"].tolist()
    y = alt.Y("city:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220))
    change_title = _("change ({unit})", unit=change_unit_label(unit))
    tooltip = [
        alt.Tooltip("city:N", title=column_label("city")),
        alt.Tooltip("geo_code:N", title=column_label("geo_code")),
        alt.Tooltip("change:Q", format="+.2f", title=change_title),
        alt.Tooltip("change_ci_low:Q", format="+.2f", title=column_label("ci_low")),
        alt.Tooltip("change_ci_high:Q", format="+.2f", title=column_label("ci_high")),
        alt.Tooltip("assessment_label:N", title=column_label("assessment")),
    ]
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("change:Q", title=change_title),
            y=y,
            color=alt.Color("colour:N", scale=None),
            shape=alt.Shape("direction:N", scale=None),
            tooltip=tooltip,
        )
    )
    layers = [alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="black", strokeDash=[4, 3]).encode(x="zero:Q")]
    with_interval = data[data["change_ci_low"].notna()]
    if len(with_interval):
        layers.append(
            alt.Chart(with_interval)
            .mark_rule()
            .encode(
                x=alt.X("change_ci_low:Q"), x2=alt.X2("change_ci_high:Q"), y=y, color=alt.Color("colour:N", scale=None)
            )
        )
    layers.append(dots)
    return alt.layer(*layers).properties(height=max(120, 18 * len(data)))


def render(published, code: str, meta, notes: list[str]) -> None:
    params = st.query_params
    windows = cached("progress_windows", published, code)
    if windows.empty:
        st.info(
            _(
                "No progress assessment for {indicator} in any city: published version {version} predates progress "
                "assessments (refresh to publish a new one).",
                indicator=meta["indicator_name"],
                version=published.version,
            )
            if not cached("has_table", published, "city_progress")
            else _(
                "No progress assessment for {indicator} in any city: no city has two comparable periods of it (one "
                "survey wave only, or values for regions only).",
                indicator=meta["indicator_name"],
            )
        )
        return
    options = {window_key(r): r for r in records(windows)}

    def label(key: str) -> str:
        r = options[key]
        return (
            f"{r['from_period']} → {r['to_period']} · {shown.method_label(r['method'])} · "
            f"{group_label(r['comparability_group'])} ("
            + ngettext("{n} city", "{n} cities", r["cities"])
            + ", "
            + _("{n} assessable", n=r["assessable"])
            + ")"
        )

    wanted = params.get("window")
    if wanted is not None and wanted not in options and opened_from_link("progress_window"):
        notes.append(
            _(
                "'{value}' is not a window of this indicator; showing {window} instead.",
                value=wanted,
                window=label(next(iter(options))),
            )
        )
    keys = list(options)
    key = st.selectbox(
        _("Window and method"),
        keys,
        index=keys.index(wanted) if wanted in options else 0,
        format_func=label,
        **url_picker("progress_window", "window"),
    )
    params["window"] = key
    window = options[key]
    frame = cached(
        "progress_for_cities",
        published,
        code,
        window["comparability_group"],
        window["method"],
        window["from_period"],
        window["to_period"],
    )
    left, right = st.columns(2)
    partnership_only = left.toggle(
        _("Partnership cities only"), value=params.get("peer") == "partnership", key="progress_partnership"
    )
    own_list = [c for c in params.get("cities", "").split(",") if c] if params.get("peer") == "custom" else []
    if partnership_only:
        params["peer"] = "partnership"
        frame = frame[frame["is_partnership_city"].fillna(False).astype(bool)].reset_index(drop=True)
    elif params.get("peer") == "partnership":
        del params["peer"]
    elif own_list and right.toggle(_("My own list of cities"), value=True, key="progress_own_list"):
        # the list picked in the values view (?peer=custom&cities=...) holds here too
        frame = frame[frame["geo_code"].isin(own_list)].reset_index(drop=True)
    names = pairs(frame, "geo_code", "city")
    ordered = sorted(names, key=names.get)
    requested = params.get("highlight")
    highlight = right.selectbox(
        _("Highlight a city"),
        [None, *ordered],
        index=[None, *ordered].index(requested) if requested in names else 0,
        **url_picker("progress_highlight", "highlight"),
        format_func=lambda c: _("none") if c is None else f"{names[c]} ({c})",
    )
    if highlight:
        params["highlight"] = highlight
    elif "highlight" in params:
        del params["highlight"]
    for note in notes:
        st.warning(note)
    if frame.empty:
        st.info(_("No city of this selection has an assessment over this window."))
        return
    unit = meta["unit"]
    table = frame.assign(
        method_label=frame["method"].map(shown.method_label),
        assessment=frame["assessment"].map(shown.assessment_label),
    )
    altair_chart(
        progress_chart(frame, unit, highlight),
        chart_text.progress(frame, unit, meta["indicator_name"]),
        table,
    )
    counts = frame["assessment"].value_counts()
    st.caption(
        _(
            "{indicator}, {window}: {cities}; {counts}.",
            indicator=meta["indicator_name"],
            window=f"{window['from_period']} → {window['to_period']}",
            cities=ngettext("{n} city", "{n} cities", len(frame)),
            counts=", ".join(f"{n} {shown.assessment_label(a)}" for a, n in counts.items()),
        )
        + " "
        + _(
            "Dots: the change ({unit}); whiskers: its 95 % interval (standard errors of both periods combined); "
            "green triangles up better and red triangles down worse in the indicator's desired direction, orange "
            "diamonds in between, grey circles not assessable. Method: {method}.",
            unit=change_unit_label(unit),
            method=shown.method_link(window["method"]),
        )
        + f" {meta['comparability_caveat']}"
    )
    if highlight:
        row = frame.set_index("geo_code").loc[highlight]
        st.info(
            f"{names[highlight]}: {shown.change_text(row, unit)}, {shown.assessment_label(row['assessment'])}."
            + (f" {row['note']}." if isinstance(row["note"], str) and row["note"] else "")
        )
    show_table(table)
    download_buttons(table, f"{code}_progress_{window['from_period']}_{window['to_period']}".replace("/", "-"))
