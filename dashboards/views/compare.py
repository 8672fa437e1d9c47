"""Compare cities: ranked bars with 95 % whiskers, shading of the cities not statistically different from a
highlighted city, peer groups or a custom list, time series with breaks and national references. Police-recorded
indicators open on the regions of one country (dashboards/police.py). Every choice lives in the URL (indicator,
period, group, peer, highlight, cities, ...) so a view can be shared.

The page opens on the period and comparability group with the most cities: a single city's own report is one
click away, never the default. Captions are written from what is drawn and from the group shown."""

import math

import pandas as pd
import streamlit as st

from dashboards import chart_text, charts, compare_progress, police
from dashboards.common import (
    altair_chart,
    cached,
    download_buttons,
    footer,
    opened_from_link,
    published_or_stop,
    show_table,
    url_choice,
    url_picker,
)
from dashboards.frames import column, pairs, records, row_tuples
from dashboards.labels import (
    data_text,
    format_integer,
    geo_level_label,
    group_label,
    ngettext,
    source_label,
    unit_decimals,
    unit_label,
)
from dashboards.labels import text as _
from pipelines.shared.i18n import N_

PEER_GROUPS = {
    "all": N_("All cities"),
    "country": N_("Same country as the highlighted city"),
    "size": N_("Same size class as the highlighted city"),
    "partnership": N_("Partnership cities"),
    "custom": N_("My own list of cities"),
}
Z95 = 1.959963984540054

published = published_or_stop()
st.title(_("Compare cities"))
params = st.query_params
notes: list[str] = []
opening = opened_from_link("compare_indicator")


def from_url(key: str, allowed: list, default):
    return url_choice(notes, key, allowed, default, quiet=not opening)


catalogue = cached("indicators", published)
available = catalogue[catalogue["observations"] > 0]
labels = pairs(available, "indicator_code", "indicator_name")
default_code = "feel_safe_night_neighbourhood" if "feel_safe_night_neighbourhood" in labels else next(iter(labels))
code = st.selectbox(
    _("Indicator"),
    list(labels),
    format_func=lambda c: f"{labels[c]} ({c})",
    index=list(labels).index(from_url("indicator", list(labels), default_code)),
    **url_picker("compare_indicator", "indicator"),
)
params["indicator"] = code
meta = available.set_index("indicator_code").loc[code]
MODES = {"values": _("Values in one period"), "progress": _("Progress over time (change and its 95 % interval)")}
mode = st.radio(
    _("Show"),
    list(MODES),
    format_func=MODES.get,
    horizontal=True,
    index=list(MODES).index(from_url("mode", list(MODES), "values")),
    **url_picker("compare_mode", "mode"),
)
if mode == "progress":  # every city's change from the city_progress mart (dashboards/compare_progress.py)
    params["mode"] = mode
    params.pop("period", None)
    compare_progress.render(published, code, meta, notes)
    footer(published)
    st.stop()
for stale in ("mode", "window"):
    params.pop(stale, None)
flag_meanings = cached("flag_meanings", published)
FLAGS = pairs(flag_meanings, "flag", "meaning")


def flags_text(frame: pd.DataFrame) -> str:
    """The meaning of the flags that appear in what is drawn, and only those."""
    found = sorted({f for flags in frame["flags"].dropna() for f in str(flags) if f.strip()})
    meanings = ", ".join(f"{f} {_(FLAGS[f]) if f in FLAGS else ''}".strip() for f in found)
    return (" " + _("Flags: {flags}.", flags=meanings)) if found else ""


def show_notes() -> None:
    for note in notes:
        st.warning(note)


if meta["indicator_family"] == "police_recorded":
    police.render(published, code, meta, from_url, params)
    show_notes()
    footer(published)
    st.stop()

