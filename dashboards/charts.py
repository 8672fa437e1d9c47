"""Every chart of the dashboard, with one colour-blind-safe palette (Okabe-Ito). Colour is never the only
carrier of meaning: the table beside each chart holds the same information in words."""

from __future__ import annotations

import altair as alt
import pandas as pd

SELECTED = "#0072B2"  # blue
NOT_DIFFERENT = "#56B4E9"  # sky blue
DIFFERENT = "#999999"  # grey
NO_TEST = "#E69F00"  # orange: no uncertainty available, cannot be tested
COMPARISON_DOMAIN = ["selected city", "not statistically different", "statistically different", "no interval"]
COMPARISON_RANGE = [SELECTED, NOT_DIFFERENT, DIFFERENT, NO_TEST]


def ranked_bars(frame: pd.DataFrame, name_col: str, unit: str, limit: int = 150) -> alt.Chart:
    """Horizontal bars, best first, with 95 % interval whiskers where an interval exists. When the frame
    has a `comparison` column, bars are coloured by it (selected / not different / different)."""
    data = frame.sort_values("value", ascending=False).head(limit)
    colour = (
        alt.Color(
            "comparison:N",
            scale=alt.Scale(domain=COMPARISON_DOMAIN, range=COMPARISON_RANGE),
            legend=alt.Legend(title=None, orient="top"),
        )
        if "comparison" in data
        else alt.value(SELECTED)
    )
    tooltip = [name_col, "geo_code", alt.Tooltip("value:Q", format=".1f", title=unit)]
    for extra in ("ci_low", "ci_high", "sample_size", "flags", "source_dataset", "comparison"):
        if extra in data:
            tooltip.append(extra)
    # An explicit order: layered charts ignore a sort by field, and every layer must share it.
    order = data[name_col].tolist()
    y = alt.Y(f"{name_col}:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220))
    bars = alt.Chart(data).mark_bar().encode(x=alt.X("value:Q", title=unit), y=y, color=colour, tooltip=tooltip)
    layers = [bars]
    if "ci_low" in data and data["ci_low"].notna().any():
        layers.append(
            alt.Chart(data[data["ci_low"].notna()]).mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q", y=y)
        )
    return alt.layer(*layers).properties(height=alt.Step(16))
