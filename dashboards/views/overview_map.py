"""Overview map: one indicator and period on an offline map of Europe (no tile server: the base layer is the
GISCO NUTS 0 outlines of the published version). Cities are points coloured by value, at their Urban Audit point
or, for cities without one (Riga, the UK and Turkish cities), at their NUTS region's label point, drawn as a
diamond and called approximate in the tooltip, the legend and the table; for police-recorded indicators the
NUTS 3 regions of crim_gen_reg are a choropleth. What cannot be drawn is listed beside the map, and the table
and CSV below hold exactly what the page shows. Choices live in the URL."""

import duckdb
import pandas as pd
import streamlit as st

from dashboards import chart_text, charts
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
from dashboards.frames import pairs, row_tuples
from dashboards.labels import country_name, group_label, ngettext, unit_label
from dashboards.labels import text as _
from pipelines.shared.i18n import N_

ON_MAP, NO_LOCATION, OUTSIDE = N_("map point"), N_("listed: no map location"), N_("listed: outside the map frame")
AREA, NO_OUTLINE = N_("map area (NUTS 3)"), N_("listed: no NUTS 2021 outline")
COLUMNS = [
    "shown_as", "geo_level", "geo_code", "name", "country", "period", "value", "unit", "ci_low", "ci_high", "flags",
    "source_dataset", "comparability_group", "lon", "lat", "location", "lineage_id",
]  # fmt: skip

published = published_or_stop()
st.title(_("Overview map"))
params = st.query_params
notes: list[str] = []
opening = opened_from_link("map_indicator")


def from_url(key: str, allowed: list, default):
    return url_choice(notes, key, allowed, default, quiet=not opening)


def shown_frame(*frames: pd.DataFrame) -> pd.DataFrame:
    """One table of the given city and region rows, in the columns of the download."""
    present = [f[COLUMNS] for f in frames if len(f)]
    return pd.concat(present, ignore_index=True) if present else pd.DataFrame(columns=COLUMNS)


@st.cache_resource(show_spinner=False, max_entries=8)
def outlines(published, nuts_level: int) -> dict[str, dict]:
    """The NUTS outlines of one level of a published version, parsed once and shared (never changed)."""
    return charts.parse_outlines(cached("nuts_outlines", published, nuts_level))


def source_label(code: str) -> str:
    return cached("source_labels", published).get(code, code)


try:
    countries_base = charts.geo_features(outlines(published, 0))
except duckdb.CatalogException:  # a version published before the outlines were (e.g. after a rollback)
    st.error(
        _(
            "Published version {version} has no map geometry (dim_geometries). Run `sps refresh`.",
            version=published.version,
        )
    )
    footer(published)
    st.stop()
catalogue = cached("map_indicators", published)
if catalogue.empty:
    st.info(_("The published version has no city or NUTS 3 values to map. See Compare cities for national values."))
    footer(published)
    st.stop()
labels = pairs(catalogue, "indicator_code", "indicator_name")
default_code = "feel_safe_night_neighbourhood" if "feel_safe_night_neighbourhood" in labels else next(iter(labels))
pick_indicator, pick_period, pick_country = st.columns([3, 1, 1])
code = pick_indicator.selectbox(
    _("Indicator"),
    list(labels),
    format_func=lambda c: f"{labels[c]} ({c})",
    index=list(labels).index(from_url("indicator", list(labels), default_code)),
    **url_picker("map_indicator", "indicator"),
    help=_(
        "Indicators with city values (points) or police-recorded NUTS 3 rates (areas). National-only series are "
        "on Compare cities."
    ),
)
meta = catalogue.set_index("indicator_code").loc[code]
periods = cached("map_periods", published, code)
period = pick_period.selectbox(
    _("Period"),
    periods,
    index=periods.index(from_url("period", periods, periods[0])),
    **url_picker("map_period", "period"),
)
params["indicator"], params["period"] = code, period

