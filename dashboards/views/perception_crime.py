"""Perception versus recorded crime (issue 19): the share of residents feeling safe next to the police-recorded rate
of the city's region (city_perception_vs_police), as a scatter with one city highlighted and a plain-language note
of what a gap can mean. Eurostat: police-recorded levels are not comparable across countries, so the view compares
the cities of one country, or uses ranks (percentiles) when it must cross borders. Choices live in the URL."""

import altair as alt
import streamlit as st

from dashboards.common import altair_chart, cached, download_buttons, footer, published_or_stop, show_table, url_choice

SCOPES = {
    "country": "Cities of one country (rates as recorded)",
    "ranks": "All countries, as ranks (percentiles; levels are not comparable across borders)",
}
NOTE = (
    "**Reading the gap.** Feeling safe and recorded crime measure different things. Residents can feel unsafe where "
    "little crime is recorded (fear of crime, incivilities, lighting, media, a few serious events) and safe where much "
    "is recorded (crime concentrated in a centre or among visitors, or a police force that records more). Recorded "
    "crime also depends on how often victims report to the police and on recording practice, which change over "
    "time and differ between countries: Eurostat advises against comparing police-recorded levels across countries. "
    "The region's rate covers the whole NUTS 3 region (or its nearest parent with data), not the city alone. Treat a "
    "gap as a question to look into, not as a verdict on either measure."
)
SELECTED, OTHER = "#0072B2", "#999999"

st.title("Perception versus recorded crime")
published = published_or_stop()
notes: list[str] = []
params = st.query_params
choices = cached("perception_police_choices", published)
if choices.empty:
    st.info(
        f"Published version {published.version} has no city with both a perception value and a police-recorded rate "
        "of its region (or predates this view: refresh to publish a new version)."
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
    "Feeling safe",
    perception_codes,
    index=perception_codes.index(url_choice(notes, "perception", perception_codes, default_perception)),
    format_func=lambda c: f"{perception[c]} ({c})",
)
periods = sorted(
    choices.loc[choices["perception_indicator_code"] == perception_code, "perception_period"].unique(), reverse=True
)
period = middle.selectbox(
    "Survey period", periods, index=periods.index(url_choice(notes, "period", periods, periods[0]))
)
available = choices[
    (choices["perception_indicator_code"] == perception_code) & (choices["perception_period"] == period)
]
police_codes = available["police_indicator_code"].tolist()
default_police = "robbery_rate" if "robbery_rate" in police_codes else police_codes[0]
police_code = right.selectbox(
    "Police-recorded offence (region)",
    police_codes,
    index=police_codes.index(url_choice(notes, "offence", police_codes, default_police)),
    format_func=lambda c: f"{police[c]} ({c})",
)
frame = cached("perception_vs_police", published, perception_code, period, police_code).copy()
frame["city_name"] = frame["city_name"].fillna(frame["geo_code"])
names = dict(zip(frame["geo_code"], frame["city_name"], strict=True))
ordered = sorted(names, key=names.get)
left, right = st.columns(2)
highlight = right.selectbox(
    "Highlight a city",
    ordered,
    index=ordered.index(url_choice(notes, "city", ordered, "LV001C" if "LV001C" in names else ordered[0])),
    format_func=lambda c: f"{names[c]} ({c})",
)
# within the country by default, unless the highlighted city has fewer than 3 cities to compare with there
peers = int(frame.loc[frame["geo_code"] == highlight, "cities_in_country"].iloc[0])
scope = left.radio(
    "Compare",
    list(SCOPES),
    format_func=SCOPES.get,
    index=list(SCOPES).index(url_choice(notes, "scope", list(SCOPES), "country" if peers >= 3 else "ranks")),
)
params.update(perception=perception_code, period=period, offence=police_code, scope=scope, city=highlight)
for note in notes:
    st.warning(note)

city = frame.set_index("geo_code").loc[highlight]
if scope == "country":
    group = city["police_comparability_group"]
    shown = frame[frame["police_comparability_group"] == group].copy()
    x = alt.X("police_rate:Q", title=f"{police[police_code]}, per 100 000 inhabitants (region)")
    y = alt.Y("share_feeling_safe:Q", title=f"{perception[perception_code]} (%)", scale=alt.Scale(zero=False))
    where = f"the {len(shown)} cities with police data of the same country ({group.split(':', 1)[-1]})"
else:
    shown = frame.copy()
    x = alt.X("percentile_police_rate:Q", title="recorded rate, percentile among all cities (0 = lowest)")
    y = alt.Y("percentile_feeling_safe:Q", title="feeling safe, percentile among all cities (100 = most)")
    where = f"all {len(shown)} cities, as percentiles"
shown["shown_as"] = ["highlighted city" if g == highlight else "other cities" for g in shown["geo_code"]]
tooltip = [
    alt.Tooltip("city_name:N", title="city"),
    alt.Tooltip("country_code:N", title="country"),
    alt.Tooltip("share_feeling_safe:Q", format=".1f", title="feel safe (%)"),
    alt.Tooltip("police_rate:Q", format=",.1f", title="recorded rate"),
    alt.Tooltip("region_code:N", title="region"),
    alt.Tooltip("police_period:N", title="police year"),
]
chart = (
    alt.Chart(shown)
    .mark_circle(size=90)
    .encode(
        x=x,
        y=y,
        color=alt.Color(
            "shown_as:N",
            scale=alt.Scale(domain=["highlighted city", "other cities"], range=[SELECTED, OTHER]),
            legend=alt.Legend(title=None, orient="top"),
        ),
        tooltip=tooltip,
    )
)
labels = (
    alt.Chart(shown[shown["geo_code"] == highlight])
    .mark_text(align="left", dx=8)
    .encode(x=x, y=y, text=alt.Text("city_name:N"))
)
altair_chart(alt.layer(chart, labels).properties(height=420))
gap = int(city["year_gap"])
st.caption(
    f"{perception[perception_code]} ({period}, {city['perception_comparability_group']}) against "
    f"{police[police_code]} of each city's region (Eurostat crim_gen_reg), same year or the nearest within 3 years; "
    f"{where}."
)
st.markdown(
    f"**{names[highlight]}**: {city['share_feeling_safe']:.1f} % feel safe ({period}); its region "
    f"{city['region_code']} ({city['region_level']}) recorded {city['police_rate']:,.1f} per 100 000 in "
    f"{city['police_period']}"
    + (f" ({abs(gap)} year(s) {'after' if gap > 0 else 'before'} the survey)" if gap else "")
    + f". Within its country it ranks {int(city['rank_feeling_safe_in_country'])} of {int(city['cities_in_country'])} "
    f"for feeling safe and {int(city['rank_police_rate_in_country'])} of {int(city['cities_in_country'])} for the "
    f"lowest recorded rate; among all {int(city['cities_everywhere'])} cities its percentiles are "
    f"{city['percentile_feeling_safe']:.0f} (feeling safe) and {city['percentile_police_rate']:.0f} (recorded rate)."
)
st.markdown(NOTE)
if scope == "country" and len(shown) < 3:
    st.info(
        f"Only {len(shown)} city(ies) of this country have both values: a comparison within the country says little. "
        "Switch to ranks to see the city among all cities."
    )
table = shown.drop(columns=["shown_as"])
show_table(table)
download_buttons(table, f"perception_vs_police_{perception_code}_{period}_{police_code}")
footer(published)
