"""Compare cities, "progress" mode (issue 19): every city's change of one indicator over one window, with its 95 %
interval and the assessment of the city_progress mart. The window and method live in the URL (?mode=progress&
window=<from>~<to>~<method>~<group>), so a view can be shared. Nothing here computes a change or an assessment."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import progress as shown
from dashboards.common import altair_chart, cached, download_buttons, show_table

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
        for code, a in zip(data["geo_code"], data["assessment"], strict=True)
    ]
    order = data["city"].tolist()
    y = alt.Y("city:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220))
    tooltip = [
        alt.Tooltip("city:N"),
        alt.Tooltip("geo_code:N"),
        alt.Tooltip("change:Q", format="+.2f", title=f"change ({unit})"),
        alt.Tooltip("change_ci_low:Q", format="+.2f", title="95 % low"),
        alt.Tooltip("change_ci_high:Q", format="+.2f", title="95 % high"),
        alt.Tooltip("assessment:N"),
    ]
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=60)
        .encode(
            x=alt.X("change:Q", title=f"change ({unit})"), y=y, color=alt.Color("colour:N", scale=None), tooltip=tooltip
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
            f"No progress assessment for {meta['indicator_name']} in any city: "
            + (
                f"published version {published.version} predates progress assessments (refresh to publish a new one)."
                if not cached("has_table", published, "city_progress")
                else "no city has two comparable periods of it (one survey wave only, or values for regions only)."
            )
        )
        return
    options = {window_key(r): r for r in windows.to_dict("records")}

    def label(key: str) -> str:
        r = options[key]
        return (
            f"{r['from_period']} → {r['to_period']} · {shown.method_label(r['method'])} · {r['comparability_group']} "
            f"({r['cities']} cities, {r['assessable']} assessable)"
        )

    wanted = params.get("window")
    if wanted is not None and wanted not in options:
        notes.append(f"'{wanted}' is not a window of this indicator; showing {label(next(iter(options)))} instead.")
    keys = list(options)
    key = st.selectbox(
        "Window and method", keys, index=keys.index(wanted) if wanted in options else 0, format_func=label
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
    partnership_only = left.toggle("Partnership cities only", value=params.get("peer") == "partnership")
    if partnership_only:
        params["peer"] = "partnership"
        frame = frame[frame["is_partnership_city"].fillna(False).astype(bool)].reset_index(drop=True)
    elif params.get("peer") == "partnership":
        del params["peer"]
    names = dict(zip(frame["geo_code"], frame["city"], strict=True))
    ordered = sorted(names, key=names.get)
    requested = params.get("highlight")
    highlight = right.selectbox(
        "Highlight a city",
        [None, *ordered],
        index=[None, *ordered].index(requested) if requested in names else 0,
        format_func=lambda c: "none" if c is None else f"{names[c]} ({c})",
    )
    if highlight:
        params["highlight"] = highlight
    elif "highlight" in params:
        del params["highlight"]
    for note in notes:
        st.warning(note)
    if frame.empty:
        st.info("No city of this selection has an assessment over this window.")
        return
    unit = meta["unit"]
    altair_chart(progress_chart(frame, unit, highlight))
    counts = frame["assessment"].value_counts()
    st.caption(
        f"{meta['indicator_name']}, {window['from_period']} → {window['to_period']}: {len(frame)} cities; "
        + ", ".join(f"{n} {a}" for a, n in counts.items())
        + f". Dots: the change ({unit}); whiskers: its 95 % interval (standard errors of both periods combined); "
        "green better and red worse in the indicator's desired direction, orange in between, grey not assessable. "
        f"Method: {shown.method_link(window['method'])}. {meta['comparability_caveat']}"
    )
    if highlight:
        row = frame.set_index("geo_code").loc[highlight]
        st.info(
            f"{names[highlight]}: {shown.change_text(row, unit)}, {row['assessment']}."
            + (f" {row['note']}." if isinstance(row["note"], str) and row["note"] else "")
        )
    table = frame.assign(method_label=frame["method"].map(shown.method_label))
    show_table(table)
    download_buttons(table, f"{code}_progress_{window['from_period']}_{window['to_period']}".replace("/", "-"))
