"""City profile (scorecard): every indicator with a value for one city, with its trend, its rank and rank
interval in each peer group, its 95 % interval and data-quality badges; then the city's region and country as
labelled context (police-recorded rates, national surveys), survey results and submissions, the catalogue's
coverage gaps and the sources. The city lives in the URL (?city=LV001C) so a profile can be shared."""

from __future__ import annotations

from html import escape
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboards import progress as shown
from dashboards.common import cached, cached_as_published, download_buttons, footer, published_or_stop, show_table
from dashboards.frames import pairs, records, row_tuples
from dashboards.labels import (
    country_name,
    data_text,
    fmt_date,
    fmt_signed,
    fmt_value,
    format_integer,
    group_label,
    indicator_title,
    ngettext,
    peer_group_label,
    sdg_text,
    source_label,
    unit_label,
)
from dashboards.labels import text as _
from dashboards.public_space import render_public_space
from pipelines.errors import SpsError
from pipelines.outputs.report.build import build_city_report
from pipelines.shared import i18n
from pipelines.shared.i18n import N_
from pipelines.versions.connection import connect_version

DEFAULT_CITY = "LV001C"  # Riga
STATE_KEY = "city_profile_city"

UNCERTAINTY_METHODS = {
    "published": N_("interval published by the producer"),
    "wilson": N_("Wilson interval from the sample size"),
    "none": N_("no uncertainty available"),
    "not_applicable": N_("administrative records or a whole inventory, no sampling error"),
    "bootstrap_sites": N_("bootstrap interval over audited sites"),
    "design_based": N_("design-based interval from the survey's microdata"),
}
LEVEL_LABELS = {"nuts3": "NUTS 3", "nuts2": "NUTS 2", "nuts1": "NUTS 1", "country": N_("country")}
POLICE_CAVEAT = N_(
    "Context, not the city's own values. Police-recorded crime reflects legal definitions, reporting and "
    "recording practices, which differ between countries: Eurostat advises that these figures are not comparable "
    "across countries. Compare a region or country with itself over time. Rates are offences per 100 000 "
    "inhabitants, latest year available per offence."
)


def level_label(level) -> str:
    return _(LEVEL_LABELS[level]) if level in LEVEL_LABELS else str(level)


def method_label(method) -> str:
    return _(UNCERTAINTY_METHODS[method]) if method in UNCERTAINTY_METHODS else str(method)


def is_true(value) -> bool:
    """True only for a real True: nullable booleans from DuckDB come as pd.NA, and bool(pd.NA) raises."""
    return value is True or (not pd.isna(value) and bool(value))


def fmt(value, unit: str | None) -> str:
    """A value and its interval with the precision of the unit (dashboards/labels.py): 79.0 and 75.2–82.3."""
    return fmt_value(value, unit)


def quality_labels(row) -> list[tuple[str, str]]:
    """(label, colour) of every data-quality badge of one observation."""
    badges = []
    flags = "" if pd.isna(row.get("flags")) else str(row["flags"])
    for flag in flags:
        if flag.strip():
            meaning = _(FLAG_MEANINGS[flag]) if flag in FLAG_MEANINGS else _("flag without a known meaning")
            badges.append((f"{flag}: {meaning}", "orange" if flag in WARNING_FLAGS else "blue"))
    if is_true(row.get("break_in_series")) and "b" not in flags:
        badges.append((_("break in series"), "orange"))
    if is_true(row.get("has_quality_warning")):
        badges.append((_("quality warning"), "red"))
    method = row.get("uncertainty_method")
    if method == "none":
        badges.append((_("no uncertainty available"), "gray"))
    if is_true(row.get("is_ci_approximate")):
        badges.append((_("approximate interval"), "violet"))
    if "is_official" in row and not is_true(row.get("is_official")):
        badges.append((_("not official statistics"), "gray"))
    if row.get("source_type") == "city_report":
        badges.append((_("reported by the city"), "green"))
    return badges