counts = cached("city_group_counts", published, code)
if meta["indicator_family"] == "survey" or counts.empty:
    # National and regional surveys (e.g. the Crime Survey for England and Wales): areas, not cities.
    periods = cached("periods_for", published, code)
    period = st.selectbox(
        _("Period"),
        periods,
        index=periods.index(from_url("period", periods, periods[0])),
        **url_picker("compare_area_period", "period"),
    )
    params["period"] = period
    levels = ["country", "nuts1", "nuts2", "nuts3"]
    frames = cached("region_values_by_level", published, code, period, tuple(levels))
    levels = [level for level in levels if len(frames[level])] or ["country"]
    level = st.radio(
        _("Geography"),
        levels,
        format_func=geo_level_label,
        horizontal=True,
        index=levels.index(from_url("level", levels, levels[0])),
        **url_picker("compare_area_level", "level"),
    )
    params["level"] = level
    frame = frames[level]
    show_notes()
    if frame.empty:
        st.info(_("No values for {indicator} in {period}.", indicator=meta["indicator_name"], period=period))
        st.stop()
    unit = frame["unit"].iloc[0]
    altair_chart(
        charts.ranked_bars(frame, "region", unit),
        chart_text.ranked(frame, "region", unit, meta["indicator_name"], period),
    )
    st.caption(
        _(
            "{indicator}, {period}: {count} {places} — unit: {unit}.",
            indicator=meta["indicator_name"],
            period=period,
            count=len(frame),
            places=geo_level_label(level, plural=len(frame) != 1, in_sentence=True),
            unit=unit_label(unit),
        )
        + " "
        + _("Source: {sources}.", sources=", ".join(sorted({source_label(s) for s in frame["source_dataset"]})))
        + f" {meta['comparability_caveat']}"
        + flags_text(frame)
    )
    st.header(_("Table"))
    shown = frame.drop(columns=["nuts3_code", "nuts2_code", "nuts1_code"], errors="ignore")
    show_table(shown)
    download_buttons(shown, f"{code}_{period}")
    footer(published)
    st.stop()

# --- cities: the period and group with the most (named) cities by default -------------------------------------
best = counts.iloc[0]  # ordered by named cities, cities, newest period
cities_in_period = counts.groupby("period")["cities"].max().to_dict()
periods = sorted(cities_in_period, reverse=True)
period = st.selectbox(
    _("Period"),
    periods,
    index=periods.index(from_url("period", periods, best["period"])),
    **url_picker("compare_period", "period"),
    format_func=lambda p: f"{p} — " + ngettext("{n} city", "{n} cities", cities_in_period[p]),
)
params["period"] = period
frame = cached("city_values", published, code, period).copy()
directory = cached("city_directory", published)
city_names = pairs(directory, "geo_code", "city")
in_period = counts[counts["period"] == period]  # already ordered: most named cities first
groups = in_period["comparability_group"].tolist()
group_cities = pairs(in_period, "comparability_group", "cities")
group = groups[0]
if len(groups) > 1:  # different questions / scales / universes are never ranked together
    group = st.selectbox(
        _("Survey or series: values from different surveys are not comparable"),
        groups,
        index=groups.index(from_url("group", groups, groups[0])),
        **url_picker("compare_group", "group"),
        format_func=lambda g: group_label(g, period, group_cities[g], city_names),
    )
    params["group"] = group
elif "group" in params:
    del params["group"]
frame = frame[frame["comparability_group"] == group].reset_index(drop=True)

# Cities the register cannot name (offline: the Latvian state cities LV002C-LV009C) only on request.
unnamed = frame[~frame["is_named"].fillna(False).astype(bool)]
show_unnamed = False
if len(unnamed):
    show_unnamed = st.toggle(
        ngettext(
            "Show the {n} city whose name is not in this snapshot",
            "Show the {n} cities whose names are not in this snapshot",
            len(unnamed),
        ),
        value=params.get("unnamed") == "1",
        key="compare_unnamed",
        help=_("They are left out of peer groups and ranks: a rank against places no one can name says little."),
    )
    if show_unnamed:
        params["unnamed"] = "1"
    else:
        if "unnamed" in params:
            del params["unnamed"]
        frame = frame[frame["is_named"].fillna(False).astype(bool)].reset_index(drop=True)
