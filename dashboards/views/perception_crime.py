"""Perception versus recorded crime (issue 19): the share of residents feeling safe next to the police-recorded rate
of the city's region (city_perception_vs_police), as a scatter with one city highlighted and a plain-language note
of what a gap can mean. Eurostat: police-recorded levels are not comparable across countries, so the view compares
the cities of one country, or uses ranks (percentiles) when it must cross borders. Choices live in the URL."""

import altair as alt
import streamlit as st

from dashboards import chart_text
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
from dashboards.frames import pairs
from dashboards.labels import fmt_number, ngettext
from dashboards.labels import text as _
from pipelines.shared.i18n import N_

SCOPES = {
    "country": N_("Cities of one country (rates as recorded)"),
    "ranks": N_("All countries, as ranks (percentiles; levels are not comparable across borders)"),
}
NOTE = N_(
    "**Reading the gap.** Feeling safe and recorded crime measure different things. Residents can feel unsafe where "
    "little crime is recorded (fear of crime, incivilities, lighting, media, a few serious events) and safe where much "
    "is recorded (crime concentrated in a centre or among visitors, or a police force that records more). Recorded "
    "crime also depends on how often victims report to the police and on recording practice, which change over "
    "time and differ between countries: Eurostat advises against comparing police-recorded levels across countries. "
    "The region's rate covers the whole NUTS 3 region (or its nearest parent with data), not the city alone. Treat a "
    "gap as a question to look into, not as a verdict on either measure."
)
SELECTED, OTHER = "#0072B2", "#999999"

published = published_or_stop()
st.title(_("Perception versus recorded crime"))
notes: list[str] = []
quiet = not opened_from_link("pvc_perception")
params = st.query_params
choices = cached("perception_police_choices", published)
if choices.empty:
    st.info(
        _(
            "Published version {version} has no city with both a perception value and a police-recorded rate of its "
            "region (or predates this view: refresh to publish a new version).",
            version=published.version,
        )
    )
    footer(published)
    st.stop()

perception = dict(zip(choices["perception_indicator_code"], choices["perception_indicator_name"], strict=False))
police = dict(zip(choices["police_indicator_code"], choices["police_indicator_name"], strict=False))
left, middle, right = st.columns(3)
perception_codes = list(perception)
default_perception = (
    "feel_safe_night_neighbourhood" if "feel_safe_night_neighbourhood" in perception else perception_codes[0]
)
perception_code = left.selectbox(
    _("Feeling safe"),
    perception_codes,
    index=perception_codes.index(url_choice(notes, "perception", perception_codes, default_perception, quiet=quiet)),
    **url_picker("pvc_perception", "perception"),
    format_func=lambda c: f"{perception[c]} ({c})",
)
periods = sorted(
    choices.loc[choices["perception_indicator_code"] == perception_code, "perception_period"].unique(), reverse=True
)
period = middle.selectbox(
    _("Survey period"),
    periods,
    index=periods.index(url_choice(notes, "period", periods, periods[0], quiet=quiet)),
    **url_picker("pvc_period", "period"),
)
available = choices[
    (choices["perception_indicator_code"] == perception_code) & (choices["perception_period"] == period)
]
police_codes = available["police_indicator_code"].tolist()
default_police = "robbery_rate" if "robbery_rate" in police_codes else police_codes[0]
police_code = right.selectbox(
    _("Police-recorded offence (region)"),
    police_codes,
    index=police_codes.index(url_choice(notes, "offence", police_codes, default_police, quiet=quiet)),
    **url_picker("pvc_offence", "offence"),
    format_func=lambda c: f"{police[c]} ({c})",
)
frame = cached("perception_vs_police", published, perception_code, period, police_code).copy()
frame["city_name"] = frame["city_name"].fillna(frame["geo_code"])
names = pairs(frame, "geo_code", "city_name")
ordered = sorted(names, key=names.get)
left, right = st.columns(2)
highlight = right.selectbox(
    _("Highlight a city"),
    ordered,
    index=ordered.index(url_choice(notes, "city", ordered, "LV001C" if "LV001C" in names else ordered[0], quiet=quiet)),
    **url_picker("pvc_city", "city"),
    format_func=lambda c: f"{names[c]} ({c})",
)
# within the country by default, unless the highlighted city has fewer than 3 cities to compare with there
peers = int(frame.loc[frame["geo_code"] == highlight, "cities_in_country"].iloc[0])
scope = left.radio(
    _("Compare"),
    list(SCOPES),
    format_func=lambda s: _(SCOPES[s]),
    index=list(SCOPES).index(
        url_choice(notes, "scope", list(SCOPES), "country" if peers >= 3 else "ranks", quiet=quiet)
    ),
    **url_picker("pvc_scope", "scope"),
)
params.update(perception=perception_code, period=period, offence=police_code, scope=scope, city=highlight)
for note in notes:
    st.warning(note)

city = frame.set_index("geo_code").loc[highlight]
if scope == "country":
    group = city["police_comparability_group"]
    shown = frame[frame["police_comparability_group"] == group].copy()
    x_title = _("{offence}, per 100 000 inhabitants (region)", offence=police[police_code])
    y_title = _("{indicator} (%)", indicator=perception[perception_code])
    x = alt.X("police_rate:Q", title=x_title)
    y = alt.Y("share_feeling_safe:Q", title=y_title, scale=alt.Scale(zero=False))
    where = _(
        "the {n} cities with police data of the same country ({country})",
        n=len(shown),
        country=group.split(":", 1)[-1],
    )
    xy = ("police_rate", "share_feeling_safe")