def quality_text(row) -> str:
    return "; ".join(label for label, _ in quality_labels(row))


def badges_markdown(row) -> str:
    return " ".join(f":{colour}-badge[{label}]" for label, colour in quality_labels(row))


def interval_text(row) -> str:
    method = row["uncertainty_method"]
    if method == "none":
        return _("No uncertainty available: no interval is invented.")
    if method == "not_applicable":
        return _("No sampling interval: administrative records.")
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return _("No interval ({method}).", method=method_label(method))
    how = method_label(method)
    if not pd.isna(row.get("sample_size")):
        how += f", n = {format_integer(row['sample_size'])}"
    if is_true(row["is_ci_approximate"]):
        how += "; " + _("approximate, from the survey's nominal sample per city")
    return _(
        "95 % interval {low}–{high} ({how}).",
        low=fmt(row["ci_low"], row["unit"]),
        high=fmt(row["ci_high"], row["unit"]),
        how=how,
    )


def trend_text(row) -> str:
    """The assessment of the series' most recent window, as the city_progress mart gives it (never computed here)."""
    if pd.isna(row["assessment"]):
        return _("Trend: first period of this series (or no earlier comparable value).")
    values = {
        "change": shown.change_text(row, row["unit"]),
        "assessment": shown.badge(row["assessment"]),
        "method": shown.method_link(row["progress_method"]),
    }
    if row["progress_method"] == "survey_change_95":
        return _(
            "Trend: {previous} in {previous_period}, change {change}: {assessment} ({method}).",
            previous=fmt(row["previous_value"], row["unit"]),
            previous_period=row["previous_period"],
            **values,
        )
    window = f"{row['previous_period']} → {row['period']}"  # the scorecard row names the window this way
    return _("Trend {window}: {change}: {assessment} ({method}).", window=window, **values)


def rank_text(rank_row, uncertainty_method: str) -> str:
    """'85 of 100, could be 67–89', or why there is no rank."""
    if not pd.isna(rank_row["rank"]):
        rank, best, worst = int(rank_row["rank"]), int(rank_row["rank_best"]), int(rank_row["rank_worst"])
        of = int(rank_row["cities_in_group"])
        if best != worst:
            return _("{rank} of {cities}, could be {best}–{worst}", rank=rank, cities=of, best=best, worst=worst)
        return _("{rank} of {cities}, rank {best} is clear at 95 %", rank=rank, cities=of, best=best)
    if int(rank_row["cities_with_value"]) <= 1:
        return _("not ranked: the only city of the group with a value in {period}", period=rank_row["period"])
    if uncertainty_method == "none":
        return _("not ranked: no uncertainty available")
    return _("not ranked: no other city of the group has an interval")


def reported_text(version, date) -> str:
    return _("reported by the city, version {version}, {date}", version=int(version), date=fmt_date(date))


def resolve_city(codes: set[str], default: str) -> tuple[str, str | None]:
    """The city in the URL if it is a known code, else the default, with a message saying why."""
    requested = st.query_params.get("city")
    if requested is None or not requested.strip():
        return default, None
    code = requested.strip().upper()
    if code in codes:
        return code, None
    return default, _("'{code}' is not a city code in the geography register", code=requested)


def city_to_url() -> None:
    st.query_params["city"] = st.session_state[STATE_KEY]


@st.cache_data(show_spinner=False, max_entries=16)
def city_report(published, geo_code: str, lang: str) -> bytes:
    """The city's report in the page's language (the same HTML as `sps report --lang`), built only when the button
    is clicked (a report takes a few hundred milliseconds; a page view must not pay for it)."""
    try:
        with connect_version(published.path) as conn:
            return build_city_report(conn, geo_code, lang=lang).html.encode("utf-8")
    except SpsError as exc:  # the cheap check below said yes but the report disagrees: say why in the file
        return (
            f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>No report</title><p>{escape(str(exc))}".encode()
        )