names = pairs(frame, "geo_code", "city")
ordered = sorted(names, key=names.get)
left, right = st.columns(2)
highlight = left.selectbox(
    _("Highlight a city (shades the cities not statistically different from it)"),
    [None, *ordered],
    index=([None, *ordered]).index(from_url("highlight", ordered, None)),
    **url_picker("compare_highlight", "highlight"),
    format_func=lambda c: _("none") if c is None else f"{names[c]} ({c})",
)
peer = right.selectbox(
    _("Peer group"),
    list(PEER_GROUPS),
    format_func=lambda p: _(PEER_GROUPS[p]),
    index=list(PEER_GROUPS).index(from_url("peer", list(PEER_GROUPS), "all")),
    **url_picker("compare_peer", "peer"),
)
chosen = []
if peer == "custom":
    wanted = [c for c in params.get("cities", "").split(",") if c]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        notes.append(
            _("No value in {period} for {codes}; left out of the list.", period=period, codes=", ".join(unknown))
        )
    # A stable key, filled from the URL once: a `default` that follows the URL would re-create the widget
    # (and drop the user's next pick) on every change.
    if "custom_cities" not in st.session_state:
        st.session_state["custom_cities"] = [c for c in wanted if c in names]
    st.session_state["custom_cities"] = [c for c in st.session_state["custom_cities"] if c in names]
    chosen = st.multiselect(_("Cities"), ordered, key="custom_cities", format_func=lambda c: f"{names[c]} ({c})")
    params["cities"] = ",".join(chosen)
    frame = frame[frame["geo_code"].isin(chosen)].reset_index(drop=True)
elif peer in ("country", "size"):
    if highlight is None:
        notes.append(_("Pick a city to highlight to compare it with its country or size class; showing all cities."))
        peer = "all"
    else:
        indexed = directory.set_index("geo_code")
        key = indexed.loc[highlight, "country_code" if peer == "country" else "size_class"]
        members = set(cached("peer_group_members", published, f"{peer}:{key}"))
        frame = frame[frame["geo_code"].isin(members | {highlight})].reset_index(drop=True)
elif peer == "partnership":
    members = set(cached("peer_group_members", published, "partnership"))
    frame = frame[frame["geo_code"].isin(members | ({highlight} if highlight else set()))].reset_index(drop=True)
params["peer"] = peer
if highlight:
    params["highlight"] = highlight
elif "highlight" in params:
    del params["highlight"]

show_notes()

if frame.empty:
    st.info(
        _(
            "No values for {indicator} in {period} for this selection (for example no survey in these cities that "
            "year).",
            indicator=meta["indicator_name"],
            period=period,
        )
    )
    st.stop()

if highlight is not None:
    tests = cached("comparisons_with", published, code, period, highlight)
    significant = pairs(tests, "geo_code", "is_significant")
    errors = pairs(frame, "geo_code", "standard_error")

    def classify(geo_code: str) -> str:
        if geo_code == highlight:
            return "selected city"
        if geo_code not in significant:
            # a city outside the peer groups (no name in the register), shown on request: the same z test as
            # city_pairwise_comparisons, on the values shown
            mine, theirs = errors.get(highlight), errors.get(geo_code)
            if mine is None or theirs is None or pd.isna(mine) or pd.isna(theirs):
                return "no interval"
            a = frame.loc[frame["geo_code"] == highlight, "value"].iloc[0]
            b = frame.loc[frame["geo_code"] == geo_code, "value"].iloc[0]
            differ = abs(a - b) > Z95 * math.sqrt(mine**2 + theirs**2)
            return "statistically different" if differ else "not statistically different"
        return "statistically different" if significant[geo_code] else "not statistically different"

    frame["comparison"] = frame["geo_code"].map(classify)

