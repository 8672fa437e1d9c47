"""The City profile's "Public space" section (issue 20): SDG 11.7.1 for the city and its districts, a map of its
open spaces by type or by after-dark audit score (offline, shapes from dim_public_spaces), the districts as a
choropleth of 11.7.1, and the site audits by day and after dark with their bootstrap intervals over sites."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import chart_text, charts
from dashboards.common import altair_chart, download_buttons, show_table
from dashboards.labels import fmt_number, format_integer, ngettext, unit_label
from dashboards.labels import text as _

SYNTHETIC = "[SYNTHETIC]"
FIGURES = ("open_public_space_share", "open_public_space_per_capita", "open_space_within_400m_share")


def is_synthetic(*columns: pd.Series) -> bool:
    """Example data (examples/spaces/generate.py) names every feature and site with [SYNTHETIC]."""
    return any(len(c) and c.fillna("").astype(str).str.startswith(SYNTHETIC).any() for c in columns)


def render_public_space(published, geo_code: str, name: str, profile: dict) -> None:
    """`profile`: the city profile's queries (queries.city_profile), which hold this section's four frames."""
    layers, figures = profile["space_layers"], profile["space_figures"]
    audits, sites = profile["space_audits"], profile["space_sites"]
    st.subheader(_("Public space: open space for public use (SDG 11.7.1) and site safety audits"))
    if layers.empty and audits.empty:
        st.caption(
            _(
                "{city} has sent no public-space inventory or site audits (`sps space upload`, `sps audit upload`; "
                "see the methodology page).",
                city=name,
            )
        )
        return
    if is_synthetic(layers.get("name", pd.Series(dtype=str)), sites.get("site_name", pd.Series(dtype=str))):
        st.warning(
            _(
                "This public-space inventory and these audits are SYNTHETIC example data "
                "(examples/spaces/generate.py): invented parks and audits around the real district outlines. They say "
                "nothing about {city}.",
                city=name,
            )
        )
    _figures(figures, geo_code)
    if not layers.empty:
        _map(layers, sites, geo_code)
        _districts(layers, figures, geo_code)
    if not audits.empty:
        _audits(audits, sites, geo_code)


def _figures(figures: pd.DataFrame, geo_code: str) -> None:
    city = figures[figures["geo_code"] == geo_code].set_index("indicator_code")
    shown = [code for code in FIGURES if code in city.index]
    for column, code in zip(st.columns(max(len(shown), 1)), shown, strict=False):
        row = city.loc[code]
        column.metric(
            f"{row['indicator_name']} ({row['period']}, {unit_label(row['unit'])})", fmt_number(row["value"], 1)
        )
    if shown:
        share = city.loc[shown[0]]
        st.caption(
            _("Method: {method}.", method=share["comparability_group"].split(":", 1)[1])
            + " "
            + (str(share["quality_note"]) if not pd.isna(share["quality_note"]) else "")
            + " "
            + _("Source: the city's own inventory (not official statistics); docs/methodology/open_public_space.md.")
        )


def _map(layers: pd.DataFrame, sites: pd.DataFrame, geo_code: str) -> None:
    colour_by = st.radio(
        _("Colour the open spaces by"),
        ["type", "score"],
        format_func=lambda v: _("type") if v == "type" else _("audit score after dark"),
        horizontal=True,
        key="public-space-colour",
    )
    spaces = layers[layers["layer"] == "open_space"]
    drawn = spaces.head(charts.MAP_SPACES_LIMIT)  # largest first (the query's order)
    columns = ("feature_id", "name", "space_type", "access", "area_m2", "safety_score_after_dark")
    chart = charts.public_space_map(
        charts.shape_features(layers[layers["layer"] == "boundary"], ("feature_id",)),
        charts.shape_features(layers[layers["layer"] == "district"], ("feature_id", "name")),
        charts.shape_features(drawn, columns),
        sites.dropna(subset=["lon", "lat"]) if len(sites) else sites,
        colour_by,
    )
    counted = spaces["is_counted"].fillna(False).astype(bool)
    altair_chart(chart, chart_text.public_space_map(spaces, counted, sites))
    st.caption(
        _(
            "{spaces} open spaces ({counted} open for public use: access free or restricted hours; fee-paying spaces "
            "are drawn but not counted)",
            spaces=format_integer(len(spaces)),
            counted=format_integer(int(counted.sum())),
        )
        + (
            "; " + _("the {limit} largest are drawn", limit=format_integer(charts.MAP_SPACES_LIMIT))
            if len(spaces) > charts.MAP_SPACES_LIMIT
            else ""
        )
        + ". "
        + _("Points: audited sites. Grey spaces have no audit. Drawn offline from the city's own layers.")
    )
    table = spaces.drop(columns=["geometry_json"])
    with st.expander(_("The open spaces as a table")):
        show_table(table)
        download_buttons(table, f"public_spaces_{geo_code}")


def _districts(layers: pd.DataFrame, figures: pd.DataFrame, geo_code: str) -> None:
    districts = layers[layers["layer"] == "district"]
    shares = figures[(figures["indicator_code"] == "open_public_space_share") & (figures["geo_level"] == "district")]
    if districts.empty or shares.empty:
        return
    st.markdown("**" + _("SDG 11.7.1 by district") + "**")
    values = districts.merge(shares[["geo_code", "value", "area_name"]], on="geo_code")
    features = charts.shape_features(values.rename(columns={"area_name": "label"}), ("geo_code", "label", "value"))
    for feature in features:
        feature["properties"]["name"] = feature["properties"].pop("label")
    unit = str(shares["unit"].iloc[0])
    labels = values.rename(columns={"feature_id": "code"})[["code", "lon", "lat"]].dropna()
    table = figures[figures["geo_level"] == "district"].pivot_table(
        index=["geo_code", "area_name"], columns="indicator_code", values="value"
    )
    table = table.reset_index()
    altair_chart(charts.district_choropleth(features, labels, unit_label(unit)), chart_text.districts(values, unit))
    show_table(table)
    download_buttons(table, f"public_space_districts_{geo_code}")
    st.caption(
        _(
            "Shares of each district's area. Weighted by district area they add back to the city figure. "
            "open_space_within_400m_share is an area-based, straight-line approximation of UN-Habitat's share of "
            "residents within 400 m."
        )
    )


def _audits(audits: pd.DataFrame, sites: pd.DataFrame, geo_code: str) -> None:
    st.markdown("**" + _("Site safety audits by day and after dark ({period})", period=audits["period"].max()) + "**")
    frame = audits.assign(
        label=[_(p) if isinstance(p, str) else _("safety score (0-100, scaled to 0-3)") for p in audits["parameter"]],
        time=audits["time_of_day"].str.replace("_", " "),
    )
    score = frame["indicator_code"] == "audit_safety_score"
    scaled = frame.copy()
    for column in ("value", "ci_low", "ci_high"):
        scaled.loc[score, column] = frame.loc[score, column] * 3 / 100  # the composite on the items' 0-3 scale
    shown = frame[["indicator_code", "label", "time", "value", "ci_low", "ci_high", "sample_size", "quality_note"]]
    shown = shown.assign(time=[_(t) if isinstance(t, str) else t for t in shown["time"]])
    altair_chart(
        charts.day_after_dark_chart(scaled, _("mean score (0 = poor, 3 = good)")), chart_text.day_after_dark(scaled)
    )
    show_table(shown)
    download_buttons(shown, f"site_audits_{geo_code}")
    st.caption(
        _(
            "Means over audits, day and after dark apart; whiskers: 95 % bootstrap intervals over sites (whole sites "
            "resampled). Where the whiskers of two bars overlap, do not read a difference into them. Audit figures "
            "are local: {group}.",
            group=audits["comparability_group"].iloc[0],
        )
        + " "
        + ngettext("{n} audited site", "{n} audited sites", len(sites))
        + "; docs/methodology/safety_audits.md."
    )