class CityRegister(NamedTuple):
    directory: pd.DataFrame  # one row per city, indexed by geo_code; shared by every session: read, never changed
    codes: list[str]  # the selectbox's options, in the register's order (by name)
    code_set: frozenset[str]
    labels: dict[str, str]  # geo_code -> "Name (code, country)"
    busiest: str | None  # the city with the most indicators with a value (the default when Riga is absent)


@st.cache_resource(show_spinner=False, max_entries=8)
def city_register(published) -> CityRegister:
    """The register of cities as the page's city picker needs it, built once per published version and shared by
    every session (st.cache_resource: no copy per run). Built on every run it cost ~25 ms of each run at 100x
    (7 442 cities): copying and indexing the frame, and a label per option through pandas' Arrow strings."""
    cities = cached_as_published("city_profile_cities", published).copy()  # no words to translate in it
    cities["city"] = cities["city"].str.strip()  # some register names carry trailing blanks
    codes = cities["geo_code"].tolist()
    names, countries = cities["city"].tolist(), cities["country_code"].tolist()
    labels = {c: f"{n} ({c}, {k})" for c, n, k in zip(codes, names, countries, strict=True)}
    busiest = None
    if not cities.empty:
        busiest = cities.sort_values("indicators_with_value", ascending=False, kind="stable")["geo_code"].iloc[0]
    directory = cities.set_index("geo_code")
    if codes:
        directory.index.get_loc(codes[0])  # builds the index's lookup table now, not in two sessions at once
    return CityRegister(directory, codes, frozenset(codes), labels, busiest)


published = published_or_stop()
st.title(_("City profile"))
# Flag meanings come from the published dim_flags (seeds/flags.csv); b, d and u are shown as warnings.
_flags = cached("flag_meanings", published)
FLAG_MEANINGS = pairs(_flags, "flag", "meaning")
WARNING_FLAGS = set(_flags.loc[_flags["is_break_in_series"] | _flags["is_quality_warning"], "flag"])
register = city_register(published)
if register.directory.empty:
    st.info(_("The geography register of this published version has no cities, so there is no profile to show."))
    footer(published)
    st.stop()

directory, codes = register.directory, register.code_set
default_city = DEFAULT_CITY if DEFAULT_CITY in codes else register.busiest
wanted, problem = resolve_city(codes, default_city)
if problem:
    st.warning(
        _(
            "{problem}; showing {city} ({code}) instead.",
            problem=problem,
            city=directory.loc[default_city, "city"],
            code=default_city,
        )
    )
if st.session_state.get(STATE_KEY) not in codes or st.query_params.get("city") not in (
    None,
    st.session_state[STATE_KEY],
):
    st.session_state[STATE_KEY] = wanted  # the URL wins over an older choice (a pasted or edited link)
geo_code = st.selectbox(
    _("City"),
    register.codes,
    key=STATE_KEY,
    format_func=register.labels.__getitem__,
    on_change=city_to_url,
)
st.query_params["city"] = geo_code
city = directory.loc[geo_code]
name = city["city"]

# --- who the city is ---------------------------------------------------------------------------------------
st.header(f"{name} ({geo_code})")
facts = [f"{country_name(city['country_code'])} ({city['country_code']})"]
facts.append(
    _("NUTS 3 region {code}", code=city["nuts3_code"])
    if not pd.isna(city["nuts3_code"])
    else _("no NUTS 3 region in the register")
)
if not pd.isna(city["population"]):
    if pd.isna(city["population_year"]):
        facts.append(_("population {population}", population=format_integer(city["population"])))
    else:
        facts.append(
            _(
                "population {population} in {year}",
                population=format_integer(city["population"]),
                year=int(city["population_year"]),
            )
        )
facts.append(
    _("size class {size_class}", size_class=city["size_class"])
    if not pd.isna(city["size_class"])
    else _("size class unknown")
)
if is_true(city["is_partnership_city"]):
    facts.append(_("partnership city (Security in Public Spaces)"))