unit = frame["unit"].iloc[0]
rank_interval = None
if highlight is not None:
    group_key = {"all": "all", "partnership": "partnership", "custom": "all"}.get(params.get("peer", "all"))
    indexed = directory.set_index("geo_code")
    if group_key is None:
        kind_of_peer = params["peer"]
        group_key = (
            f"{kind_of_peer}:{indexed.loc[highlight, 'country_code' if kind_of_peer == 'country' else 'size_class']}"
        )
    rank_interval = cached("city_rank_in_group", published, code, period, highlight, group_key)
rank_words = None
if rank_interval is not None and len(rank_interval):
    r0 = rank_interval.iloc[0]
    rank_words = _(
        "rank {best}–{worst} of {cities}",
        best=int(r0["rank_best"]),
        worst=int(r0["rank_worst"]),
        cities=int(r0["cities_in_group"]),
    )
altair_chart(
    charts.ranked_bars(frame, "city", unit),
    chart_text.ranked(frame, "city", unit, meta["indicator_name"], period, highlight, rank_words),
    frame.drop(columns=["standard_error", "is_named"], errors="ignore"),
)

# --- the caption: what is drawn, and the method of the group shown ---------------------------------------------
drawn = frame.sort_values("value", ascending=False).head(150)
count_text = ngettext("{n} city", "{n} cities", len(frame))
parts = [
    _(
        "{indicator}, {period}: {count} — {group} — unit: {unit}.",
        indicator=meta["indicator_name"],
        period=period,
        count=_("the first 150 of {count}", count=count_text) if len(frame) > 150 else count_text,
        group=group_label(group, period, None, city_names),
        unit=unit_label(unit),
    )
]
kind = group.split(":", 1)[0]
if kind == "urb_percep":
    registry = cached("survey_registry", published)
    wave = registry[
        (registry["survey_id"] == "urb_percep")
        & (registry["wave"] == str(period))
        & (registry["indicator_code"] == code)
    ]
    if len(wave):
        w = wave.iloc[0]
        sample = (
            _("about {n} interviews per city", n=format_integer(w["sample_size"]))
            if not pd.isna(w["sample_size"])
            else _("sample per city not known")
        )
        question = str(w["question_wording"]).strip()
        parts.append(
            _(
                "Source: {survey} ({producer}), {reference_period}; {universe}, {mode}, {sample}.",
                survey=data_text(w["survey_name"]),
                producer=data_text(w["producer"]),
                reference_period=w["reference_period"],
                universe=data_text(w["population_universe"]),
                mode=data_text(w["mode"]),
                sample=sample,
            )
            + " "
            + _("Question (as asked in English): {question}", question=question)
            + ("" if question.endswith(("?", ".")) else ".")
        )
    else:
        parts.append(_("Source: {sources}.", sources=source_label("urb_percep")))
    parts.append(str(meta["comparability_caveat"]))  # the catalogue's caveat describes this survey
elif kind == "city_report":
    parts.append(
        _(
            "Source: reported by the city itself (voluntary reporting, not official statistics), with its own "
            "method; comparable only with the same city's own reports over time."
        )
    )
else:
    sources = {source_label(s, t) for s, t in row_tuples(drawn, "source_dataset", "source_type")}
    parts.append(_("Source: {sources}.", sources=", ".join(sorted(sources))))
if len(unnamed) and show_unnamed:
    first, last = unnamed["geo_code"].min(), unnamed["geo_code"].max()
    parts.append(
        _(
            "{first}–{last}: cities whose names are not in this snapshot (live mode names them from Eurostat’s "
            "CITIES code list); they are in no peer group and no rank.",
            first=first,
            last=last,
        )
    )
elif len(unnamed):
    parts.append(
        ngettext(
            "{n} city whose name is not in this snapshot is left out ({codes}).",
            "{n} cities whose names are not in this snapshot are left out ({codes}).",
            len(unnamed),
            codes=", ".join(sorted(unnamed["geo_code"])),
        )
    )
