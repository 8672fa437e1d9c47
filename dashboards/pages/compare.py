import streamlit as st

from dashboards import charts
from dashboards.common import cached, download_buttons, footer, published_or_stop

st.title("Compare cities")
published = published_or_stop()
catalogue = cached("indicators", published)
available = catalogue[catalogue["observations"] > 0]
labels = dict(zip(available["indicator_code"], available["indicator_name"], strict=True))
default = list(labels).index("feel_safe_night_neighbourhood") if "feel_safe_night_neighbourhood" in labels else 0
code = st.selectbox("Indicator", list(labels), format_func=lambda c: f"{labels[c]} ({c})", index=default)
meta = available.set_index("indicator_code").loc[code]
periods = cached("periods_for", published, code)
period = st.selectbox("Period", periods)

highlight = None
if meta["indicator_family"] in ("police_recorded", "survey"):
    levels = ["country", "nuts1", "nuts2", "nuts3"]
    level = st.radio("Geography", levels, horizontal=True)
    frame = cached("region_values", published, code, period, level)
    name_col = "region"
else:
    frame = cached("city_values", published, code, period).copy()
    name_col = "city"
    groups = sorted(frame["comparability_group"].unique())
    if len(groups) > 1:  # different questions / scales / universes are never ranked together
        group = st.selectbox("Survey (comparability group): values from different surveys are not comparable", groups)
        frame = frame[frame["comparability_group"] == group].reset_index(drop=True)
    frame[name_col] = frame[name_col].fillna(frame["geo_code"])
    names = dict(zip(frame["geo_code"], frame[name_col], strict=True))
    highlight = st.selectbox(
        "Highlight a city (shades the cities not statistically different from it)",
        [None, *sorted(names, key=names.get)],
        format_func=lambda c: "none" if c is None else f"{names[c]} ({c})",
    )

if frame.empty:
    st.info(f"No values for {meta['indicator_name']} in {period} at this level.")
    st.stop()

if highlight is not None:
    tests = cached("comparisons_with", published, code, period, highlight)
    significant = dict(zip(tests["geo_code"], tests["is_significant"], strict=True))

    def classify(geo_code: str) -> str:
        if geo_code == highlight:
            return "selected city"
        if geo_code not in significant:
            return "no interval"
        return "statistically different" if significant[geo_code] else "not statistically different"

    frame["comparison"] = frame["geo_code"].map(classify)

unit = frame["unit"].iloc[0]
st.altair_chart(charts.ranked_bars(frame, name_col, unit), width="stretch")
shown = "the first 150 of " if len(frame) > 150 else ""
caveat = (
    f"{meta['indicator_name']}, {period}: {shown}{len(frame)} {'cities' if name_col == 'city' else 'areas'} — "
    f"unit: {unit}. {meta['comparability_caveat']}"
)
if "uncertainty_method" in frame:
    approximate = bool(frame["is_ci_approximate"].any())
    none = int((frame["uncertainty_method"] == "none").sum())
    caveat += (
        " Whiskers: 95 % intervals"
        + (" from the survey's nominal sample per city (approximate; see Methodology)" if approximate else "")
        + (f"; {none} value(s) have no uncertainty available" if none else "")
        + "."
    )
st.caption(caveat + " Flags: e estimated, b break in series, d definition differs, u low reliability.")

if highlight is not None:
    interval = cached("rank_interval", published, code, period, highlight)
    if len(interval):
        r = interval.iloc[0]
        st.info(
            f"{names[highlight]} ranks {int(r['rank'])} of {int(r['cities_in_group'])}; given sampling error its "
            f"rank could be anywhere from {int(r['rank_best'])} to {int(r['rank_worst'])}. "
            f"{int(r['indistinguishable_count'])} cities are not statistically different from it (light blue)."
        )
    else:
        st.info(f"{names[highlight]} has no interval for this indicator and period, so no comparison is made.")

warned = frame[frame["has_quality_warning"] == True] if "has_quality_warning" in frame else frame.iloc[0:0]  # noqa: E712
if len(warned):
    st.warning(
        f"{len(warned)} value(s) carry a data-quality warning: "
        + "; ".join(f"{r[name_col]}: {r['quality_note']}" for _, r in warned.iterrows() if r.get("quality_note"))
    )

if name_col == "city":
    references = cached("reference_values", published, code, period)
    if len(references):
        st.subheader("National and regional survey context")
        st.caption(references["note"].iloc[0])
        st.dataframe(references.drop(columns=["note"]), hide_index=True, width="stretch")

st.dataframe(frame, hide_index=True, width="stretch")
download_buttons(frame, f"{code}_{period}")
footer(published)
