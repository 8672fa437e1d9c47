"""Police-recorded crime on the Compare page, shown the way Eurostat's caveat says: comparing countries is
misleading (legal definitions, reporting and recording practices differ), comparing regions of one country or a
country with its own past is not.

- Regions of one country (the default): the user picks the country; the NUTS 3 region (or its parent at the level
  shown) of a chosen city is highlighted.
- Each country over time: one small panel per country, each on its own scale.
- Countries side by side: only on request, with the caveat drawn on the chart itself.

Every caption is generated from what is drawn (no word on intervals police records do not have).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import chart_text, charts
from dashboards.common import altair_chart, cached, download_buttons, show_table, url_picker
from dashboards.frames import pairs
from dashboards.labels import country_name, fmt_value, geo_level_label, ngettext, source_label, unit_label
from dashboards.labels import text as _
from pipelines.shared.i18n import N_

VIEWS = {
    "regions": N_("Regions of one country"),
    "trends": N_("Each country over time"),
    "countries": N_("Countries side by side (not comparable)"),
}
NUTS_LEVELS = ("nuts3", "nuts2", "nuts1")
CAVEAT = N_(
    "Eurostat advises that police-recorded crime is not comparable across countries: legal definitions, "
    "reporting and recording practices differ."
)
DEFAULT_CITY = "LV001C"  # Riga, as on the city profile


def _flags_text(frame: pd.DataFrame, meanings: dict[str, str]) -> str:
    found = sorted({f for flags in frame["flags"].dropna() for f in str(flags) if f.strip()})
    if not found:
        return ""
    text = ", ".join(f"{f} {_(meanings[f]) if f in meanings else ''}".strip() for f in found)
    return " " + _("Flags: {flags}.", flags=text)


def render(published, code: str, meta, from_url, params) -> None:
    """The police-recorded views of one indicator (`meta` is its catalogue row)."""
    view = st.radio(
        _("View"),
        list(VIEWS),
        format_func=lambda v: _(VIEWS[v]),
        horizontal=True,
        index=list(VIEWS).index(from_url("view", list(VIEWS), "regions")),
        **url_picker("police_view", "view"),
        help=_(CAVEAT),
    )
    params["view"] = view
    flags = cached("flag_meanings", published)
    meanings = pairs(flags, "flag", "meaning")
    if view == "regions":
        _regions(published, code, meta, from_url, params, meanings)
    elif view == "trends":
        _trends(published, code, meta, from_url, params, meanings)
    else:
        _countries(published, code, meta, from_url, params, meanings)


def _regions(published, code, meta, from_url, params, meanings) -> None:
    periods = cached("area_periods", published, code, NUTS_LEVELS)
    if not periods:
        st.info(_("No regional values for this indicator: see each country over time."))
        return
    left, middle = st.columns(2)
    period = left.selectbox(
        _("Period"),
        periods,
        index=periods.index(from_url("period", periods, periods[0])),
        **url_picker("police_period", "period"),
    )
    params["period"] = period
    counts = cached("region_countries", published, code, period, tuple(NUTS_LEVELS))
    countries = sorted(set(counts["country"]), key=country_name)
    directory = cached("city_directory", published).set_index("geo_code")
    wanted_city = params.get("highlight")
    city_country = directory["country_code"].get(wanted_city) if wanted_city in directory.index else None
    if not countries:
        st.info(_("No regional values for this indicator in this period."))
        return
    nuts3 = counts[counts["geo_level"] == "nuts3"]
    regions_per_country = pairs(nuts3, "country", "regions")
    default_country = next(
        (c for c in (city_country, directory["country_code"].get(DEFAULT_CITY)) if c in countries),
        max(countries, key=lambda c: regions_per_country.get(c, 0)),
    )
    country = middle.selectbox(
        _("Country"),
        countries,
        index=countries.index(from_url("country", countries, default_country)),
        **url_picker("police_country", "country"),
        format_func=lambda c: f"{country_name(c)} ({c})",
    )
    params["country"] = country
    levels_of_country = set(counts.loc[counts["country"] == country, "geo_level"])
    levels = [level for level in NUTS_LEVELS if level in levels_of_country]
    level = st.radio(
        _("Regions"),
        levels,
        format_func=lambda lv: geo_level_label(lv),
        horizontal=True,
        index=levels.index(from_url("level", levels, levels[0])),
        **url_picker("police_level", "level"),
    )
    params["level"] = level
    frame = cached("region_values_by_level", published, code, period, tuple(NUTS_LEVELS), country)[level]
    # Eurostat's "Extra-Regio" codes (LVZ, LVZZ, LVZZZ: offences not attributed to a region) are not regions:
    # a bar for one was ranked "lowest" at 0.00; they are left out of the bars, the ranking and the table, and said
    extra_regio = frame["geo_code"].str.fullmatch(r"[A-Z]{2}Z+")
    left_out = sorted(frame.loc[extra_regio, "geo_code"])
    frame = frame[~extra_regio].reset_index(drop=True)
    cities = directory[(directory["country_code"] == country) & directory["is_named"].fillna(False).astype(bool)]
    options = [None, *sorted(cities.index, key=lambda c: cities.loc[c, "city"])]
    default_highlight = wanted_city if wanted_city in options else None
    if default_highlight is None:
        partnership = cities[cities["is_partnership_city"].fillna(False).astype(bool)]
        default_highlight = partnership.index[0] if len(partnership) == 1 else None
    highlight = st.selectbox(
        _("Highlight a city's region"),
        options,
        index=options.index(default_highlight),
        **url_picker("police_highlight", "highlight"),
        format_func=lambda c: _("none") if c is None else f"{cities.loc[c, 'city']} ({c})",
    )
    if highlight:
        params["highlight"] = highlight
    elif "highlight" in params:
        del params["highlight"]

    region_code = None
    if highlight is not None:
        column = {"nuts3": "nuts3_code", "nuts2": "nuts2_code", "nuts1": "nuts1_code"}[level]
        region_code = directory.loc[highlight, column]
        region_code = None if pd.isna(region_code) else region_code
        frame["comparison"] = [
            charts.HIGHLIGHT_DOMAIN[0] if g == region_code else charts.HIGHLIGHT_DOMAIN[1] for g in frame["geo_code"]
        ]
    if frame.empty:
        st.info(_("No values for this selection."))
        return
    unit = frame["unit"].iloc[0]
    altair_chart(
        charts.ranked_bars(frame, "region", unit),
        chart_text.ranked(frame, "region", unit, meta["indicator_name"], period, region_code),
        frame.drop(columns=["nuts3_code", "nuts2_code", "nuts1_code"], errors="ignore"),
    )
    parts = [
        _(
            "{indicator}, {period}: {count} {places} of {country} — unit: {unit}.",
            indicator=meta["indicator_name"],
            period=period,
            count=len(frame),
            places=geo_level_label(level, in_sentence=True),
            country=country_name(country),
            unit=unit_label(unit),
        ),
        _("Source: {sources}.", sources=", ".join(sorted({source_label(s) for s in frame["source_dataset"]}))),
    ]
    if highlight is not None:
        name = directory.loc[highlight, "city"]
        if region_code is not None and region_code in set(frame["geo_code"]):
            value = frame.loc[frame["geo_code"] == region_code, "value"].iloc[0]
            parts.append(
                _(
                    "Dark blue (◆): {city}'s region {region} ({value}).",
                    city=name,
                    region=region_code,
                    value=fmt_value(value, unit),
                )
            )
        else:
            parts.append(
                _(
                    "{city}'s region has no value here ({region}).",
                    city=name,
                    region=region_code or _("no NUTS code"),
                )
            )
    parts.append(
        _(
            "Regions of one country share its law and recording practice, so they can be ranked against each other; "
            "regions of other countries cannot."
        )
        + " "
        + _("Bars are recorded rates: administrative records have no sampling interval.")
    )
    if left_out:
        parts.append(
            _(
                "Left out: {codes}, Eurostat's 'Extra-Regio' (offences not attributed to any region), which is not a "
                "region to rank.",
                codes=", ".join(left_out),
            )
        )
    st.caption(" ".join(parts) + _flags_text(frame, meanings))
    st.header(_("Table"))
    shown = frame.drop(columns=["nuts3_code", "nuts2_code", "nuts1_code"], errors="ignore")
    show_table(shown)
    download_buttons(shown, f"{code}_{period}_{country}_{level}")


def _country_source(published, code) -> tuple[str, pd.DataFrame]:
    for source in ("crim_off_cat", "crim_gen_reg"):
        series = cached("country_series", published, code, source)
        if len(series):
            return source, series
    return "crim_off_cat", series


def _trends(published, code, meta, from_url, params, meanings) -> None:
    source, series = _country_source(published, code)
    if series.empty:
        st.info(_("No country values for this indicator."))
        return
    series = series.assign(country_name=[country_name(c) for c in series["geo_code"]])
    countries = sorted(series["geo_code"].unique(), key=country_name)
    partnership = cached("city_directory", published)
    partnership = partnership[partnership["is_partnership_city"].fillna(False).astype(bool)]
    default = [c for c in countries if c in set(partnership["country_code"])] or countries[:8]
    wanted = [c for c in params.get("countries", "").split(",") if c in countries]
    if "trend_countries" not in st.session_state:
        st.session_state["trend_countries"] = wanted or default
    chosen = st.multiselect(
        _("Countries"), countries, key="trend_countries", format_func=lambda c: f"{country_name(c)} ({c})"
    )
    params["countries"] = ",".join(chosen)
    shown = series[series["geo_code"].isin(chosen)]
    if shown.empty:
        st.info(_("Pick at least one country."))
        return
    unit = shown["unit"].iloc[0]
    altair_chart(
        charts.country_trends(shown, unit),
        chart_text.country_trends(shown, unit, meta["indicator_name"]),
        shown.drop(columns=["country_name"]),
    )
    breaks = int(shown["break_in_series"].fillna(False).astype(bool).sum())
    st.caption(
        _(
            "{indicator}, {first}–{last}: {countries}, each against its own past — unit: {unit}.",
            indicator=meta["indicator_name"],
            first=shown["period"].min(),
            last=shown["period"].max(),
            countries=ngettext("{n} country", "{n} countries", shown["geo_code"].nunique()),
            unit=unit_label(unit),
        )
        + " "
        + _("Source: {sources}.", sources=source_label(source))
        + " "
        + _("Every panel has its own scale: read the change within a country, not the level against another.")
        + " "
        + _(CAVEAT)
        + (
            " "
            + ngettext(
                "{n} value starts a new series (diamonds): compare only within a series.",
                "{n} values start a new series (diamonds): compare only within a series.",
                breaks,
            )
            if breaks
            else ""
        )
        + _flags_text(shown, meanings)
    )
    download_buttons(shown.drop(columns=["country_name"]), f"{code}_countries_over_time")


def _countries(published, code, meta, from_url, params, meanings) -> None:
    source, series = _country_source(published, code)
    periods = sorted(series["period"].unique(), reverse=True)
    if not periods:
        st.info(_("No country values for this indicator."))
        return
    period = st.selectbox(
        _("Period"),
        periods,
        index=periods.index(from_url("period", periods, periods[0])),
        **url_picker("police_country_period", "period"),
    )
    params["period"] = period
    frame = series[series["period"] == period].assign(
        country=lambda f: [f"{country_name(c)} ({c})" for c in f["geo_code"]]
    )
    unit = frame["unit"].iloc[0]
    st.warning(_(CAVEAT) + " " + _("This ranking is shown because you asked for it."))
    altair_chart(
        charts.ranked_bars(frame, "country", unit, title=[_("Not comparable across countries"), _(CAVEAT)]),
        chart_text.ranked(frame, "country", unit, meta["indicator_name"], period),
        frame.drop(columns=["country"]),
    )
    st.caption(
        _(
            "{indicator}, {period}: {countries} — unit: {unit}.",
            indicator=meta["indicator_name"],
            period=period,
            countries=ngettext("{n} country", "{n} countries", len(frame)),
            unit=unit_label(unit),
        )
        + " "
        + _("Source: {sources}.", sources=source_label(source))
        + " "
        + _("Bars are recorded rates: administrative records have no sampling interval.")
        + _flags_text(frame, meanings)
    )
    shown = frame.drop(columns=["country"])
    show_table(shown, labels={"country_name": _("Country")})
    download_buttons(shown, f"{code}_{period}_countries")
