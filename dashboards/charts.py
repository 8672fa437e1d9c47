"""Every chart of the dashboard, with one colour-blind-safe palette (Okabe-Ito, "Color Universal Design", Okabe &
Ito 2008) for categories and viridis (perceptually uniform, readable in greyscale and by colour-blind readers) for
values. Colour is never the only carrier of meaning: categories also differ by shape or are named at the mark
(time-series lines carry their city's name), low reliability is a hollow mark, approximate map locations a diamond,
and every chart has a generated sentence and its data as a table one click away (dashboards/common.altair_chart,
dashboards/chart_text.py). Titles, legends and tooltips are in the reader's language; Vega-Lite prints numbers with
the reader's decimal sign (config.locale, set where the chart is drawn)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import altair as alt
import pandas as pd
from altair.utils.schemapi import disable_debug_mode

from dashboards.frames import records, row_tuples
from dashboards.labels import column_label, unit_decimals, unit_label
from dashboards.labels import text as _
from pipelines.shared.i18n import N_

# Altair's "debug mode" validates every schema object as it is made (~10 ms a chart, on every run of a page);
# the specs built here are validated whole in tests/dashboard/test_charts.py instead, and pages render them with
# dashboards.common.altair_chart, which skips the per-run validation of the whole spec as well.
disable_debug_mode()

# Okabe-Ito, in the order of its paper; black is left out (text, whiskers and outlines are black).
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
SELECTED = "#0072B2"  # blue
NOT_DIFFERENT = "#56B4E9"  # sky blue
DIFFERENT = "#999999"  # grey
NO_TEST = "#E69F00"  # orange: no uncertainty available, cannot be tested
COMPARISON_DOMAIN = [
    N_("selected city"),
    N_("not statistically different"),
    N_("statistically different"),
    N_("no interval"),
]
COMPARISON_RANGE = [SELECTED, NOT_DIFFERENT, DIFFERENT, NO_TEST]
# Written at the end of each bar, and before each legend label, so the comparison does not rest on colour alone.
COMPARISON_SYMBOLS = ["◆", "≈", "≠", "?"]
LOW_RELIABILITY = "u"  # Eurostat's flag, also set by the city survey kit (n 30-99 or CV above 30 %)


def _with_reliability(data: pd.DataFrame) -> pd.DataFrame:
    """A `low_reliability` column (flag u) when the frame has flags: such values are drawn hollow."""
    if "flags" not in data:
        return data
    return data.assign(low_reliability=data["flags"].fillna("").astype(str).str.contains(LOW_RELIABILITY))


def _hollow_when_unreliable() -> alt.FillOpacity:
    return alt.FillOpacity(
        "low_reliability:N",
        scale=alt.Scale(domain=[False, True], range=[1.0, 0.1]),
        legend=alt.Legend(
            title=_("hollow: low reliability (u)"),
            orient="top",
            labelExpr="datum.value ? 'u' : " + json.dumps(_("ok")),
        ),
    )


HIGHLIGHT_DOMAIN = [N_("highlighted city's region"), N_("other areas")]
HIGHLIGHT_RANGE = [SELECTED, NOT_DIFFERENT]
SERIES_BREAK, SERIES_CONTINUOUS = N_("break in series"), N_("continuous")


HIGHLIGHT_SYMBOLS = ["◆", ""]


def _translated_comparison(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The `comparison` column in the reader's language, each word after its symbol ('≈ not statistically
    different'), a `symbol` column for the bar ends, and the colour scale's domain and range to match."""
    regional = set(data["comparison"].dropna()) <= set(HIGHLIGHT_DOMAIN)
    domain, colours, symbols = (
        (HIGHLIGHT_DOMAIN, HIGHLIGHT_RANGE, HIGHLIGHT_SYMBOLS)
        if regional
        else (COMPARISON_DOMAIN, COMPARISON_RANGE, COMPARISON_SYMBOLS)
    )
    words = {word: f"{symbol} {_(word)}".strip() for word, symbol in zip(domain, symbols, strict=True)}
    marks = dict(zip(domain, symbols, strict=True))
    data = data.assign(
        comparison=[words.get(c, c) for c in data["comparison"]], symbol=[marks.get(c, "") for c in data["comparison"]]
    )
    return data, [words[w] for w in domain], colours