cities = cached("map_city_values", published, code, period).copy()
police = meta["indicator_family"] == "police_recorded"
regions = cached("map_nuts3_values", published, code, period).copy() if police else cities.iloc[0:0].copy()

groups = sorted(cities["comparability_group"].unique())
if len(groups) > 1:  # values of different surveys are never coloured on one scale
    group = st.selectbox(
        _("Survey or series: values from different surveys are not comparable"),
        groups,
        format_func=lambda g: group_label(g, period, int((cities["comparability_group"] == g).sum())),
        key="map_group",
    )
    cities = cities[cities["comparability_group"] == group]

countries = sorted(set(cities["country"].dropna()) | set(regions["country"].dropna()))
country = pick_country.selectbox(
    _("Country"),
    ["all", *countries],
    index=(["all", *countries]).index(from_url("country", countries, "all")),
    **url_picker("map_country", "country"),
    format_func=lambda c: _("all countries") if c == "all" else f"{country_name(c)} ({c})",
    help=_("Police-recorded levels are best compared within one country."),
)
if country == "all":
    if "country" in params:
        del params["country"]
else:
    params["country"] = country
    cities = cities[cities["country"] == country]
    regions = regions[regions["country"] == country]
for note in notes:
    st.warning(note)

if cities.empty and regions.empty:
    st.info(_("No city or NUTS 3 values for {indicator} in {period}.", indicator=meta["indicator_name"], period=period))
    footer(published)
    st.stop()

# Split what can be drawn from what is listed beside the map.
cities = charts.city_locations(cities)
regions["location"] = None
located = cities["lat"].notna()
in_frame = pd.Series(
    [charts.in_map_frame(lon, lat) for lon, lat in row_tuples(cities, "lon", "lat")],
    index=cities.index,
    dtype=bool,
)
cities["shown_as"] = ON_MAP
cities.loc[~located, "shown_as"] = NO_LOCATION
cities.loc[located & ~in_frame, "shown_as"] = OUTSIDE
points = cities[cities["shown_as"] == ON_MAP]

region_features = []
regions["shown_as"] = [AREA if has else NO_OUTLINE for has in regions["has_geometry"]]
if len(regions):
    region_features = charts.geo_features(
        outlines(published, 3),
        regions[regions["shown_as"] == AREA],
        ("name", "country", "value", "flags"),
    )
    drawn = {f["properties"]["geo_code"] for f in region_features if charts.feature_in_frame(f)}
    regions.loc[(regions["shown_as"] == AREA) & ~regions["geo_code"].isin(drawn), "shown_as"] = OUTSIDE
    region_features = [f for f in region_features if f["properties"]["geo_code"] in drawn]

unit = (regions["unit"].iloc[0] if len(regions) else None) or (cities["unit"].iloc[0] if len(cities) else meta["unit"])
city_unit = cities["unit"].iloc[0] if len(cities) else unit

shown = shown_frame(cities, regions)
# On screen, where a row is shown reads in the reader's language; the download keeps the English words.
on_screen = shown.assign(shown_as=[_(v) if isinstance(v, str) else v for v in shown["shown_as"]])
map_col, list_col = st.columns([3, 1])
with map_col:
    altair_chart(
        charts.overview_map(countries_base, points, region_features, unit, city_unit=city_unit),
        chart_text.overview_map(points, len(region_features), meta["indicator_name"], city_unit, period),
        on_screen[on_screen["shown_as"].isin([_(ON_MAP), _(AREA)])],
    )
