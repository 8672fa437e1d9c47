"""Compare cities: ranked bars with 95 % whiskers, shading of the cities not statistically different from a
highlighted city, peer groups or a custom list, time series with breaks and national references. Every
choice lives in the URL (indicator, period, peer, highlight, cities) so a view can be shared."""

import streamlit as st

from dashboards import charts
from dashboards.common import altair_chart, cached, download_buttons, footer, published_or_stop, url_choice

PEER_GROUPS = {
    "all": "All cities",
    "country": "Same country as the highlighted city",
    "size": "Same size class as the highlighted city",
    "partnership": "Partnership cities",
    "custom": "My own list of cities",
}

st.title("Compare cities")
published = published_or_stop()
params = st.query_params
notes: list[str] = []


def from_url(key: str, allowed: list, default):
    return url_choice(notes, key, allowed, default)


catalogue = cached("indicators", published)
available = catalogue[catalogue["observations"] > 0]
labels = dict(zip(available["indicator_code"], available["indicator_name"], strict=True))
default_code = "feel_safe_night_neighbourhood" if "feel_safe_night_neighbourhood" in labels else next(iter(labels))
code = st.selectbox(
    "Indicator",
    list(labels),
    format_func=lambda c: f"{labels[c]} ({c})",
    index=list(labels).index(from_url("indicator", list(labels), default_code)),
)
meta = available.set_index("indicator_code").loc[code]
MODES = {"values": "Values in one period", "progress": "Progress over time (change and its 95 % interval)"}
mode = st.radio(
    "Show",
    list(MODES),
    format_func=MODES.get,
    horizontal=True,
    index=list(MODES).index(from_url("mode", list(MODES), "values")),
)
if mode == "progress":  # every city's change from the city_progress mart (dashboards/compare_progress.py)
    from dashboards.compare_progress import render

    params["indicator"], params["mode"] = code, mode
    params.pop("period", None)
    render(published, code, meta, notes)
    footer(published)
    st.stop()
for stale in ("mode", "window"):
    params.pop(stale, None)
periods = cached("periods_for", published, code)
period = st.selectbox("Period", periods, index=periods.index(from_url("period", periods, periods[0])))
params["indicator"], params["period"] = code, period

if meta["indicator_family"] in ("police_recorded", "survey"):
    level = st.radio("Geography", ["country", "nuts1", "nuts2", "nuts3"], horizontal=True)
    frame = cached("region_values", published, code, period, level)
    name_col, highlight = "region", None
else:
    name_col = "city"
    frame = cached("city_values", published, code, period).copy()
    groups = sorted(frame["comparability_group"].unique())
    if len(groups) > 1:  # different questions / scales / universes are never ranked together
        group = st.selectbox("Survey (comparability group): values from different surveys are not comparable", groups)
        frame = frame[frame["comparability_group"] == group].reset_index(drop=True)
    frame[name_col] = frame[name_col].fillna(frame["geo_code"])
    names = dict(zip(frame["geo_code"], frame[name_col], strict=True))
    ordered = sorted(names, key=names.get)
    left, right = st.columns(2)
    highlight = left.selectbox(
        "Highlight a city (shades the cities not statistically different from it)",
        [None, *ordered],
        index=([None, *ordered]).index(from_url("highlight", ordered, None)),
        format_func=lambda c: "none" if c is None else f"{names[c]} ({c})",
    )
    peer = right.selectbox(
        "Peer group",
        list(PEER_GROUPS),
        format_func=PEER_GROUPS.get,
        index=list(PEER_GROUPS).index(from_url("peer", list(PEER_GROUPS), "all")),
    )
    chosen = []
    if peer == "custom":
        wanted = [c for c in params.get("cities", "").split(",") if c]
        unknown = [c for c in wanted if c not in names]
        if unknown:
            notes.append(f"No {period} value for {', '.join(unknown)}; left out of the list.")
        # A stable key, filled from the URL once: a `default` that follows the URL would re-create the widget
        # (and drop the user's next pick) on every change.
        if "custom_cities" not in st.session_state:
            st.session_state["custom_cities"] = [c for c in wanted if c in names]
        st.session_state["custom_cities"] = [c for c in st.session_state["custom_cities"] if c in names]
        chosen = st.multiselect("Cities", ordered, key="custom_cities", format_func=lambda c: f"{names[c]} ({c})")
        params["cities"] = ",".join(chosen)
        frame = frame[frame["geo_code"].isin(chosen)].reset_index(drop=True)
    elif peer in ("country", "size"):
        if highlight is None:
            notes.append("Pick a city to highlight to compare it with its country or size class; showing all cities.")
            peer = "all"
        else:
            directory = cached("city_directory", published).set_index("geo_code")
            key = directory.loc[highlight, "country_code" if peer == "country" else "size_class"]
            members = set(cached("peer_group_members", published, f"{peer}:{key}"))
            frame = frame[frame["geo_code"].isin(members)].reset_index(drop=True)
    elif peer == "partnership":
        members = set(cached("peer_group_members", published, "partnership"))
        frame = frame[frame["geo_code"].isin(members | ({highlight} if highlight else set()))].reset_index(drop=True)
    params["peer"] = peer
    if highlight:
        params["highlight"] = highlight
    elif "highlight" in params:
        del params["highlight"]

