"""The report's text, in every language of SPS Monitor: each piece of text that is not data is a gettext message of
the `sps` catalogues (locales/<lang>/LC_MESSAGES/sps.po, the same catalogues as the dashboard's), written here in
English under a key the builder and the template use: `t("key", name=value)`. Translators translate the English in
their tool (Weblate, Poedit); `make messages` extracts it (babel.cfg). Placeholders in {braces} are filled in by the
report builder; a translation keeps them (tests/unit/test_catalogues.py checks it)."""

from __future__ import annotations

from pipelines.outputs.report.errors import ReportError
from pipelines.shared import i18n
from pipelines.shared.i18n import N_

DEFAULT_LANG = i18n.DEFAULT_LANGUAGE


def available_languages() -> list[str]:
    return list(i18n.LANGUAGES)


class Strings:
    """`t("key", name=value)`: the text of `key` in the chosen language, placeholders filled in."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        if lang not in i18n.LANGUAGES:
            raise ReportError(
                f"--lang {lang}: no report strings in that language (available: {', '.join(available_languages())}); "
                "add locales/<lang>/LC_MESSAGES/sps.po (see docs/adr/0023)"
            )
        self.lang = lang

    def __call__(self, key: str, **values) -> str:
        try:
            message = MESSAGES[key]
        except KeyError:
            raise KeyError(f"report string {key!r} is not in pipelines/outputs/report/strings.py") from None
        with i18n.using(self.lang):
            return i18n.translate(message, **values)

    def markup(self, key: str, **values):
        """Like calling it, for HTML: the text escaped, values escaped unless they are Markup already."""
        from markupsafe import Markup, escape

        with i18n.using(self.lang):
            return Markup(escape(i18n.gettext(MESSAGES[key]))).format(**values)

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def word(self, text: str | None) -> str:
        """A word of the data (an assessment, a domain, a flag's meaning, a survey's mode) in the report's language
        when the catalogues have it; as published otherwise."""
        if not text:
            return text or ""
        with i18n.using(self.lang):
            return i18n.data_text(text)


MESSAGES: dict[str, str] = {
    "title": N_("Security in public spaces: {city} ({code})"),
    "subtitle": N_("SDG 11.7 and SDG 16.1 indicators — annex to a Voluntary Local Review"),
    "generated": N_(
        "Generated {generated_at} UTC from SPS Monitor published version {version} (published {published_at} UTC)."
    ),
    "period_all": N_("All published periods."),
    "period_range": N_("Periods {first}–{last} only (values outside this range are left out)."),
    "contents": N_("Contents"),
    "city_facts": N_("City"),
    "fact_country": N_("Country"),
    "fact_nuts3": N_("NUTS 3 region"),
    "fact_population": N_("Population"),
    "fact_size_class": N_("Size class"),
    "fact_partnership": N_("Partnership city (EU Urban Agenda, Security in Public Spaces)"),
    "fact_perception": N_("In Eurostat's perception survey (urb_percep)"),
    "answer_yes": N_("yes"),
    "answer_no": N_("no"),
    "unknown": N_("unknown"),
    "summary_heading": N_("Summary"),
    "key_figures": N_("Key figures: the latest value of every indicator of the city"),
    "summary_intro": N_(
        "{values} indicator value(s) of the catalogue describe {city} itself; {context} police-recorded "
        "rate(s) of its region and country give context; the city reported {reported} value(s) and "
        "{local} local indicator value(s) of its own. {missing} of {catalogue} catalogue indicators have "
        "no value for the city (see Coverage)."
    ),
    "targets_heading": N_("Indicators by SDG target"),
    "targets_intro": N_(
        "Each SDG target with the catalogue indicators that measure it (headline), approximate it (proxy) "
        "or describe its context (context). Values are the latest for the city within the period of this "
        "report; the interval is a 95 % interval; the rank is among all cities with a value from the same "
        "survey and period (1 = best)."
    ),
    "target_11.7.1": N_("11.7.1 Open space for public use (share of the built-up area of cities)"),
    "target_11.7.2": N_("11.7.2 Victims of physical or sexual harassment in the previous 12 months"),
    "target_16.1.1": N_("16.1.1 Victims of intentional homicide per 100 000 population"),
    "target_16.1.3": N_(
        "16.1.3 Population subjected to physical, psychological or sexual violence in the previous 12 months"
    ),
    "target_16.1.4": N_("16.1.4 Population that feel safe walking alone around the area they live after dark"),
    "target_other": N_("Other context for SDG 11.7 and 16.1"),
    "space_heading": N_("Open space for public use by district, from the city's public-space inventory"),
    "space_synthetic": N_(
        "SYNTHETIC example data: the open spaces and audits below are invented "
        "(examples/spaces/generate.py) around the real district outlines; they say nothing about {city}."
    ),
    "space_intro": N_(
        "Inventory of {period}; method: {method}. Shares of each area, after dissolving overlapping "
        "spaces and clipping them to the boundary, in the equal-area projection EPSG:3035 "
        "(docs/methodology/open_public_space.md)."
    ),
    "space_note": N_(
        "Only spaces open to all free of charge (opening hours allowed) count. The share within 400 m is "
        "an area-based, straight-line approximation of UN-Habitat's share of residents within 400 m. "
        "District shares weighted by district area add back to the city figure."
    ),
    "audit_heading": N_("Site safety audits by day and after dark ({period})"),
    "audit_time_day": N_("Day"),
    "audit_time_after_dark": N_("After dark"),
    "audit_time_all": N_("Day and after dark"),
    "col_time_of_day": N_("Time of day"),
    "col_audit_score": N_("Safety score (0-100)"),
    "col_poor_lighting": N_("Audits with poor lighting (%)"),
    "col_audits": N_("Audits"),
    "col_sites": N_("Sites"),
    "audit_note": N_(
        "Means over audits; intervals are 95 % bootstrap intervals over sites "
        "(docs/methodology/safety_audits.md). Sites are chosen by the city, so the figures describe the "
        "audited sites, not every public space ({group})."
    ),
    "role_headline": N_("headline"),
    "role_proxy": N_("proxy"),
    "role_context": N_("context"),
    "col_indicator": N_("Indicator"),
    "col_role": N_("Role"),
    "col_value": N_("Value"),
    "col_period": N_("Period"),
    "col_interval": N_("95 % interval"),
    "col_trend": N_("Trend"),
    "col_rank": N_("Rank, all cities"),
    "col_unit": N_("Unit"),
    "col_source": N_("Source"),
    "col_area": N_("Area"),
    "col_level": N_("Level"),
    "col_peer_group": N_("Peer group"),
    "col_rank_interval": N_("Rank (could be)"),
    "col_cities": N_("Cities with a value"),
    "col_median": N_("Median"),
    "col_range": N_("Range"),
    "col_sex": N_("Sex"),
    "col_age": N_("Age"),
    "col_breakdown": N_("Breakdown"),
    "col_version": N_("Version"),
    "col_reported_at": N_("Reported"),
    "col_areas": N_("Areas"),
    "col_periods": N_("Periods with a value"),
    "col_first_last": N_("First–last"),
    "col_status": N_("Status"),
    "col_why": N_("Why no value"),
    "col_sdg": N_("SDG"),
    "col_domain": N_("Domain"),
    "col_dataset": N_("Dataset"),
    "col_title": N_("Title"),
    "col_provider": N_("Provider"),
    "col_licence": N_("Licence"),
    "col_loaded": N_("Loaded"),
    "col_last_update": N_("Source last update"),
    "col_flag": N_("Flag"),
    "col_meaning": N_("Meaning"),
    "col_survey": N_("Survey"),
    "col_waves": N_("Waves"),
    "col_mode": N_("Mode"),
    "col_universe": N_("Population"),
    "col_citation": N_("Citation"),
    "col_reference": N_("Reference"),
    "no_city_value": N_("no value for the city"),
    "context_values": N_("context: {items}"),
    "not_ranked": N_("not ranked"),
    "no_interval": N_("none"),
    "interval_not_applicable": N_("n/a (records)"),
    "domains_heading": N_("Indicators by partnership domain"),
    "domains_intro": N_(
        "The partnership on Security in Public Spaces groups its indicators in domains. For each "
        "indicator with a value for the city: the series with its 95 % band and the median of all cities, "
        "the comparison with each peer group, regional and national context, and what to keep in mind "
        "when reading it."
    ),
    "domain_sense of safety": N_("Sense of safety"),
    "domain_urban security": N_("Urban security"),
    "domain_public space liveability": N_("Public space liveability"),
    "domain_none": N_("The city has no value in this domain within the period of the report."),
    "latest_value": N_("{value} {unit} in {period}"),
    "interval_text": N_("95 % interval {low}–{high} ({method})"),
    "method_published": N_("published by the producer"),
    "method_wilson": N_("Wilson interval from the sample size"),
    "method_wilson_approximate": N_("Wilson interval from the survey's nominal sample per city, approximate"),
    "method_none": N_("no uncertainty available: no interval is invented"),
    "method_not_applicable": N_("administrative records, no sampling error"),
    "trend_first": N_("First period of this series: no trend yet."),
    "trend_none": N_("No assessment of a window ending in this period within the report's periods."),
    "trend_assessed": N_("{previous} in {previous_period}, change {change}: {assessment} ({method})."),
    "progress_heading": N_("Progress towards the SDG targets"),
    "progress_intro": N_(
        "Whether each of the city's indicators is improving, and whether that is more than sampling "
        "noise. Surveys: the change since each earlier wave with its 95 % interval, significant only when "
        "the interval excludes zero; with a target, whether the latest value's interval lies on the path "
        "to it. Series without sampling error (police-recorded crime, registers, the city's own "
        "measurements): Eurostat's SDG trend and target methods and Open SDG's progress status. Never "
        "across a break in series or two surveys. Each method is described in the methodology notes."
    ),
    "progress_none": N_(
        "No indicator of the city has two comparable periods within this report's periods: no progress to assess."
    ),
    "progress_target_none": N_("No assessment for this target."),
    "progress_no_change": N_("not comparable"),
    "progress_interval": N_("(95 % interval {low} to {high})"),
    "progress_target": N_("{value} by {year}"),
    "progress_method_survey_change_95": N_("survey change test (95 %)"),
    "progress_method_target_ci": N_("target, with the latest value's 95 % interval"),
    "progress_method_eurostat_sdg_trend": N_("Eurostat SDG trend"),
    "progress_method_eurostat_sdg_target": N_("Eurostat SDG target ratio"),
    "progress_method_open_sdg": N_("Open SDG progress status"),
    "col_series": N_("Series"),
    "col_window": N_("Window"),
    "col_method": N_("Method"),
    "col_change": N_("Change"),
    "col_growth": N_("Growth, % a year"),
    "col_target": N_("Target"),
    "col_assessment": N_("Assessment"),
    "col_note": N_("Note"),
    "series_caption": N_(
        "Values of {city} ({unit}), {first}–{last}; the band is the 95 % interval, the dashed line the "
        "median of all cities with a value from the same survey."
    ),
    "chart_title": N_("{city}: {indicator}"),
    "chart_desc": N_("Line chart of {indicator} for {city} by period: {points}."),
    "strip_title": N_("{city} among all cities, {indicator}, {period}"),
    "strip_desc": N_("{count} cities with a value; {city} {value}; median {median}."),
    "strip_caption": N_(
        "Each grey tick is a city with a value in {period} (same survey); blue: {city} with its 95 % "
        "interval; orange: the median."
    ),
    "peers_heading": N_("Comparison with peer groups"),
    "rank_text": N_("{rank} of {cities}"),
    "rank_could_be": N_("could be {best}–{worst}"),
    "rank_clear": N_("clear at 95 %"),
    "rank_none_alone": N_("not ranked: the only city of the group with a value"),
    "rank_none": N_("not ranked: no interval to compare"),
    "median_legend": N_("median of all cities"),
    "band_legend": N_("95 % interval"),
    "references_heading": N_("Regional and national context (surveys)"),
    "survey_heading": N_("Survey"),
    "survey_text": N_(
        "{survey} ({producer}), wave {wave}: {question}. Sample: {sample}. Deviation from the SDG wording: {deviation}"
    ),
    "context_heading": N_("Regional and national context"),
    "police_heading": N_("Police-recorded crime"),
    "survey_context_heading": N_("Surveys and national statistics"),
    "survey_context_intro": N_(
        "Survey results and national statistics for the region and country of {city}, latest period "
        "within the period of the report, every survey universe (age range) apart. Context only: they are "
        "not values of the city, and they come from other surveys than the city's own values."
    ),
    "survey_context_none": N_(
        "No regional or national survey results in the published version for the region or country of {city}."
    ),
    "police_intro": N_(
        "Police-recorded crime is published for regions and countries, not for cities. These rates are "
        "context, not values of {city}: they reflect legal definitions, reporting and recording "
        "practices, which differ between countries, so compare a region or country with itself over time, "
        "not across countries. Latest period per offence within the period of the report."
    ),
    "police_none": N_("No police-recorded rates for the city's region or country within the period of the report."),
    "context_region": N_("region"),
    "context_national": N_("country"),
    "own_heading": N_("The city's own reported indicators"),
    "own_intro": N_(
        "Values the city sent itself (voluntary local reporting through SPS Monitor's upload): not "
        "official statistics and never ranked against other cities. Each says which version of the city's "
        "upload is in force."
    ),
    "own_catalogue": N_("Catalogue indicators reported by the city"),
    "own_none": N_("{city} has not reported catalogue indicators within the period of the report."),
    "own_areas": N_("Values for areas of the city (districts, wards)"),
    "own_areas_intro": N_("One row per indicator, period and breakdown: how many areas have a value and their range."),
    "own_local": N_("Local indicators (the city's own definitions)"),
    "own_local_none": N_("{city} has reported no local indicators within the period of the report."),
    "reported_version": N_("version {version}, {date}"),
    "coverage_heading": N_("Coverage: what is reported, what is missing"),
    "coverage_intro": N_(
        "Every indicator of the catalogue for {city}, all published periods (city_indicator_coverage and "
        "city_reporting_coverage): {present} have at least one value for the city, {missing} have none."
    ),
    "status_reported": N_("value(s) for the city"),
    "status_city_reported": N_("reported by the city"),
    "status_missing": N_("missing"),
    "why_police_recorded": N_(
        "Police-recorded crime is published for regions and countries, not cities (see the context)."
    ),
    "why_perception_in": N_(
        "No wave of Eurostat's perception survey that asked this question has a value for the city."
    ),
    "why_perception_out": N_("The city is not in Eurostat's perception survey (urb_percep)."),
    "why_survey": N_("No victimisation-survey results for the city (national surveys appear as context)."),
    "why_city_report": N_("Reported by cities themselves: nothing reported for the city yet."),
    "why_other": N_("No value in any source."),
    "methods_heading": N_("Methodology notes and caveats"),
    "methods_intro": N_(
        "Definitions, computations and caveats of every indicator are in SPS Monitor's methodology pages "
        "(docs/methodology/); what matters most for reading this report follows."
    ),
    "methods_uncertainty": N_(
        "Survey values are estimates from a sample of residents, not counts of everyone. A 95 % interval "
        "is the range of values consistent with the survey result given the number of people interviewed; "
        "it covers sampling error only. Intervals of Eurostat's perception survey rest on its nominal "
        "sample per city (about 300 interviews in 2004, 500 in 2009–2015, 700 in 2019) and are marked "
        "approximate; the survey's weighting probably makes the real intervals wider. Where neither an "
        "interval nor a sample size is known, no interval is shown: none is invented."
    ),
    "methods_ranks": N_(
        'A single rank suggests more precision than the samples allow. The rank interval ("could be") is '
        "the range of ranks the 95 % intervals allow within the peer group; cities not statistically "
        "different from each other share it. Values from different surveys are never ranked together."
    ),
    "methods_police": N_(
        "Police-recorded crime depends on legal definitions, counting rules, reporting and recording "
        "practice: Eurostat warns that comparing levels across countries is misleading. Homicide is the "
        "most comparable offence."
    ),
    "methods_city_reports": N_(
        "Values reported by the city are checked on upload (units, ranges, periods, intervals) but are "
        "the city's own figures: they are not official statistics and are not harmonised with other "
        "cities."
    ),
    "methods_city_surveys": N_(
        "Values from the city's own safety survey (SPS core module sps_core_v1) are estimated by SPS "
        "Monitor from the survey's microdata, taking its strata, sampling points and weights into "
        "account: their 95 % intervals are design-based (Taylor linearisation, logit scale), as R's "
        "survey package computes them. Groups of fewer than 30 respondents are not shown; values marked u "
        "rest on fewer than 100 respondents or vary a lot between samples. City surveys are compared only "
        "with other cities' surveys of the same module, never with the Eurostat perception survey. The "
        "microdata are never published."
    ),
    "methods_progress_heading": N_("How progress is assessed"),
    "methods_progress": N_(
        "Progress is assessed by SPS Monitor's city_progress table (docs/methodology/progress.md), one "
        "window at a time: from an earlier period of the same series (same question, scale, population "
        "and source) to its latest period, never across a break in series."
    ),
    "methods_progress_surveys": N_(
        "Surveys: the change between two waves has the standard error sqrt(se_from² + se_to²) "
        "(independent samples); the change is a significant improvement or deterioration, in the "
        "indicator's desired direction, when its 95 % interval (change ± 1.96 standard errors) excludes "
        "zero, and no significant change otherwise. Without a standard error at either end the change is "
        '"not assessable (no uncertainty)": no significance is guessed. With a target, the latest value '
        "is on track when its whole 95 % interval lies on the good side of the straight path from the "
        'baseline value to the target, off track when it lies wholly on the other side, and "cannot tell" '
        "otherwise."
    ),
    "methods_progress_eurostat": N_(
        "Series without sampling error: Eurostat's SDG trend method takes the compound annual growth rate "
        "over the last five years (at least three) and since the baseline year (2015, or the target's): "
        "at least 1 % a year in the desired direction is significant progress, 0 to 1 % moderate "
        "progress, 0 to -1 % moderate movement away, below -1 % significant movement away. With a target, "
        "Eurostat compares the actual with the required growth rate (95 % or more: significant progress; "
        "60–95 %: moderate; 0–60 %: insufficient; below 0: movement away). Open SDG's status uses 1.5 % "
        "and 0.5 % a year (or the same ratio with 95 % and 60 %). A change in police-recorded crime can "
        "reflect reporting and recording practice, not only crime."
    ),
    "methods_indicator_caveats": N_("Caveats of the indicators in this report"),
    "methods_docs_in_english": N_(
        "The longer methodology notes of each indicator (docs/methodology/ in SPS Monitor's repository) are written "
        "in English; the caveats below are those of the indicator catalogue."
    ),
    "methods_flags": N_("Flags on the values in this report"),
    "methods_surveys": N_("Surveys behind the values in this report"),
    "sources_heading": N_("Sources, licences and citation"),
    "sources_intro": N_("Every source of a value in this report, as loaded into published version {version}."),
    "city_source": N_("Values reported by {city} (voluntary local reporting); licence as stated by the city council."),
    "citation_heading": N_("Suggested citation"),
    "citation": N_(
        "SPS Monitor ({year}). Security in public spaces, SDG 11.7 and 16.1 indicators: {city} ({code}). "
        "City report built from published version {version}. Data: {providers}."
    ),
    "version_heading": N_("Published version"),
    "version_text": N_(
        "This report was built from SPS Monitor published version {version} (published {published_at} "
        "UTC), an immutable read-only copy of the harmonised indicators: the same version gives the same "
        "report."
    ),
    "footer": N_("SPS Monitor · {city} ({code}) · published version {version}"),
}