with list_col:
    st.header(_("Not on the map"))
    missing = cities[cities["shown_as"] == NO_LOCATION]
    if cities.empty:
        st.caption(_("No city values for this indicator in {period}.", period=period))
    else:
        st.markdown("**" + _("Cities without a map location: {n}", n=len(missing)) + "**")
    if len(missing):
        st.caption(
            _(
                "Neither a GISCO Urban Audit 2021 point nor a known NUTS region for these codes (city codes whose "
                "names are not known offline); their values are here and in the table below."
            )
        )
        show_table(missing[["name", "geo_code", "country", "value"]].rename(columns={"name": "city"}))
    elif len(cities):
        st.caption(_("Every city with a value has a map location."))
    outside = shown_frame(cities[cities["shown_as"] == OUTSIDE], regions[regions["shown_as"] == OUTSIDE])
    if len(outside):
        st.markdown("**" + _("Outside the map frame: {n}", n=len(outside)) + "**")
        show_table(outside[["name", "geo_code", "country", "value"]], labels={"name": _("City or region")})
    unmapped = regions[regions["shown_as"] == NO_OUTLINE]
    if len(unmapped):
        st.markdown("**" + _("NUTS 3 values without a 2021 outline: {n}", n=len(unmapped)) + "**")
        st.caption(_("Codes of older NUTS versions or 'extra-regio' (…ZZZ): the 2021 outlines do not draw them."))
        show_table(unmapped[["name", "geo_code", "country", "value"]].rename(columns={"name": "region"}))

sources = "; ".join(source_label(s) for s in sorted(shown["source_dataset"].dropna().unique()))
parts = [f"{meta['indicator_name']} ({code}), {period}{'' if country == 'all' else f', {country}'}."]
parts.append(
    _("Unit: {unit}.", unit=unit_label(unit))
    if unit == city_unit
    else _("Units: cities {city_unit}; NUTS 3 regions {unit}.", city_unit=unit_label(city_unit), unit=unit_label(unit))
)
parts.append(_("Source: {sources}.", sources=sources))
approximate = int((points["location_kind"] == _(charts.APPROXIMATE)).sum()) if len(points) else 0
counts = [ngettext("{n} city as a point", "{n} cities as points", len(points))] if len(cities) else []
if approximate:
    counts[0] += " " + ngettext(
        "({n} at an approximate location, drawn as a diamond: cities without an Urban Audit 2021 point are placed at "
        "the label point of their NUTS 3 region, or NUTS 1 where they span several)",
        "({n} at an approximate location, drawn as diamonds: cities without an Urban Audit 2021 point are placed at "
        "the label point of their NUTS 3 region, or NUTS 1 where they span several)",
        approximate,
    )
if len(regions):
    counts.append(
        ngettext(
            "{n} NUTS 3 region in quantile classes of the regions shown (about as many regions per colour; the "
            "classes are not equal steps)",
            "{n} NUTS 3 regions in quantile classes of the regions shown (about as many regions per colour; the "
            "classes are not equal steps)",
            len(region_features),
        )
    )
listed = len(shown) - len(points) - len(region_features)
parts.append(_("Shown: {what}; {listed} listed beside the map.", what=", ".join(counts), listed=listed))
caveats = [str(meta["comparability_caveat"])] if pd.notna(meta["comparability_caveat"]) else []
if police and country == "all" and regions["country"].nunique() > 1:
    caveats.append(
        _(
            "Regions of different countries share one colour scale although legal definitions and recording differ: "
            "pick a country to compare its regions with each other."
        )
    )
if len(points) and cities["ci_low"].notna().any():
    caveats.append(_("Points show estimates only; their 95 % intervals are on Compare cities."))
if shown["flags"].notna().any():
    caveats.append(_("Flags: e estimated, b break in series, d definition differs, u low reliability."))
if not countries_base:
    caveats.append(_("The country outlines (gisco_nuts_outlines_0) are not in this version: no base map is drawn."))
parts.append(_("Caveats: {caveats}", caveats=" ".join(caveats)))
parts.append(
    _(
        "Base map: GISCO NUTS 2021 outlines, 1:60 million, Urban Audit 2021 city points and NUTS 2021 label points, "
        "© EuroGeographics for the administrative boundaries; drawn offline from the published version."
    )
)
st.caption(" ".join(parts))

st.header(_("Values shown"))
show_table(on_screen, labels={"shown_as": _("Shown as")})
download_buttons(shown, f"map_{code}_{period}" + ("" if country == "all" else f"_{country}"))
footer(published)