for note in notes:
    st.warning(note)

if frame.empty:
    st.info(
        f"No values for {meta['indicator_name']} in {period} for this selection "
        "(for example no survey in these cities that year)."
    )
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
altair_chart(charts.ranked_bars(frame, name_col, unit))
shown = "the first 150 of " if len(frame) > 150 else ""
caveat = (
    f"{meta['indicator_name']}, {period}: {shown}{len(frame)} {'cities' if name_col == 'city' else 'areas'} — "
    f"unit: {unit}. Source: {', '.join(sorted(frame['source_dataset'].unique()))}. {meta['comparability_caveat']}"
)
if "uncertainty_method" in frame:
    approximate = bool(frame.get("is_ci_approximate", frame["uncertainty_method"] == "").any())
    none = int((frame["uncertainty_method"] == "none").sum())
    caveat += (
        " Whiskers: 95 % intervals"
        + (" from the survey's nominal sample per city (approximate; see Methodology)" if approximate else "")
        + (f"; {none} value(s) have no uncertainty available" if none else "")
        + "."
    )
st.caption(caveat + " Flags: e estimated, b break in series, d definition differs, u low reliability.")

if highlight is not None:
    group_key = {"all": "all", "partnership": "partnership", "custom": "all"}.get(params.get("peer", "all"))
    if group_key is None:
        directory = cached("city_directory", published).set_index("geo_code")
        kind = params["peer"]
        group_key = f"{kind}:{directory.loc[highlight, 'country_code' if kind == 'country' else 'size_class']}"
    interval = cached("city_rank_in_group", published, code, period, highlight, group_key)
    if len(interval):
        r = interval.iloc[0]
        st.info(
            f"{names[highlight]} ranks {int(r['rank'])} of {int(r['cities_in_group'])} in this peer group; given "
            f"sampling error its rank could be anywhere from {int(r['rank_best'])} to {int(r['rank_worst'])}. "
            f"{int(r['indistinguishable_count'])} cities of the group are not statistically different from it "
            "(light blue)."
        )
    else:
        st.info(f"{names[highlight]} has no interval for this indicator and period, so no comparison is made.")

if "has_quality_warning" in frame:
    warned = frame[frame["has_quality_warning"].fillna(False).astype(bool)]
    if len(warned):
        st.warning(
            f"{len(warned)} value(s) carry a data-quality warning: "
            + "; ".join(f"{r[name_col]}: {r['quality_note']}" for _, r in warned.iterrows() if r.get("quality_note"))
        )

if name_col == "city":
    references = cached("reference_values", published, code, period)
    references = references[references["geo_code"].isin(frame["geo_code"])]
    if len(references):
        st.subheader("National and regional survey context")
        st.caption(references["note"].iloc[0])
        st.dataframe(references.drop(columns=["note"]), hide_index=True, width="stretch")

    trend_cities = tuple(
        sorted(set(frame["geo_code"]) if params.get("peer") == "custom" else ({highlight} if highlight else set()))
    )
    if trend_cities:
        st.subheader("Over time")
        series = cached("city_series", published, code, trend_cities)
        series = series[series["comparability_group"] == frame["comparability_group"].iloc[0]]
        refs = cached("reference_series", published, code, trend_cities)
        if len(refs):
            refs = refs.assign(period_year=refs["period"].str[:4].astype(int))
        if series["period"].nunique() < 2:
            st.caption(f"Only one period ({period}) exists for this indicator: no trend to show.")
        altair_chart(charts.city_time_series(series, unit, refs))
        st.caption(
            "Diamonds mark a break in series (flag b); bars are 95 % intervals; dashed ticks are national "
            "or regional survey values (context, different survey)."
        )
        download_buttons(series, f"{code}_series")

st.subheader("Table")
st.dataframe(frame, hide_index=True, width="stretch")
download_buttons(frame, f"{code}_{period}")
footer(published)