facts.append(
    _("in Eurostat's perception survey")
    if is_true(city["is_perception_survey_city"])
    else _("not in Eurostat's perception survey")
)
st.caption(" · ".join(facts))
profile = cached("city_profile", published, geo_code)  # the page's per-city queries, run side by side
if not profile["own_data"].empty:
    lang = i18n.language()
    st.download_button(
        _("City report (HTML, print to PDF)"),
        lambda: city_report(published, geo_code, lang),
        file_name=f"sps_city_report_{geo_code}{'' if lang == i18n.DEFAULT_LANGUAGE else '_' + lang}.html",
        mime="text/html",
        key="city-report",
        help=_(
            "A self-contained report for a Voluntary Local Review, in this page's language: indicators by SDG target "
            "and domain, peers, context, coverage, caveats, sources and citation. Same as `sps report --city CODE "
            "--lang LANG`."
        ),
    )
else:
    st.caption(
        _(
            "No city report: published version {version} has no value of the city itself (only regional or national "
            "context). It can be made once the city's own data is uploaded.",
            version=published.version,
        )
    )

# --- scorecard ---------------------------------------------------------------------------------------------
st.subheader(_("Scorecard: latest value of every indicator"))
scorecard = profile["scorecard"].copy()
ranks = profile["ranks"]
if scorecard.empty:
    st.info(
        _(
            "No indicator of the catalogue has a value for {city}: it is not in Eurostat's perception survey, "
            "police-recorded crime is published for regions and countries only (see the context below), and no "
            "survey results or city reports cover it yet.",
            city=name,
        )
        if not is_true(city["is_perception_survey_city"])
        else _(
            "No indicator of the catalogue has a value for {city}: no wave of Eurostat's perception survey has a "
            "published value for it, police-recorded crime is published for regions and countries only (see the "
            "context below), and no survey results or city reports cover it yet.",
            city=name,
        )
    )
    table = pd.DataFrame()
