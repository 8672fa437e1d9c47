"""The report's data in the reader's language: indicator names, units, definitions and caveats from the published
dim_indicator_translations (seeds/indicator_translations.csv, docs/adr/0023), country names from Babel (CLDR), and
the words of the marts and seeds that the catalogues translate (peer groups, assessments, domains, flags' meanings,
the survey registry). Codes, periods and numbers are left as published; the report formats numbers itself."""

from __future__ import annotations

import duckdb

from pipelines.outputs.assessments import ASSESSMENTS
from pipelines.outputs.report.data import CityReportData
from pipelines.shared import i18n
from pipelines.shared.i18n import N_

# Words of the marts and seeds printed in the report (the mart keeps English codes): translated when printed.
PEER_GROUPS = {
    "all": N_("All cities"),
    "partnership": N_("Partnership cities (Security in Public Spaces)"),
}
WORDS = ASSESSMENTS + (
    N_("sense of safety"),
    N_("urban security"),
    N_("public space liveability"),
    N_("quality of life"),
    N_("social cohesion"),
    N_("background conditions"),
    N_("region"),
    N_("national"),
)
_INDICATOR_FIELDS = (("indicator_name", "name"), ("definition", "definition"),
                     ("comparability_caveat", "comparability_caveat"))  # fmt: skip
_SURVEY_FIELDS = ("survey_name", "producer", "population_universe", "mode", "response_scale", "numerator_answers",
                  "deviation_from_sdg", "sample_size_kind", "source_citation")  # fmt: skip


def indicator_translations(conn: duckdb.DuckDBPyConnection, lang: str) -> dict[str, dict]:
    """indicator_code -> its translated row; empty for English or a version published before translations."""
    if lang == i18n.DEFAULT_LANGUAGE:
        return {}
    present = conn.execute(
        # a table of the version's own file, or a view over its table file (docs/adr/0024)
        "select count(*) from information_schema.tables where table_name = 'dim_indicator_translations' "
        "and table_catalog = current_database()"
    ).fetchall()[0][0]
    if not present:
        return {}
    cursor = conn.execute(
        "select indicator_code, name, unit, english_unit, definition, comparability_caveat "
        "from dim_indicator_translations where language = ?",
        [lang],
    )
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def peer_label(peer_group: str, published: str) -> str:
    kind, _, key = peer_group.partition(":")
    if peer_group in PEER_GROUPS:
        return i18n.data_text(PEER_GROUPS[peer_group])
    if kind == "country":
        return i18n.translate("Same country ({country})", country=country_name(key))
    if kind == "size":
        return i18n.translate("Same size class ({size_class})", size_class=key)
    return published


def country_name(code: str | None) -> str:
    from babel import Locale

    if not code:
        return ""
    iso = {"EL": "GR", "UK": "GB"}.get(code, code)
    return Locale.parse(i18n.language()).territories.get(iso, code)


def localise(conn: duckdb.DuckDBPyConnection, data: CityReportData, lang: str) -> None:
    """Put `data` (freshly loaded for one report) into `lang`, in place. Call inside i18n.using(lang)."""
    if lang == i18n.DEFAULT_LANGUAGE:
        return
    translations = indicator_translations(conn, lang)
    units = {r["english_unit"]: r["unit"] for r in translations.values() if r.get("english_unit") and r.get("unit")}

    def indicator(row: dict, code_key: str = "indicator_code") -> None:
        found = translations.get(row.get(code_key))
        if found:
            for column, field in _INDICATOR_FIELDS:
                if column in row and found.get(field):
                    row[column] = found[field]
        for key in ("unit", "indicator_unit"):
            if isinstance(row.get(key), str) and row[key] in units:
                row[key] = units[row[key]]

    for rows in (data.indicators, data.police_context, data.survey_context, data.submissions, data.area_submissions,
                 data.coverage):  # fmt: skip
        for row in rows:
            indicator(row)
    for value in data.values:
        if all(value.indicator is not row for row in data.indicators):
            indicator(value.indicator)
        indicator(value.latest)
        for progress in value.progress:
            indicator(progress)
        for reference in value.references:
            found = translations.get(reference.get("reference_indicator_code"))
            if found and "reference_indicator_name" in reference:
                reference["reference_indicator_name"] = found["name"]
        for peer in value.peers:
            peer.label = peer_label(peer.peer_group, peer.label)
        if value.survey:
            value.survey = {k: (i18n.data_text(v) if k in _SURVEY_FIELDS else v) for k, v in value.survey.items()}
    if data.public_space:
        for row in data.public_space["figures"] + data.public_space["audits"]:
            indicator(row)
    data.city["country_name"] = country_name(data.city.get("country_code")) or data.city.get("country_name")
    for flag in data.flags:
        flag["meaning"] = i18n.data_text(flag["meaning"])
    for survey in data.surveys:
        for key in _SURVEY_FIELDS:
            survey[key] = i18n.data_text(survey.get(key))