else:
    shown = frame.copy()
    x_title = _("recorded rate, percentile among all cities (0 = lowest)")
    y_title = _("feeling safe, percentile among all cities (100 = most)")
    x = alt.X("percentile_police_rate:Q", title=x_title)
    y = alt.Y("percentile_feeling_safe:Q", title=y_title)
    where = _("all {n} cities, as percentiles", n=len(shown))
    xy = ("percentile_police_rate", "percentile_feeling_safe")
HIGHLIGHTED, OTHERS = _("highlighted city"), _("other cities")
shown["shown_as"] = [HIGHLIGHTED if g == highlight else OTHERS for g in shown["geo_code"]]
tooltip = [
    alt.Tooltip("city_name:N", title=_("city")),
    alt.Tooltip("country_code:N", title=_("country")),
    alt.Tooltip("share_feeling_safe:Q", format=".1f", title=_("feel safe (%)")),
    alt.Tooltip("police_rate:Q", format=",.1f", title=_("recorded rate")),
    alt.Tooltip("region_code:N", title=_("region")),
    alt.Tooltip("police_period:N", title=_("police year")),
]
chart = (
    alt.Chart(shown)
    .mark_point(size=90, filled=True)
    .encode(
        x=x,
        y=y,
        color=alt.Color(
            "shown_as:N",
            scale=alt.Scale(domain=[HIGHLIGHTED, OTHERS], range=[SELECTED, OTHER]),
            legend=alt.Legend(title=None, orient="top"),
        ),
        # the highlighted city is also a larger diamond, and named beside its mark: not colour alone
        shape=alt.Shape("shown_as:N", scale=alt.Scale(domain=[HIGHLIGHTED, OTHERS], range=["diamond", "circle"])),
        tooltip=tooltip,
    )
)
labels = (
    alt.Chart(shown[shown["geo_code"] == highlight])
    .mark_text(align="left", dx=8)
    .encode(x=x, y=y, text=alt.Text("city_name:N"))
)
table = shown.drop(columns=["shown_as"])
altair_chart(
    alt.layer(chart, labels).properties(height=420),
    chart_text.scatter(shown.assign(x=shown[xy[0]], y=shown[xy[1]]), x_title, y_title),
    table,
)
gap = int(city["year_gap"])
st.caption(
    _(
        "{perception} ({period}, {group}) against {offence} of each city's region (Eurostat crim_gen_reg), same year "
        "or the nearest within 3 years; {where}.",
        perception=perception[perception_code],
        period=period,
        group=city["perception_comparability_group"],
        offence=police[police_code],
        where=where,
    )
)
if gap > 0:
    gap_text = " " + ngettext("({n} year after the survey)", "({n} years after the survey)", abs(gap))
elif gap < 0:
    gap_text = " " + ngettext("({n} year before the survey)", "({n} years before the survey)", abs(gap))
else:
    gap_text = ""
values = {
    "city": names[highlight],
    "share": fmt_number(city["share_feeling_safe"], 1),
    "period": period,
    "region": city["region_code"],
    "level": city["region_level"],
    "rate": fmt_number(city["police_rate"], 1),
    "police_period": city["police_period"],
    "gap": gap_text,
    "rank_safe": int(city["rank_feeling_safe_in_country"]),
    "in_country": int(city["cities_in_country"]),
    "rank_police": int(city["rank_police_rate_in_country"]),
    "everywhere": int(city["cities_everywhere"]),
    "pct_safe": fmt_number(city["percentile_feeling_safe"], 0),
    "pct_police": fmt_number(city["percentile_police_rate"], 0),
}
st.markdown(
    _(  # a city alone in its country: "ranks 1 of 1" says nothing, so it is said as it is
        "**{city}**: {share} % feel safe ({period}); its region {region} ({level}) recorded {rate} per 100 000 in "
        "{police_period}{gap}. It is the only city of its country with both values; among all {everywhere} cities "
        "its percentiles are {pct_safe} (feeling safe) and {pct_police} (recorded rate).",
        **values,
    )
    if values["in_country"] == 1
    else _(
        "**{city}**: {share} % feel safe ({period}); its region {region} ({level}) recorded {rate} per 100 000 in "
        "{police_period}{gap}. Within its country it ranks {rank_safe} of {in_country} for feeling safe and "
        "{rank_police} of {in_country} for the lowest recorded rate; among all {everywhere} cities its percentiles "
        "are {pct_safe} (feeling safe) and {pct_police} (recorded rate).",
        **values,
    )
)
st.markdown(_(NOTE))
if scope == "country" and len(shown) < 3:
    st.info(
        ngettext(
            "Only {n} city of this country has both values: a comparison within the country says little. Switch "
            "to ranks to see the city among all cities.",
            "Only {n} cities of this country have both values: a comparison within the country says little. Switch "
            "to ranks to see the city among all cities.",
            len(shown),
        )
    )
show_table(table)
download_buttons(table, f"perception_vs_police_{perception_code}_{period}_{police_code}")
footer(published)