else:
    peer_labels = {
        group: peer_group_label(group, label)
        for group, label in ranks.drop_duplicates("peer_group").set_index("peer_group")["peer_group_label"].items()
    }
    methods: dict[tuple[str, str], str] = {}  # uncertainty method of each series (dict lookups, not .loc per rank)
    for key, method in zip(
        row_tuples(scorecard, "indicator_code", "comparability_group"),
        scorecard["uncertainty_method"],
        strict=True,
    ):
        methods.setdefault(key, method)
    rank_texts: dict[tuple[str, str], dict[str, str]] = {}
    for r in records(ranks):
        key = (r["indicator_code"], r["comparability_group"])
        rank_texts.setdefault(key, {})[r["peer_group"]] = rank_text(r, methods[key])

    for position, (_index, row) in enumerate(scorecard.iterrows()):
        if position % 2 == 0:
            columns = st.columns(2)  # one row per pair of cards, so cards of a row line up
        history = [float(v) for v in row["history_values"]]
        periods = list(row["history_periods"])
        delta, delta_color = None, "off"
        if not pd.isna(row["change"]):
            delta = _("{change} since {period}", change=fmt_signed(row["change"], 1), period=row["previous_period"])
            if row["assessment"] in shown.GOOD | shown.BAD:  # colour only what the mart calls more than noise
                delta_color = "normal" if is_true(row["higher_is_better"]) else "inverse"
        with columns[position % 2].container(border=True):
            st.metric(
                f"{indicator_title(row['indicator_name'], row['source_type'])} — {row['period']} "
                f"({unit_label(row['unit'])})",
                fmt(row["value"], row["unit"]),
                delta=delta,
                delta_color=delta_color,
                delta_arrow="off" if delta and round(row["change"], 1) == 0 else "auto",
                help=f"{row['definition']} "
                + _(
                    "Series: {points}.",
                    points=", ".join(f"{p}: {fmt(v, row['unit'])}" for p, v in zip(periods, history, strict=True)),
                )
                + f" {row['comparability_caveat'] or ''}",
                # no sparkline (chart_data): Streamlit draws it as an SVG image with no text alternative (axe:
                # svg-img-alt, serious) and no way to give it one; the series is in the help and the trend line
            )
            lines = [interval_text(row), trend_text(row)]
            texts = rank_texts.get((row["indicator_code"], row["comparability_group"]), {})
            if texts:
                lines.append(
                    _("Rank (1 = best):")
                    + "\n"
                    + "\n".join(f"- {peer_labels[group]}: {text}" for group, text in texts.items())
                )
            for line in lines:
                st.markdown(line)
            badges = badges_markdown(row)
            if badges:
                st.markdown(badges)
            if not pd.isna(row["quality_note"]) and (
                is_true(row["has_quality_warning"]) or row["uncertainty_method"] == "none"
            ):
                st.caption(_("Quality note: {note}", note=row["quality_note"]))
            # titled and sourced by the row's own source: a city's own homicide rate is its report, not the police's
            source = source_label(row["source_dataset"], row["source_type"])
            if row["source_type"] == "city_report" and not pd.isna(row.get("reported_source")):
                source += f" ({row['reported_source']})"
            if not pd.isna(row["submission_id"]):
                source += ", " + _("submission {id}", id=row["submission_id"])
            series = group_label(row["comparability_group"], row["period"], None, {geo_code: name})
            st.caption(_("Source: {source}", source=source) + f" · {series} · {sdg_text(row['sdg_targets'])}")

    table = pd.DataFrame(
        {
            "indicator": [indicator_title(n, t) for n, t in row_tuples(scorecard, "indicator_name", "source_type")],
            "indicator_code": scorecard["indicator_code"],
            "period": scorecard["period"],
            "value": scorecard["value"],
            "unit": scorecard["unit"],
            "ci_low": scorecard["ci_low"],
            "ci_high": scorecard["ci_high"],
            "uncertainty_method": scorecard["uncertainty_method"],
            "is_ci_approximate": scorecard["is_ci_approximate"],
            "sample_size": scorecard["sample_size"],
            "previous_period": scorecard["previous_period"],
            "previous_value": scorecard["previous_value"],
            "change": scorecard["change"],
            "change_ci_low": scorecard["change_ci_low"],
            "change_ci_high": scorecard["change_ci_high"],
            "assessment": scorecard["assessment"],
            "method": scorecard["progress_method"],
        }
    )
    for group, label in peer_labels.items():
        table[f"rank: {label}"] = [
            rank_texts.get((c, g), {}).get(group, _("not in this group"))
            for c, g in row_tuples(scorecard, "indicator_code", "comparability_group")
        ]
    table["quality"] = scorecard.apply(quality_text, axis=1)
    table["quality_note"] = scorecard["quality_note"]
    table["source_dataset"] = scorecard["source_dataset"]
    table["submission_id"] = scorecard["submission_id"]
    table["comparability_group"] = scorecard["comparability_group"]
    show_table(table)
    approximate = bool(scorecard["is_ci_approximate"].map(is_true).any())
    st.caption(
        _(
            "Rank 1 = best (polarity-aware); 'could be' is the range of ranks the 95 % intervals allow within the "
            "peer group (city_rank_intervals); values from different surveys are never ranked together."
        )
        + (" " + _("Intervals marked approximate rest on the survey's nominal sample per city.") if approximate else "")
        + " "
        + _("Flags: e estimated, b break in series, d definition differs, u low reliability.")
    )
    download_buttons(table, f"city_profile_{geo_code}_scorecard")

# --- progress ----------------------------------------------------------------------------------------------
st.subheader(_("Progress: is it improving, and is that more than sampling noise?"))
progress = profile["progress"]
if progress.empty:
    st.info(
        _(
            "No progress assessment for {city}: published version {version} predates progress assessments "
            "(refresh to publish a new one).",
            city=name,
            version=published.version,
        )
        if not cached("has_table", published, "city_progress")
        else _(
            "No progress assessment for {city}: no series of the city has two comparable periods (a single survey "
            "wave, or only a breakdown).",
            city=name,
        )
    )