def _tooltip(column: str, data: pd.DataFrame, unit: str | None = None) -> alt.Tooltip:
    """A tooltip line titled for people; numbers with the precision of the unit."""
    if column in ("value", "ci_low", "ci_high") and column in data and pd.api.types.is_numeric_dtype(data[column]):
        title = unit_label(unit) if column == "value" and unit else column_label(column)
        return alt.Tooltip(f"{column}:Q", format=f",.{unit_decimals(unit)}f", title=title)
    return alt.Tooltip(column, title=column_label(column))


def _series_status(series: pd.DataFrame) -> pd.DataFrame:
    """A `series_status` column for people: 'break in series' / 'continuous', not true / false."""
    breaks = series["break_in_series"].astype(object).where(series["break_in_series"].notna(), False)
    words = {True: _(SERIES_BREAK), False: _(SERIES_CONTINUOUS)}
    return series.assign(series_status=[words[value is True] for value in breaks])


def _series_shape(legend: alt.Legend | None = None) -> alt.Shape:
    return alt.Shape(
        "series_status:N",
        title=_("series"),
        scale=alt.Scale(domain=[_(SERIES_CONTINUOUS), _(SERIES_BREAK)], range=["circle", "diamond"]),
        **({"legend": legend} if legend is not None else {}),
    )


