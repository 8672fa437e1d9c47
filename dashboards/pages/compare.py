import altair as alt
import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop

st.title("Compare cities")
published = published_or_stop()
catalogue = cached("indicators", published)
available = catalogue[catalogue["observations"] > 0]
labels = dict(zip(available["indicator_code"], available["indicator_name"], strict=True))
code = st.selectbox(
    "Indicator",
    list(labels),
    format_func=lambda c: f"{labels[c]} ({c})",
    index=list(labels).index("feel_safe_night_neighbourhood") if "feel_safe_night_neighbourhood" in labels else 0,
)
meta = available.set_index("indicator_code").loc[code]
periods = cached("periods_for", published, code)
period = st.selectbox("Period", periods)

if meta["indicator_family"] == "police_recorded":
    level = st.radio("Geography", ["country", "nuts2", "nuts3"], horizontal=True)
    frame = cached("region_values", published, code, period, level)
    name_col = "region"
else:
    frame = cached("city_values", published, code, period)
    name_col = "city"
    frame[name_col] = frame[name_col].fillna(frame["geo_code"])

if frame.empty:
    st.info("No values for this indicator and period.")
    st.stop()

unit = frame["unit"].iloc[0]
chart = (
    alt.Chart(frame.head(60))
    .mark_bar(color="#0072B2")
    .encode(
        x=alt.X("value:Q", title=unit),
        y=alt.Y(f"{name_col}:N", sort="-x", title=None),
        tooltip=[name_col, "geo_code", "value", "flags", "source_dataset"],
    )
    .properties(height=max(200, 16 * min(len(frame), 60)))
)
st.altair_chart(chart, use_container_width=True)
shown = "the first 60 of " if len(frame) > 60 else ""
st.caption(
    f"{meta['indicator_name']}, {period}: {shown}{len(frame)} {name_col if name_col == 'city' else 'regions'} — "
    f"unit: {unit}. {meta['comparability_caveat']} Flags: e estimated, b break in series, d definition differs, "
    "u low reliability."
)
warned = frame[frame.get("has_quality_warning", False) == True]  # noqa: E712
if len(warned):
    st.warning(
        f"{len(warned)} value(s) carry a data-quality warning: "
        + "; ".join(f"{r[name_col]}: {r['quality_note']}" for _, r in warned.iterrows() if r.get("quality_note"))
    )
st.dataframe(frame, hide_index=True, use_container_width=True)
download_buttons(frame, f"{code}_{period}")
footer(published)