else:
    for (indicator_name, group), rows in progress.groupby(["indicator_name", "comparability_group"], sort=False):
        unit = rows["unit"].iloc[0]
        lines = [
            f"- {shown.window_text(r)}: {shown.change_text(r, unit)} {shown.badge(r['assessment'])} · "
            f"{shown.method_link(r['method'])}"
            + (
                " · " + _("target {value} by {year}", value=fmt(r["target_value"], unit), year=int(r["target_year"]))
                if not pd.isna(r["target_value"])
                else ""
            )
            for r in records(rows)
        ]
        group_text = group_label(group, None, None, {geo_code: name})
        st.markdown(f"**{indicator_name}** ({unit_label(unit)}) · {group_text}\n" + "\n".join(lines))
    progress_table = progress[
        ["indicator_name", "indicator_code", "comparability_group", "from_period", "to_period", "from_value",
         "to_value", "unit", "change", "change_se", "change_ci_low", "change_ci_high", "annual_growth_rate",
         "target_value", "target_year", "assessment", "method", "note", "source_dataset", "from_lineage_id",
         "to_lineage_id"]
    ]  # fmt: skip
    with st.expander(
        _("All assessments as a table, with their notes (why a row is not assessable, the window, caveats)")
    ):
        show_table(progress_table.assign(assessment=progress_table["assessment"].map(shown.assessment_label)))
    st.caption(
        _(
            "Arrows show the direction of the change, the badge's words and colour whether it is better or worse in "
            "the indicator's desired direction. Surveys: the change since each earlier wave, with its 95 % interval; "
            "it is significant only when the interval excludes zero (standard errors of the two waves combined). "
            "Without an interval a change is 'not assessable', never guessed. Police-recorded and other series "
            "without sampling error: Eurostat's and Open SDG's growth-rate methods. "
            "[How progress is assessed]({link}).",
            link=shown.METHOD_PAGE,
        )
    )
    download_buttons(progress_table, f"city_profile_{geo_code}_progress")

# --- context -----------------------------------------------------------------------------------------------
st.subheader(_("Context: region and country (not values for the city itself)"))
police = profile["police_context"]
region = police[police["context"] == "region"]
national = police[police["context"] == "national"]
if len(region):
    level = region["area_level"].iloc[0]
    where = f"{region['area_name'].iloc[0]} ({region['area_code'].iloc[0]}, {level_label(level)})"
    if level == "nuts3":
        st.markdown(_("**Region:** {area}, the NUTS 3 region of {city}; Eurostat crim_gen_reg.", area=where, city=name))
    elif pd.isna(city["nuts3_code"]):
        st.markdown(
            _(
                "**Region:** {area}; Eurostat crim_gen_reg. The geography register gives no NUTS 3 region for "
                "{city}, so the nearest parent region with values is shown.",
                area=where,
                city=name,
            )
        )
    else:
        st.markdown(
            _(
                "**Region:** {area}; Eurostat crim_gen_reg has no values for the city's NUTS 3 region {code}, so "
                "the nearest parent region with values is shown.",
                area=where,
                code=city["nuts3_code"],
            )
        )
else:
    tried = [c for c in (city["nuts3_code"], city["nuts2_code"], city["nuts1_code"]) if not pd.isna(c)]
    st.info(
        _(
            "No regional police-recorded rates: Eurostat crim_gen_reg has no values for the city's regions "
            "({regions}).",
            regions=", ".join(tried),
        )
        if tried
        else _(
            "No regional police-recorded rates: Eurostat crim_gen_reg has no values for this city (the register "
            "gives it no NUTS region)."
        )
    )
if len(national):
    areas = ", ".join(sorted({f"{country_name(c)} ({c})" for c in national["area_code"]}))
    st.markdown(_("**Country:** {areas}; Eurostat crim_off_cat.", areas=areas))
else:
    st.info(
        _(
            "No national police-recorded rates for {country} in Eurostat crim_off_cat.",
            country=country_name(city["country_code"]),
        )
    )