def ranked_bars(
    frame: pd.DataFrame,
    name_col: str,
    unit: str,
    limit: int = 150,
    title: list[str] | str | None = None,
) -> alt.Chart:
    """Horizontal bars, best first, with 95 % interval whiskers where an interval exists. When the frame has a
    `comparison` column, bars are coloured by it (selected / not different / different, or the highlighted
    city's region against the other areas). `title` goes on the chart itself (e.g. a caveat)."""
    data = _with_reliability(frame.sort_values("value", ascending=False).head(limit))
    colour = alt.value(SELECTED)
    scale = None
    if "comparison" in data:
        data, domain, colours = _translated_comparison(data)
        scale = alt.Scale(domain=domain, range=colours)
        colour = alt.Color("comparison:N", scale=scale, legend=alt.Legend(title=None, orient="top"))
    # Channels are given as objects, never as shorthand strings: Altair resolves each string through a lookup it
    # rebuilds over its whole schema every time (~4 ms a string, most of the time it takes to build a chart).
    tooltip = [_tooltip(name_col, data), _tooltip("geo_code", data), _tooltip("value", data, unit)]
    for extra in ("ci_low", "ci_high", "sample_size", "flags", "source_dataset", "comparison"):
        if extra in data and data[extra].notna().any():
            tooltip.append(_tooltip(extra, data, unit))
    # An explicit order: layered charts ignore a sort by field, and every layer must share it.
    order = data[name_col].tolist()
    y = alt.Y(f"{name_col}:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=340))
    encoding = {"x": alt.X("value:Q", title=unit_label(unit)), "y": y, "color": colour, "tooltip": tooltip}
    if "low_reliability" in data and data["low_reliability"].any():
        # Hollow bars for low reliability: the outline keeps the bar's colour, the fill fades.
        stroke = alt.Stroke("comparison:N", scale=scale, legend=None) if scale is not None else colour
        encoding.update(fillOpacity=_hollow_when_unreliable(), stroke=stroke)
    bars = alt.Chart(data).mark_bar(strokeWidth=1.5).encode(**encoding)
    layers = [bars]
    if "ci_low" in data and data["ci_low"].notna().any():
        layers.append(
            alt.Chart(data[data["ci_low"].notna()])
            .mark_rule(color="black")
            .encode(x=alt.X("ci_low:Q"), x2=alt.X2("ci_high:Q"), y=y)
        )
    if "symbol" in data and (data["symbol"] != "").any():
        ends = data.assign(end=data[["value", "ci_high"]].max(axis=1) if "ci_high" in data else data["value"])
        layers.append(
            alt.Chart(ends[ends["symbol"] != ""])
            .mark_text(align="left", dx=4, fontSize=12, color="#222222")
            .encode(x=alt.X("end:Q"), y=y, text=alt.Text("symbol:N"))
        )
    # Streamlit fits the whole chart (legend, axis, title) into this height: room for them on top of the bars,
    # or a handful of bars (the regions of one country) are squeezed to a line.
    room = 60 + (30 if "comparison" in data or "low_reliability" in encoding else 0) + (40 if title else 0)
    chart = alt.layer(*layers).properties(height=max(120, 18 * len(data)) + room)
    if title:
        chart = chart.properties(
            title=alt.TitleParams(title, anchor="start", color="#8A1C00", fontSize=13, fontWeight="normal")
        )
    return chart


def city_time_series(series: pd.DataFrame, unit: str, references: pd.DataFrame | None = None) -> alt.Chart:
    """One line per city over time, 95 % interval bars where known, breaks in series marked with a
    different point shape ('break in series' / 'continuous'), and national / regional survey references as
    dashed ticks."""
    series = _series_status(_with_reliability(series))
    base = alt.Chart(series).encode(
        x=alt.X("period_year:O", title=_("period (first year)")),
        color=alt.Color("city:N", scale=alt.Scale(range=OKABE_ITO), legend=alt.Legend(title=None, orient="top")),
    )
    tooltip = [  # channel objects, not shorthand strings: see ranked_bars
        _tooltip("city", series),
        _tooltip("geo_code", series),
        _tooltip("period", series),
        _tooltip("value", series, unit),
        _tooltip("ci_low", series, unit),
        _tooltip("ci_high", series, unit),
        _tooltip("flags", series),
        _tooltip("source_dataset", series),
        alt.Tooltip("series_status:N", title=column_label("break_in_series")),
    ]
    # Each line is named at its last point: cities are told apart by their names, not by colour alone.
    last = series.sort_values("period_year").groupby("city", as_index=False).tail(1)
    names = (
        alt.Chart(last)
        .mark_text(align="left", dx=7, fontSize=11, color="#333333")
        .encode(x=alt.X("period_year:O"), y=alt.Y("value:Q"), text=alt.Text("city:N"))
    )
    layers = [
        base.mark_line().encode(y=alt.Y("value:Q", title=unit_label(unit))),
        base.mark_point(filled=True, size=60).encode(
            y=alt.Y("value:Q"),
            shape=_series_shape(),
            tooltip=tooltip,
            # Low reliability (flag u): a hollow mark, its outline in the line's colour.
            **(
                {"fillOpacity": _hollow_when_unreliable()}
                if "low_reliability" in series and series["low_reliability"].any()
                else {}
            ),
        ),
    ]
    if series["ci_low"].notna().any():
        layers.append(base.mark_rule().encode(y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q")))
    layers.append(names)
    chart = alt.layer(*layers)
    if references is not None and len(references):
        ticks = (
            alt.Chart(references)
            .mark_tick(strokeDash=[4, 3], thickness=2, size=30, color="black")
            .encode(
                x=alt.X("period_year:O"),
                y=alt.Y("reference_value:Q"),
                tooltip=[
                    _tooltip("reference_area", references),
                    _tooltip("reference_scope", references),
                    _tooltip("reference_period", references),
                    alt.Tooltip("reference_value:Q", format=f",.{unit_decimals(unit)}f", title=unit_label(unit)),
                ],
            )
        )
        chart = alt.layer(chart, ticks)
    return chart.properties(height=320)


def country_trends(series: pd.DataFrame, unit: str, columns: int = 4) -> alt.FacetChart:
    """Each country against its own past: one small panel per country, each with its own y scale, so a level is
    never read against another country's (police-recorded data: definitions and recording differ). Breaks in
    series are marked with a diamond."""
    series = _series_status(series)
    base = alt.Chart().encode(x=alt.X("period_year:O", title=None, axis=alt.Axis(labelAngle=-45)))
    line = base.mark_line().encode(y=alt.Y("value:Q", title=unit_label(unit), scale=alt.Scale(zero=False)))
    points = base.mark_point(filled=True, size=30).encode(
        y=alt.Y("value:Q"),
        shape=_series_shape(alt.Legend(orient="top")),
        tooltip=[
            _tooltip("country_name", series),
            _tooltip("period", series),
            _tooltip("value", series, unit),
            _tooltip("flags", series),
            alt.Tooltip("series_status:N", title=column_label("break_in_series")),
        ],
    )
    return (
        alt.layer(line, points, data=series)
        .properties(width=170, height=110)
        .facet(facet=alt.Facet("country_name:N", title=None), columns=columns)
        .resolve_scale(y="independent")
    )


# --- Overview map: an offline map (no tile server). The base layer is the GISCO NUTS 0 outlines from the
# published dim_geometries; cities are points, NUTS 3 regions a choropleth; colour is explained by a legend with
# the unit, and the page's table holds the same values in words.

MAP_FRAME = (-25.0, 27.0, 45.0, 72.0)  # lon min, lat min, lon max, lat max: Iceland, Canaries, Cyprus, Turkey
MAP_PROJECTION = {"type": "azimuthalEqualArea", "rotate": [-10, -52, 0]}  # centred like LAEA Europe (EPSG:3035)
BASEMAP_FILL = "#F2F2F2"
BASEMAP_STROKE = DIFFERENT
CITY_SCHEME = "viridis"  # sequential, colour-blind safe, readable in greyscale
REGION_SCHEME = "blues"
REGION_CLASSES = 5  # quantile classes: police-recorded rates are strongly skewed
# Where a city point stands (dim_geographies.location_source), told by the mark's shape, never by colour alone.
OWN_POINT, APPROXIMATE = N_("own point"), N_("approximate: centre of its region")
LOCATION_SHAPES = {OWN_POINT: "circle", APPROXIMATE: "diamond"}
LOCATION_WORDS = {
    "urban_audit_point": N_("Urban Audit 2021 city point"),
    "city_boundary": N_("inside the boundary the city uploaded"),
    "nuts3_label_point": N_("approximate: label point of its NUTS 3 region {nuts3_code}"),
    "nuts1_label_point": N_("approximate: label point of its NUTS 1 region {nuts1_code}"),
}


def city_locations(cities: pd.DataFrame) -> pd.DataFrame:
    """`cities` with `location_kind` (own point / approximate) and `location` (in words, for the tooltip and the
    table), from location_source and the NUTS codes of map_city_values."""
    words, kinds = [], []
    for row in records(cities):
        source = row.get("location_source")
        template = LOCATION_WORDS.get(source) if isinstance(source, str) else None
        codes = {key: row.get(key) or "?" for key in ("nuts3_code", "nuts1_code")}
        words.append(_(template, **codes) if template else _("no map location"))
        kinds.append(_(APPROXIMATE if source in ("nuts3_label_point", "nuts1_label_point") else OWN_POINT))
    return cities.assign(location=words, location_kind=kinds)


def class_breaks(values, classes: int = REGION_CLASSES) -> list[float]:
    """Quantile class limits (3 significant digits, duplicates dropped): each class holds about 1/classes of
    the values. Explicit limits give a legend that reads '0.52 – 0.81' instead of an unlabelled gradient."""
    import numpy as np

    data = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=float)
    if len(data) < 2 or data.min() == data.max():
        return []
    breaks = [float(f"{q:.3g}") for q in np.quantile(data, [i / classes for i in range(1, classes)])]
    return sorted({b for b in breaks if data.min() < b <= data.max()})


def in_map_frame(lon: float | None, lat: float | None) -> bool:
    lon_min, lat_min, lon_max, lat_max = MAP_FRAME
    return lon is not None and lat is not None and lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def parse_outlines(outlines: pd.DataFrame) -> dict[str, dict]:
    """geo_code -> GeoJSON geometry of dim_geometries rows (`geometry_json`), parsed. Pages parse each published
    version's outlines once and share the result (~15 ms for the NUTS 3 layer), so it must never be changed."""
    return {c: json.loads(g) for c, g in row_tuples(outlines, "geo_code", "geometry_json")}


def geo_features(
    outlines: pd.DataFrame | Mapping[str, dict], values: pd.DataFrame | None = None, columns: tuple[str, ...] = ()
) -> list:
    """GeoJSON features from dim_geometries rows or their `parse_outlines`; with `values`, only the outlines that
    have a value, carrying `columns` of it as properties. Features share the parsed geometries (read only)."""
    geometry = outlines if isinstance(outlines, Mapping) else parse_outlines(outlines)
    if values is None:
        return [{"type": "Feature", "geometry": g, "properties": {"geo_code": c}} for c, g in geometry.items()]
    features = []
    for row in records(values[["geo_code", *(c for c in columns if c != "geo_code")]]):
        if row["geo_code"] in geometry:
            properties = {k: (None if pd.isna(v) else v) for k, v in row.items()}
            features.append({"type": "Feature", "geometry": geometry[row["geo_code"]], "properties": properties})
    return features


def _positions(geometry: dict):
    coordinates = geometry["coordinates"]
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    for polygon in polygons:
        for ring in polygon:
            yield from ring


# geometry id -> (geometry, box of its vertices inside MAP_FRAME or None). Parsed outlines are shared and never
# change (parse_outlines), so each is walked once instead of on every run of the map (~15 ms for NUTS 3 at 10x).
_frame_extents: dict[int, tuple[dict, tuple[float, float, float, float] | None]] = {}


def _frame_extent(geometry: dict) -> tuple[float, float, float, float] | None:
    """(lon min, lat min, lon max, lat max) of the vertices of `geometry` inside MAP_FRAME; None if none is."""
    known = _frame_extents.get(id(geometry))
    if known is not None and known[0] is geometry:
        return known[1]
    inside = [(lon, lat) for lon, lat, *_ in _positions(geometry) if in_map_frame(lon, lat)]
    extent = (
        (min(p[0] for p in inside), min(p[1] for p in inside), max(p[0] for p in inside), max(p[1] for p in inside))
        if inside
        else None
    )
    if len(_frame_extents) > 20_000:  # outlines of many versions, or of frames parsed per call: start again
        _frame_extents.clear()
    _frame_extents[id(geometry)] = (geometry, extent)  # holding the geometry keeps its id from being reused
    return extent


def map_fit(features: list, points: pd.DataFrame | None = None) -> dict:
    """A GeoJSON feature the projection fits to: the extent of what is drawn, within MAP_FRAME (overseas
    regions and points outside the frame are not allowed to shrink Europe to a dot)."""
    lons, lats = [], []
    for feature in features:
        extent = _frame_extent(feature["geometry"])
        if extent is not None:
            lons += [extent[0], extent[2]]
            lats += [extent[1], extent[3]]
    if points is not None and len(points):
        inside = [(lon, lat) for lon, lat in row_tuples(points, "lon", "lat") if in_map_frame(lon, lat)]
        lons += [p[0] for p in inside]
        lats += [p[1] for p in inside]
    lon_min, lat_min, lon_max, lat_max = MAP_FRAME
    if lons:
        lon_min, lon_max = max(lon_min, min(lons) - 2), min(lon_max, max(lons) + 2)  # room for point radii
        lat_min, lat_max = max(lat_min, min(lats) - 1), min(lat_max, max(lats) + 1)
    steps = 8  # densified edges: a lon/lat box is curved once projected
    edge = [
        [lon_min + (lon_max - lon_min) * i / steps, lat] for i in range(steps + 1) for lat in (lat_min, lat_max)
    ] + [[lon, lat_min + (lat_max - lat_min) * i / steps] for i in range(steps + 1) for lon in (lon_min, lon_max)]
    return {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": edge}, "properties": {}}


def inline_features(features: list) -> alt.Data:
    """Features inline as one JSON text parsed by Vega: Altair then carries a string instead of walking and
    validating every coordinate of every outline (about 1 s for the NUTS 3 layer, against a few ms)."""
    return alt.Data(values=json.dumps(features, separators=(",", ":")), format=alt.DataFormat(type="json"))


def overview_map(
    countries: list,
    cities: pd.DataFrame,
    regions: list,
    unit: str,
    city_unit: str | None = None,
    height: int = 620,
) -> alt.LayerChart:
    """Country outlines as the base, NUTS 3 regions coloured by value (quantiles, `regions` from geo_features),
    cities as points coloured by value (`cities` with name, geo_code, country, value, lon, lat, location_source):
    a circle at the city's own point, a diamond at its region's label point when it has no point of its own (the
    tooltip and the shape legend say so). Each layer has its own legend titled with the unit; points and areas
    never share a colour scale."""
    base = (
        alt.Chart(inline_features(countries))
        .mark_geoshape(fill=BASEMAP_FILL, stroke=BASEMAP_STROKE, strokeWidth=0.6, clip=True)
        .encode(tooltip=[alt.Tooltip("properties.geo_code:N", title=_("country"))])
    )
    layers = [base]
    breaks = class_breaks([f["properties"].get("value") for f in regions])
    if regions:
        layers.append(
            alt.Chart(inline_features(regions))
            .mark_geoshape(stroke="white", strokeWidth=0.25, clip=True)
            .encode(
                color=alt.Color(
                    "properties.value:Q",
                    scale=(
                        alt.Scale(type="threshold", domain=breaks, scheme=REGION_SCHEME)
                        if breaks
                        else alt.Scale(scheme=REGION_SCHEME)
                    ),
                    legend=alt.Legend(
                        title=[
                            _("NUTS 3 regions"),
                            unit_label(unit),
                            *([_("(quantile classes)")] if breaks else []),
                        ],
                        format=",.3~g",
                        orient="left",
                        titleLimit=320,
                        symbolType="square",
                    ),
                ),
                tooltip=[
                    alt.Tooltip("properties.name:N", title=_("region")),
                    alt.Tooltip("properties.geo_code:N", title="NUTS 3"),
                    alt.Tooltip("properties.value:Q", title=unit_label(unit), format=",.2f"),
                    alt.Tooltip("properties.flags:N", title=_("flags")),
                ],
            )
        )
    if len(cities):
        if "location_kind" not in cities:
            cities = city_locations(cities)
        shapes = {_(k): v for k, v in LOCATION_SHAPES.items()}
        kinds = [k for k in shapes if k in set(cities["location_kind"])]
        layers.append(
            alt.Chart(cities[["name", "geo_code", "country", "value", "lon", "lat", "location_kind", "location"]])
            .mark_point(filled=True, size=80, opacity=0.95, stroke="#333333", strokeWidth=0.6, clip=True)
            .encode(
                longitude=alt.Longitude("lon:Q"),
                latitude=alt.Latitude("lat:Q"),
                color=alt.Color(
                    "value:Q",
                    scale=alt.Scale(scheme=CITY_SCHEME),
                    legend=alt.Legend(
                        title=[_("Cities"), unit_label(city_unit or unit)],
                        format=",.1f",
                        orient="right",
                        titleLimit=320,
                    ),
                ),
                shape=alt.Shape(
                    "location_kind:N",
                    scale=alt.Scale(domain=kinds, range=[shapes[k] for k in kinds]),
                    legend=alt.Legend(title=_("City location"), orient="right", labelLimit=320),
                ),
                tooltip=[
                    alt.Tooltip("name:N", title=_("city")),
                    alt.Tooltip("geo_code:N", title=column_label("geo_code")),
                    alt.Tooltip("country:N", title=column_label("country")),
                    alt.Tooltip("value:Q", title=unit_label(city_unit or unit), format=",.1f"),
                    alt.Tooltip("location:N", title=_("location")),
                ],
            )
        )
    fit = map_fit(regions, cities)
    chart = alt.layer(*layers).project(**MAP_PROJECTION, fit=fit).properties(height=height)
    return chart.resolve_scale(color="independent") if len(layers) > 2 else chart


def feature_in_frame(feature: dict) -> bool:
    """Whether any vertex of a (Multi)Polygon feature lies inside MAP_FRAME, i.e. it is visible on the map."""
    return _frame_extent(feature["geometry"]) is not None


# --- Public space (issue 20): one city's layers on an offline map, districts as a choropleth of SDG 11.7.1, and its
# site audits by day and after dark. Shapes come from dim_public_spaces as GeoJSON text (docs/adr/0015).

SPACE_TYPE_COLOURS = {  # Okabe-Ito; the map's tooltip and the page's table name the type in words
    "park": "#009E73",
    "garden": "#56B4E9",
    "square": "#E69F00",
    "playground": "#CC79A7",
    "beach": "#F0E442",
    "sports_ground": "#D55E00",
    "street_plaza": "#0072B2",
    "other": "#999999",
}
TIME_OF_DAY_COLOURS = {N_("day"): "#E69F00", N_("after dark"): "#0072B2"}
SPACE_TYPES = (
    N_("park"), N_("garden"), N_("square"), N_("playground"), N_("beach"), N_("sports ground"), N_("street plaza"),
    N_("other"),
)  # fmt: skip
SCORE_SCHEME = "viridis"
MAP_SPACES_LIMIT = 5000  # the largest spaces drawn; a browser slows down beyond (the table lists them all)


def shape_features(frame: pd.DataFrame, columns: tuple[str, ...]) -> list:
    """GeoJSON features from rows with `geometry_json`, carrying `columns` as properties (NaN as null)."""
    features = []
    for row in records(frame[["geometry_json", *columns]]):
        properties = {c: (None if pd.isna(row[c]) else row[c]) for c in columns}
        features.append({"type": "Feature", "geometry": json.loads(row["geometry_json"]), "properties": properties})
    return features


def public_space_map(
    outline: list, districts: list, spaces: list, sites: pd.DataFrame, colour_by: str = "type", height: int = 560
) -> alt.LayerChart:
    """The city's boundary, its districts' borders, its open spaces coloured by type or by after-dark audit score
    (`colour_by` "type" | "score"), and its audited sites as points coloured by after-dark score."""
    layers = [
        alt.Chart(inline_features(outline)).mark_geoshape(fill=BASEMAP_FILL, stroke=BASEMAP_STROKE, strokeWidth=1),
    ]
    if districts:
        layers.append(
            alt.Chart(inline_features(districts))
            .mark_geoshape(filled=False, stroke="#777777", strokeWidth=0.7)
            .encode(
                tooltip=[
                    alt.Tooltip("properties.name:N", title=_("district")),
                    alt.Tooltip("properties.feature_id:N", title=_("code")),
                ]
            )
        )
    tooltip = [
        alt.Tooltip("properties.name:N", title=_("space")),
        alt.Tooltip("properties.feature_id:N", title="id"),
        alt.Tooltip("properties.space_type:N", title=_("type")),
        alt.Tooltip("properties.access:N", title=_("access")),
        alt.Tooltip("properties.area_m2:Q", title=_("area (m²)"), format=",.0f"),
        alt.Tooltip("properties.safety_score_after_dark:Q", title=_("audit score after dark"), format=".0f"),
    ]
    if spaces:
        if colour_by == "score":
            colour = alt.Color(
                "properties.safety_score_after_dark:Q",
                scale=alt.Scale(scheme=SCORE_SCHEME, domain=[0, 100]),
                legend=alt.Legend(title=[_("Audit score"), _("after dark (0-100)")], orient="right"),
            )
            fill = alt.condition("datum.properties.safety_score_after_dark == null", alt.value("#CCCCCC"), colour)
        else:
            types = {code: _(code.replace("_", " ")) for code in SPACE_TYPE_COLOURS}
            fill = alt.Color(
                "properties.space_type:N",
                scale=alt.Scale(domain=list(SPACE_TYPE_COLOURS), range=list(SPACE_TYPE_COLOURS.values())),
                legend=alt.Legend(
                    title=_("Type of open space"),
                    orient="right",
                    labelExpr=f"{json.dumps(types)}[datum.value] || datum.value",
                ),
            )
        layers.append(
            alt.Chart(inline_features(spaces))
            .mark_geoshape(stroke="#333333", strokeWidth=0.2)
            .encode(color=fill, tooltip=tooltip)
        )
    if len(sites):
        layers.append(
            alt.Chart(sites[["site_id", "lon", "lat", "safety_score_day", "safety_score_after_dark"]])
            .mark_circle(size=45, stroke="#000000", strokeWidth=0.6, opacity=0.9)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                color=alt.Color(
                    "safety_score_after_dark:Q",
                    scale=alt.Scale(scheme=SCORE_SCHEME, domain=[0, 100]),
                    legend=alt.Legend(title=[_("Audited sites:"), _("score after dark")], orient="right"),
                ),
                tooltip=[
                    alt.Tooltip("site_id:N", title=_("site")),
                    alt.Tooltip("safety_score_day:Q", title=_("score by day"), format=".0f"),
                    alt.Tooltip("safety_score_after_dark:Q", title=_("score after dark"), format=".0f"),
                ],
            )
        )
    chart = alt.layer(*layers).project(type="mercator", fit=outline[0] if outline else None).properties(height=height)
    return chart.resolve_scale(color="independent")


def district_choropleth(districts: list, labels: pd.DataFrame, unit: str, height: int = 420) -> alt.LayerChart:
    """Districts coloured by their value (`properties.value`; quantile classes with a labelled legend), each
    labelled with its code at a point inside it (`labels`: code, lon, lat)."""
    breaks = class_breaks([f["properties"].get("value") for f in districts])
    scale = alt.Scale(type="threshold", domain=breaks, scheme="greens") if breaks else alt.Scale(scheme="greens")
    shapes = (
        alt.Chart(inline_features(districts))
        .mark_geoshape(stroke="white", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.value:Q",
                scale=scale,
                legend=alt.Legend(title=[unit, *([_("(quantile classes)")] if breaks else [])], format=",.3~g"),
            ),
            tooltip=[
                alt.Tooltip("properties.name:N", title=_("district")),
                alt.Tooltip("properties.geo_code:N", title=_("code")),
                alt.Tooltip("properties.value:Q", title=unit, format=",.2f"),
            ],
        )
    )
    codes = (
        alt.Chart(labels[["code", "lon", "lat"]])
        .mark_text(fontSize=9, color="#333333")
        .encode(longitude="lon:Q", latitude="lat:Q", text="code:N")
    )
    return alt.layer(shapes, codes).project(type="mercator").properties(height=height)


def day_after_dark_chart(frame: pd.DataFrame, unit: str) -> alt.LayerChart:
    """Mean score per item by day and after dark (`label`, `time`, `value`, `ci_low`, `ci_high`), side by side
    with their 95 % bootstrap intervals over sites."""
    times = [_(t) for t in TIME_OF_DAY_COLOURS]
    frame = frame.assign(time=[_(t) if isinstance(t, str) else t for t in frame["time"]])
    colour = alt.Color(
        "time:N",
        scale=alt.Scale(domain=times, range=list(TIME_OF_DAY_COLOURS.values())),
        legend=alt.Legend(title=_("Audits"), orient="bottom"),
    )
    base = alt.Chart(frame).encode(y=alt.Y("label:N", title=None, sort=None), yOffset=alt.YOffset("time:N", sort=times))
    # Day and after dark differ by shape as well as colour (a circle and a square).
    shape = alt.Shape(
        "time:N",
        scale=alt.Scale(domain=times, range=["circle", "square"]),
        legend=alt.Legend(title=_("Audits"), orient="bottom"),
    )
    points = base.mark_point(filled=True, size=70).encode(
        x=alt.X("value:Q", title=unit),
        color=colour,
        shape=shape,
        tooltip=[
            alt.Tooltip("label:N", title=_("item")),
            alt.Tooltip("time:N", title=_("time of day")),
            alt.Tooltip("value:Q", title=column_label("value"), format=".2f"),
            alt.Tooltip("ci_low:Q", title=column_label("ci_low"), format=".2f"),
            alt.Tooltip("ci_high:Q", title=column_label("ci_high"), format=".2f"),
            alt.Tooltip("sample_size:Q", title=_("audits")),
        ],
    )
    whiskers = base.mark_rule(strokeWidth=2).encode(x="ci_low:Q", x2="ci_high:Q", color=colour)
    return alt.layer(whiskers, points).properties(height=max(140, 34 * frame["label"].nunique()))
