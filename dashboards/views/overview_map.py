"""Overview map: one indicator and period on an offline map of Europe (no tile server: the base layer is the
GISCO NUTS 0 outlines of the published version). Cities are points coloured by value, at their Urban Audit point
or, for cities without one (Riga, the UK and Turkish cities), at their NUTS region's label point, drawn as a
diamond and called approximate in the tooltip, the legend and the table; for police-recorded indicators the
NUTS 3 regions of crim_gen_reg are a choropleth. What cannot be drawn is listed beside the map, and the table
and CSV below hold exactly what the page shows. Choices live in the URL."""

import duckdb
import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards.common import altair_chart, cached, download_buttons, footer, published_or_stop, show_table, url_choice
from dashboards.labels import country_name, group_label

ON_MAP, NO_LOCATION, OUTSIDE = "map point", "listed: no map location", "listed: outside the map frame"
AREA, NO_OUTLINE = "map area (NUTS 3)", "listed: no NUTS 2021 outline"
COLUMNS = [
    "shown_as", "geo_level", "geo_code", "name", "country", "period", "value", "unit", "ci_low", "ci_high", "flags",
    "source_dataset", "comparability_group", "lon", "lat", "location", "lineage_id",
]  # fmt: skip

st.title("Overview map")
published = published_or_stop()
params = st.query_params
notes: list[str] = []


def from_url(key: str, allowed: list, default):
    return url_choice(notes, key, allowed, default)


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
    st.error(f"Published version {published.version} has no map geometry (dim_geometries). Run `sps refresh`.")
    footer(published)
    st.stop()
catalogue = cached("map_indicators", published)
if catalogue.empty:
    st.info("The published version has no city or NUTS 3 values to map. See Compare cities for national values.")
    footer(published)
    st.stop()
labels = dict(zip(catalogue["indicator_code"], catalogue["indicator_name"], strict=True))
default_code = "feel_safe_night_neighbourhood" if "feel_safe_night_neighbourhood" in labels else next(iter(labels))
pick_indicator, pick_period, pick_country = st.columns([3, 1, 1])
code = pick_indicator.selectbox(
    "Indicator",
    list(labels),
    format_func=lambda c: f"{labels[c]} ({c})",
    index=list(labels).index(from_url("indicator", list(labels), default_code)),
    help="Indicators with city values (points) or police-recorded NUTS 3 rates (areas). National-only series are "
    "on Compare cities.",
)
meta = catalogue.set_index("indicator_code").loc[code]
periods = cached("map_periods", published, code)
period = pick_period.selectbox("Period", periods, index=periods.index(from_url("period", periods, periods[0])))
params["indicator"], params["period"] = code, period

cities = cached("map_city_values", published, code, period).copy()
police = meta["indicator_family"] == "police_recorded"
regions = cached("map_nuts3_values", published, code, period).copy() if police else cities.iloc[0:0].copy()

groups = sorted(cities["comparability_group"].unique())
if len(groups) > 1:  # values of different surveys are never coloured on one scale
    group = st.selectbox(
        "Survey or series: values from different surveys are not comparable",
        groups,
        format_func=lambda g: group_label(g, period, int((cities["comparability_group"] == g).sum())),
    )
    cities = cities[cities["comparability_group"] == group]