if len(police):
    context = pd.DataFrame(
        {
            "context": [
                f"{_('region') if c == 'region' else _('national')} ({level_label(lvl)})"
                for c, lvl in row_tuples(police, "context", "area_level")
            ],
            "area_code": police["area_code"],
            "area": police["area_name"],
            "indicator": police["indicator_name"],
            "indicator_code": police["indicator_code"],
            "period": police["period"],
            "value": police["value"],
            "unit": police["unit"],
            "quality": police.apply(quality_text, axis=1),
            "source_dataset": police["source_dataset"],
        }
    )
    show_table(context)
    st.caption(_(POLICE_CAVEAT))
    download_buttons(context, f"city_profile_{geo_code}_police_context")

references = profile["reference_values"]
st.markdown("**" + _("National survey context") + "**")
if len(references):
    shown_references = references.drop(columns=["note"])
    show_table(shown_references)
    for note in references["note"].dropna().unique():
        st.caption(data_text(note))
    download_buttons(shown_references, f"city_profile_{geo_code}_survey_context")
else:
    st.caption(
        _(
            "No national or regional survey value is linked to the indicators of {city} (city_reference_values): "
            "national surveys on the SDG wording are in the snapshot only for England and Wales.",
            city=name,
        )
    )

# --- survey results and submissions ------------------------------------------------------------------------
st.subheader(_("Survey results and submissions"))
submissions = profile["submissions"]
freshness = cached("source_freshness", published)
if len(submissions):
    results = submissions.drop(columns=["lineage_id", "is_official", "break_in_series"]).assign(
        indicator_name=[indicator_title(n, t) for n, t in row_tuples(submissions, "indicator_name", "source_type")],
        quality=submissions.apply(quality_text, axis=1),
        reported=[
            reported_text(v, d) if source == "city_report" else ""
            for v, d, source in zip(
                submissions["report_version"], submissions["reported_at"], submissions["source_type"], strict=True
            )
        ],
    )
    show_table(results)
    st.caption(
        ngettext("{n} submitted file", "{n} submitted files", submissions["submission_id"].nunique())
        + ", "
        + ngettext("{n} value", "{n} values", len(submissions))
        + ". "
        + _(
            "Results sent in the SPS survey template keep their own interval; a sample size with a design effect "
            "gives a Wilson interval; neither gives 'no uncertainty available'. Values from different surveys are "
            "not comparable."
        )
    )
    download_buttons(results, f"city_profile_{geo_code}_submissions")
else:
    status = freshness.loc[freshness["source_dataset"] == "survey_results", "last_attempt_status"]
    status = status.iloc[0] if len(status) else None
    if status == "not_in_snapshot":
        reason = _(
            "the survey_results folder was not in the snapshot at the last refresh, so no results in the SPS "
            "survey template are loaded"
        )
    elif status in (None, "loaded", "unchanged"):
        reason = _("none of the submitted survey results covers {city}", city=name)
    else:
        reason = _(
            "the last load of survey results ended '{status}' (see Data quality and freshness); the published "
            "version keeps what loaded before",
            status=status,
        )
    st.info(_("No survey results for {city}: {reason}.", city=name, reason=reason))
reported = submissions[submissions["source_type"] == "city_report"]
if len(reported):
    latest = reported.sort_values("reported_at").iloc[-1]
    st.caption(
        ngettext(
            "{n} value reported by the city itself (voluntary reporting, not official statistics)",
            "{n} values reported by the city itself (voluntary reporting, not official statistics)",
            len(reported),
        )
        + "; "
        + _(
            "the latest upload is version {version} of its values, {date}. Each row says 'reported by the city, "
            "version N, date'.",
            version=int(latest["report_version"]),
            date=fmt_date(latest["reported_at"]),
        )
    )
elif not len(submissions):  # a city survey's estimates (above) are values of its own too
    st.caption(_("{city} has not reported values of its own (voluntary reporting) yet.", city=name))