with_interval = drawn["ci_low"].notna() & drawn["ci_high"].notna()
if with_interval.any():
    approximate = bool(drawn.loc[with_interval, "is_ci_approximate"].fillna(False).astype(bool).any())
    parts.append(
        _("Whiskers: 95 % intervals")
        + (
            " (" + _("approximate: from the survey’s nominal sample per city; see Methodology") + ")"
            if approximate
            else ""
        )
        + (
            "; " + ngettext("{n} value has no interval", "{n} values have no interval", int((~with_interval).sum()))
            if (~with_interval).any()
            else ""
        )
        + "."
    )
else:
    parts.append(_("No interval is drawn: none of these values comes with one."))
st.caption(" ".join(parts) + flags_text(drawn))

if highlight is not None:
    if rank_interval is not None and len(rank_interval):
        r = rank_interval.iloc[0]
        values = {
            "city": names[highlight],
            "rank": int(r["rank"]),
            "cities": int(r["cities_in_group"]),
            "best": int(r["rank_best"]),
            "worst": int(r["rank_worst"]),
            "same": int(r["indistinguishable_count"]),
        }
        if params.get("peer") == "custom":
            # ranks are made for peer groups (city_rank_intervals); a list of one's own is not one, so the rank is
            # among all cities, said so, and the count of cities like it is of the list drawn
            values["same"] = int((frame["comparison"] == "not statistically different").sum())
            sentence = _(
                "{city} ranks {rank} of {cities} among all cities with a value (ranks are made for peer groups, and "
                "your own list is not one); given sampling error its rank could be anywhere from {best} to {worst}. "
                "Of the other cities in your list, {same} are not statistically different from it (light blue, ≈).",
                **values,
            )
        else:
            sentence = _(
                "{city} ranks {rank} of {cities} in this peer group; given sampling error its rank could be anywhere "
                "from {best} to {worst}. {same} cities of the group are not statistically different from it (light "
                "blue, ≈).",
                **values,
            )
        st.info(sentence + (" " + _("Ranks count only cities with a name.") if show_unnamed else ""))
    else:
        st.info(
            _(
                "{city} has no interval for this indicator and period, so no comparison is made.",
                city=names[highlight],
            )
        )

if "has_quality_warning" in frame:
    warned = frame[frame["has_quality_warning"].fillna(False).astype(bool)]
    if len(warned):
        st.warning(
            ngettext(
                "{n} value carries a data-quality warning",
                "{n} values carry a data-quality warning",
                len(warned),
            )
            + ": "
            + "; ".join(f"{r['city']}: {r['quality_note']}" for r in records(warned) if r.get("quality_note"))
        )

references = cached("reference_values", published, code, period)
references = references[references["geo_code"].isin(column(frame, "geo_code"))]
if len(references):
    st.header(_("National and regional survey context"))
    st.caption(data_text(references["note"].iloc[0]))
    show_table(references.drop(columns=["note"]), decimals=unit_decimals(unit))

trend_cities = tuple(
    sorted(set(frame["geo_code"]) if params.get("peer") == "custom" else ({highlight} if highlight else set()))
)
if trend_cities:
    st.header(_("Over time"))
    series = cached("city_series", published, code, trend_cities)
    series = series[series["comparability_group"] == group]
    refs = cached("reference_series", published, code, trend_cities)
    if len(refs):
        refs = refs.assign(period_year=refs["period"].str[:4].astype(int))
    if series["period"].nunique() < 2:
        st.caption(_("Only one period ({period}) exists for this indicator: no trend to show.", period=period))
    altair_chart(
        charts.city_time_series(series, unit, refs),
        chart_text.time_series(series, unit, meta["indicator_name"]),
        series,
    )
    st.caption(
        _("Each line is named at its last point. Diamonds mark a break in series (flag b)")
        + ("; " + _("bars are 95 % intervals") if series["ci_low"].notna().any() else "")
        + (
            "; " + _("dashed ticks are national or regional survey values (context, different survey)")
            if len(refs)
            else ""
        )
        + "."
    )
    download_buttons(series, f"{code}_series")

st.header(_("Table"))
shown = frame.drop(columns=["standard_error", "is_named"])
show_table(shown)
download_buttons(shown, f"{code}_{period}")
footer(published)