countries = sorted(set(cities["country"].dropna()) | set(regions["country"].dropna()))
country = pick_country.selectbox(
    "Country",
    ["all", *countries],
    index=(["all", *countries]).index(from_url("country", countries, "all")),
    format_func=lambda c: "all countries" if c == "all" else f"{country_name(c)} ({c})",
    help="Police-recorded levels are best compared within one country.",
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
    st.info(f"No city or NUTS 3 values for {meta['indicator_name']} in {period}.")
    footer(published)
    st.stop()

# Split what can be drawn from what is listed beside the map.
cities = charts.city_locations(cities)
regions["location"] = None
located = cities["lat"].notna()
in_frame = pd.Series(
    [charts.in_map_frame(lon, lat) for lon, lat in zip(cities["lon"], cities["lat"], strict=True)],
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

map_col, list_col = st.columns([3, 1])
with map_col:
    altair_chart(charts.overview_map(countries_base, points, region_features, unit, city_unit=city_unit))
with list_col:
    st.subheader("Not on the map")
    missing = cities[cities["shown_as"] == NO_LOCATION]
    if cities.empty:
        st.caption(f"No city values for this indicator in {period}.")
    else:
        st.markdown(f"**Cities without a map location: {len(missing)}**")
    if len(missing):
        st.caption(
            "Neither a GISCO Urban Audit 2021 point nor a known NUTS region for these codes (city codes whose "
            "names are not known offline); their values are here and in the table below."
        )
        show_table(missing[["name", "geo_code", "country", "value"]].rename(columns={"name": "city"}))
    elif len(cities):
        st.caption("Every city with a value has a map location.")
    outside = shown_frame(cities[cities["shown_as"] == OUTSIDE], regions[regions["shown_as"] == OUTSIDE])
    if len(outside):
        st.markdown(f"**Outside the map frame: {len(outside)}**")
        show_table(outside[["name", "geo_code", "country", "value"]].rename(columns={"name": "city or region"}))
    unmapped = regions[regions["shown_as"] == NO_OUTLINE]
    if len(unmapped):
        st.markdown(f"**NUTS 3 values without a 2021 outline: {len(unmapped)}**")
        st.caption("Codes of older NUTS versions or 'extra-regio' (…ZZZ): the 2021 outlines do not draw them.")
        show_table(unmapped[["name", "geo_code", "country", "value"]].rename(columns={"name": "region"}))

shown = shown_frame(cities, regions)
sources = "; ".join(source_label(s) for s in sorted(shown["source_dataset"].dropna().unique()))
parts = [f"{meta['indicator_name']} ({code}), {period}{'' if country == 'all' else f', {country}'}."]
parts.append(f"Unit: {unit}." if unit == city_unit else f"Units: cities {city_unit}; NUTS 3 regions {unit}.")
parts.append(f"Source: {sources}.")
approximate = int((points["location_kind"] == charts.APPROXIMATE).sum()) if len(points) else 0
counts = [f"{len(points)} cities as points"] if len(cities) else []
if approximate:
    counts[0] += (
        f" ({approximate} at an approximate location, drawn as diamonds: cities without an Urban Audit 2021 point "
        "are placed at the label point of their NUTS 3 region, or NUTS 1 where they span several)"
    )
if len(regions):
    counts.append(
        f"{len(region_features)} NUTS 3 regions in quantile classes of the regions shown (about as many regions "
        "per colour; the classes are not equal steps)"
    )
listed = len(shown) - len(points) - len(region_features)
parts.append(f"Shown: {', '.join(counts)}; {listed} listed beside the map.")
caveats = [str(meta["comparability_caveat"])] if pd.notna(meta["comparability_caveat"]) else []
if police and country == "all" and regions["country"].nunique() > 1:
    caveats.append(
        "Regions of different countries share one colour scale although legal definitions and recording differ: "
        "pick a country to compare its regions with each other."
    )
if len(points) and cities["ci_low"].notna().any():
    caveats.append("Points show estimates only; their 95 % intervals are on Compare cities.")
if shown["flags"].notna().any():
    caveats.append("Flags: e estimated, b break in series, d definition differs, u low reliability.")
if not countries_base:
    caveats.append("The country outlines (gisco_nuts_outlines_0) are not in this version: no base map is drawn.")
parts.append("Caveats: " + " ".join(caveats))
parts.append(
    "Base map: GISCO NUTS 2021 outlines, 1:60 million, Urban Audit 2021 city points and NUTS 2021 label points, "
    "© EuroGeographics for the administrative boundaries; drawn offline from the published version."
)
st.caption(" ".join(parts))

st.subheader("Values shown")
show_table(shown, labels={"shown_as": "Shown as"})
download_buttons(shown, f"map_{code}_{period}" + ("" if country == "all" else f"_{country}"))
footer(published)