st.subheader(_("Local indicators (the city's own, not ranked against other cities)"))
local = profile["local_indicators"]
if len(local):
    local = local.assign(reported=[reported_text(v, d) for v, d in row_tuples(local, "report_version", "reported_at")])
    show_table(local.drop(columns=["lineage_id"]))
    download_buttons(local, f"city_profile_{geo_code}_local_indicators")
else:
    st.caption(_("{city} has reported no local indicators.", city=name))

# --- public space ------------------------------------------------------------------------------------------
render_public_space(published, geo_code, name, profile)

# --- coverage gaps -----------------------------------------------------------------------------------------
st.subheader(_("Coverage gaps: catalogue indicators with no value for this city"))
coverage = profile["coverage"]


def why_missing(row) -> str:
    family = row["indicator_family"]
    if family == "police_recorded":
        return _("Police-recorded crime is published for regions and countries, not cities: see the context above.")
    if family == "perception":
        if is_true(city["is_perception_survey_city"]):
            return _("No wave of Eurostat's perception survey that asked this question has a value for this city.")
        return _("The city is not in Eurostat's perception survey (urb_percep).")
    if family == "survey":
        return _("No victimisation-survey results for this city (national surveys appear as context).")
    if family == "city_report":
        return _("Reported by cities themselves: nothing reported for this city yet.")
    return _("No value in any source.")


gaps = coverage[coverage["periods_with_value"] == 0]
if len(gaps):
    gap_table = pd.DataFrame(
        {
            "indicator": gaps["indicator_name"],
            "indicator_code": gaps["indicator_code"],
            "indicator_family": gaps["indicator_family"],
            "sdg_targets": gaps["sdg_targets"],
            "why_no_value": gaps.apply(why_missing, axis=1),
        }
    )
    show_table(gap_table)
    st.caption(
        _(
            "{gaps} of {indicators} catalogue indicators have no value for {city} (city_indicator_coverage).",
            gaps=len(gaps),
            indicators=len(coverage),
            city=name,
        )
    )
    download_buttons(gap_table, f"city_profile_{geo_code}_coverage_gaps")
else:
    st.success(_("Every catalogue indicator has at least one value for {city}.", city=name))
in_scorecard = set(scorecard["indicator_code"]) if len(scorecard) else set()
breakdown_only = coverage[(coverage["periods_with_value"] > 0) & ~coverage["indicator_code"].isin(in_scorecard)]
if len(breakdown_only):
    st.caption(
        _(
            "Values only by sex, age or another breakdown (no total, so not in the scorecard): {indicators} — see "
            "survey results above.",
            indicators=", ".join(breakdown_only["indicator_name"]),
        )
    )

# --- sources -----------------------------------------------------------------------------------------------
with st.expander(_("Sources and lineage of every value on this page")):
    parts = []
    if len(scorecard):
        parts.append(scorecard.assign(section="scorecard", area_code=geo_code))
    if len(police):
        parts.append(police.assign(section=police["context"] + " context", submission_id=None))
    if len(submissions):
        parts.append(submissions.assign(section="survey results and submissions", area_code=geo_code))
    if parts:
        lineage = pd.concat(
            [
                p[["section", "indicator_code", "area_code", "period", "source_dataset", "submission_id", "lineage_id"]]
                for p in parts
            ],
            ignore_index=True,
        )
        show_table(lineage)
        download_buttons(lineage, f"city_profile_{geo_code}_lineage")
        used = freshness[freshness["source_dataset"].isin(set(lineage["source_dataset"]))]
        show_table(
            used[["source_dataset", "last_attempt_status", "loaded_at", "source_file", "source_last_update", "origin"]]
        )
        st.caption(
            _(
                "lineage_id = source dataset / load / source series key / period: it leads back to the raw row that "
                "was loaded. Sources: Eurostat (CC BY 4.0); ONS (Open Government Licence v3.0) for UK survey context."
            )
        )
    else:
        st.caption(_("No value on this page for {city}, so no sources to list.", city=name))

footer(published)
