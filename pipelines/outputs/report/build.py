"""Build a city's report (a self-contained HTML document) from the published version.

    sps report --city ES002C [--period 2010-2019] [--lang en] --out barcelona.html

The document has no script and loads nothing: styles are inline, charts are inline SVG. Every number that
comes from the marts is printed inside a <data value="..."> element carrying the unformatted value and what it
is (data-kind, data-indicator, data-period, ...), so tests and readers can check it against the marts.

`--lang` picks one of the eight languages of pipelines/shared/i18n.py: the report's text comes from the gettext
catalogues (strings.py), the catalogue's words from dim_indicator_translations (localise.py), numbers and dates are
written the language's way by Babel (a decimal comma in French); the <data value> attributes keep dot decimals.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from pipelines.outputs.exports import PeriodRange
from pipelines.outputs.report import svg
from pipelines.outputs.report.data import CityReportData, CityValue, load_city_report_data
from pipelines.outputs.report.errors import ReportError
from pipelines.outputs.report.localise import localise
from pipelines.outputs.report.strings import DEFAULT_LANG, Strings
from pipelines.settings import PROJECT_ROOT
from pipelines.shared import i18n
from pipelines.shared.synthetic import SYNTHETIC_NOTE

TEMPLATES = Path(__file__).with_name("templates")
SDG_TARGETS = ("11.7.1", "11.7.2", "16.1.1", "16.1.3", "16.1.4")
DOMAINS = ("sense of safety", "urban security", "public space liveability")
METHODOLOGY_DIR = PROJECT_ROOT / "docs" / "methodology"


# ---------------------------------------------------------------------------------------------- formatting
def decimals_for(unit: str | None) -> int:
    return 1 if str(unit or "").startswith("%") else 2


def format_number(value: float | None, unit: str | None) -> str:
    """A value the way the report's language writes it (Babel): 1,234.5 in English, 1 234,5 in French."""
    if value is None:
        return "–"
    return i18n.format_number(value, decimals_for(unit), missing="–")


def format_moment(moment: datetime) -> str:
    """A UTC date and time for people: '2026-12-04 07:28' in English, '4 déc. 2026, 07:28' in French."""
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{i18n.format_date(moment)}, {moment:%H:%M}"


def number(value: float | None, unit: str | None, kind: str, **attributes: str | None) -> Markup:
    """A number of the marts, formatted for people, with its raw value and identity for machines."""
    if value is None:
        return Markup("–")
    attrs = "".join(
        f' data-{name.replace("_", "-")}="{escape(str(v))}"' for name, v in attributes.items() if v is not None
    )
    return Markup(
        f'<data value="{value!r}" data-kind="{escape(kind)}"{attrs}>{escape(format_number(value, unit))}</data>'
    )


def sdg_targets_text(targets: str | None, t: Strings) -> str:
    """'11.7;16.1.4 (proxy)' in the report's language: '11.7; 16.1.4 (indirect)'."""
    parts = []
    for part in (targets or "").split(";"):
        part = part.strip()
        for role in ("proxy", "context"):
            part = part.replace(f"({role})", f"({t(f'role_{role}')})")
        if part:
            parts.append(part)
    return "; ".join(parts)


def parse_targets(text: str | None) -> list[tuple[str, str]]:
    """'11.7;16.1.4 (proxy)' -> [('11.7', 'headline'), ('16.1.4', 'proxy')]."""
    targets = []
    for item in (text or "").split(";"):
        item = item.strip()
        if not item:
            continue
        match = re.match(r"^([0-9.]+)\s*(?:\((proxy|context)\))?", item)
        if match:
            targets.append((match.group(1), match.group(2) or "headline"))
    return targets


def methodology_caveats(indicator_code: str) -> list[str]:
    """The bullets of the '## Caveats' section of docs/methodology/<code>.md, as plain text (none if absent)."""
    path = METHODOLOGY_DIR / f"{indicator_code}.md"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    bullets: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            inside = line.strip().lower() == "## caveats"
            continue
        if not inside:
            continue
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets and line.strip():
            bullets[-1] += " " + line.strip()
    plain = []
    for bullet in bullets:
        bullet = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", bullet)
        plain.append(bullet.replace("`", "").replace("**", ""))
    return plain


# ---------------------------------------------------------------------------------------------- view model
@dataclass
class ReportDocument:
    html: str
    version: str
    city_code: str
    city_name: str


def build_city_report(
    conn: duckdb.DuckDBPyConnection,
    city: str,
    period: str | None = None,
    lang: str = DEFAULT_LANG,
    generated_at: datetime | None = None,
) -> ReportDocument:
    """The report of `city` from the published version open on `conn` (read-only), in `lang`."""
    t = Strings(lang)
    with i18n.using(lang):
        return _build(conn, city, period, t, generated_at)


def _build(conn, city: str, period: str | None, t: Strings, generated_at: datetime | None) -> ReportDocument:
    try:
        window = PeriodRange.parse(period)
    except Exception as exc:  # the export's message, under the report's name
        raise ReportError(str(exc)) from None
    data = load_city_report_data(conn, city, window)
    name = data.city["name"]
    if not data.has_own_data:
        where = f" in {window.text}" if window else ""
        raise ReportError(
            f"--city {data.city['geo_code']} ({name}): no value of the city itself{where} in published version "
            f"{data.version} (only regional or national context), so there is nothing to report. Upload the city's "
            "data (`sps upload`), choose another --period, or another city"
        )
    localise(conn, data, t.lang)
    generated_at = generated_at or datetime.now(UTC)
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    html = template.render(
        t=t,
        lang=t.lang,
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        data=data,
        city=data.city,
        name=name,
        version=data.version,
        published_at=format_moment(data.published_at),
        generated_at=format_moment(generated_at),
        period_text=t("period_range", first=window.first_year, last=window.last_year) if window else t("period_all"),
        summary=_summary(data, t),
        key_figures=[
            {
                "value": v,
                "title": _value_title(v),
                "anchor": _anchor(v),
                "interval": _interval(v, t),
                "rank": next((_rank_text(p, t) for p in v.peers if p.peer_group == "all"), t("not_ranked")),
                # example data (examples/) is never shown as if it were real: marked in the first table too
                "synthetic": str(v.latest.get("quality_note") or "").startswith(SYNTHETIC_NOTE),
            }
            for v in data.values
        ],
        targets=(targets := _targets(data, t)),
        progress=_progress(data, targets, t),
        public_space=_public_space(data, t),
        domains=_domains(data, t),
        police=_police(data, t),
        own=_own(data, t),
        coverage=_coverage(data, t),
        methods=_methods(data, t),
        sources=_sources(data, t, generated_at),
        number=number,
        format_number=format_number,
        word=t.word,
        sdg=lambda targets: sdg_targets_text(targets, t),
    )
    return ReportDocument(html=html, version=data.version, city_code=data.city["geo_code"], city_name=name)


def _value_title(v) -> str:
    """The title a value is shown under follows its own source, never the catalogue's default one (as on the
    dashboard): a city's own homicide rate is 'Intentional homicide (reported by the city)', not '(police-recorded)'."""
    name = v.indicator["indicator_name"]
    if v.latest.get("source_type") != "city_report":
        return name
    base = name.rsplit(" (", 1)[0] if name.endswith(")") else name
    return i18n.translate("{indicator} (reported by the city)", indicator=base)


def _summary(data: CityReportData, t: Strings) -> dict:
    missing = sum(1 for c in data.coverage if not c["periods_with_value"])
    return {
        "text": t(
            "summary_intro",
            values=len(data.values),
            city=data.city["name"],
            context=len(data.police_context),
            reported=len(data.submissions) + sum(r["areas"] for r in data.area_submissions),
            local=len(data.local_indicators),
            missing=missing,
            catalogue=len(data.coverage),
        ),
        "facts": [
            (label[:1].upper() + label[1:], fact)
            for label, fact in [
                (t("fact_country"), f"{data.city['country_name']} ({data.city['country_code']})"),
                (t("fact_nuts3"), data.city["nuts3_code"] or t("unknown")),
                (
                    t("fact_population"),
                    i18n.format_integer(data.city["population"])
                    + (f" ({data.city['population_year']})" if data.city["population_year"] else "")
                    if data.city["population"]
                    else t("unknown"),
                ),
                (t("fact_size_class"), data.city["size_class"] or t("unknown")),
                (t("fact_partnership"), t("answer_yes") if data.city["is_partnership_city"] else t("answer_no")),
                (t("fact_perception"), t("answer_yes") if data.city["is_perception_survey_city"] else t("answer_no")),
            ]
        ],
    }


def _interval(value: CityValue, t: Strings) -> dict:
    latest = value.latest
    method = latest["uncertainty_method"]
    unit = latest["unit"]
    if latest["ci_low"] is None or latest["ci_high"] is None:
        short = t("interval_not_applicable") if method == "not_applicable" else t("no_interval")
        return {
            "short": short,
            "low": None,
            "high": None,
            "text": t(f"method_{method}") if t.has(f"method_{method}") else short,
        }
    key = "method_wilson_approximate" if method == "wilson" and latest["is_ci_approximate"] else f"method_{method}"
    return {
        "short": None,
        "low": latest["ci_low"],
        "high": latest["ci_high"],
        "text": t(
            "interval_text",
            low=format_number(latest["ci_low"], unit),
            high=format_number(latest["ci_high"], unit),
            method=t(key) if t.has(key) else method,
        ),
        "unit": unit,
    }


def signed(value: float | None, unit: str | None) -> str:
    return "–" if value is None else i18n.format_signed(value, decimals_for(unit))


def _change(row: dict, unit: str | None, t: Strings) -> str:
    """'+8.0 (95 % interval +2.6 to +13.4)', or the change alone when there is no interval."""
    if row["change"] is None:
        return t("progress_no_change")
    text = signed(row["change"], unit)
    if row["change_ci_low"] is not None:
        return (
            text
            + " "
            + t("progress_interval", low=signed(row["change_ci_low"], unit), high=signed(row["change_ci_high"], unit))
        )
    return text


def _trend(value: CityValue, t: Strings) -> str:
    trend = value.trend
    if trend is None:
        return t("trend_first") if value.previous is None else t("trend_none")
    unit = value.latest["unit"]
    return t(
        "trend_assessed",
        previous=format_number(trend["from_value"], unit),
        previous_period=trend["from_period"],
        change=_change(trend, unit, t),
        assessment=t.word(trend["assessment"]),
        method=t(f"progress_method_{trend['method']}"),
    )


def _progress(data: CityReportData, targets: list[dict], t: Strings) -> list[dict]:
    """The progress table per SDG target: every assessment of the city's series (city_progress), grouped as the
    targets section groups the indicators."""
    groups = []
    for group in targets:
        rows = []
        for row in group["rows"]:
            for item in row["values"]:
                value = item["value"]
                unit = value.latest["unit"]
                for p in value.progress:
                    rows.append(
                        {
                            "value": value,
                            "anchor": item["anchor"],
                            "p": p,
                            "window": f"{p['from_period']} → {p['to_period']}",
                            "method": t(f"progress_method_{p['method']}"),
                            "change": _change(p, unit, t),
                            "growth": None
                            if p["annual_growth_rate"] is None
                            else f"{i18n.format_signed(p['annual_growth_rate'], 2)} %",
                            "target": None
                            if p["target_value"] is None
                            else t(
                                "progress_target", value=format_number(p["target_value"], unit), year=p["target_year"]
                            ),
                        }
                    )
        groups.append({"key": group["key"], "title": group["title"], "rows": rows})
    return groups


def _rank_text(peer, t: Strings) -> str:
    if peer.rank is None:
        return t("rank_none_alone") if peer.cities_with_value <= 1 else t("rank_none")
    text = t("rank_text", rank=peer.rank, cities=peer.cities_in_group)
    if peer.rank_best != peer.rank_worst:
        return f"{text}, {t('rank_could_be', best=peer.rank_best, worst=peer.rank_worst)}"
    return f"{text}, {t('rank_clear')}"


def _anchor(value: CityValue) -> str:
    return "ind-" + re.sub(r"[^a-z0-9]+", "-", f"{value.code}-{value.comparability_group}".lower()).strip("-")


def _targets(data: CityReportData, t: Strings) -> list[dict]:
    by_indicator: dict[str, list[CityValue]] = {}
    for value in data.values:
        by_indicator.setdefault(value.code, []).append(value)
    context_by_indicator: dict[str, list[dict]] = {}
    for row in data.police_context:
        context_by_indicator.setdefault(row["indicator_code"], []).append(row)
    groups = []
    placed: set[str] = set()
    for target in (*SDG_TARGETS, None):
        rows = []
        for indicator in data.indicators:
            targets = parse_targets(indicator["sdg_targets"])
            if target is None:
                if indicator["indicator_code"] in placed:
                    continue
                role = targets[0][1] if targets else "context"
            else:
                matches = [r for code, r in targets if code == target]
                if not matches:
                    continue
                role = matches[0]
            placed.add(indicator["indicator_code"])
            values = by_indicator.get(indicator["indicator_code"], [])
            context = context_by_indicator.get(indicator["indicator_code"], [])
            rows.append(
                {
                    "indicator": indicator,
                    "role": t(f"role_{role}"),
                    "values": [
                        {
                            "value": v,
                            "anchor": _anchor(v),
                            "interval": _interval(v, t),
                            "trend": _trend(v, t),
                            "rank": next((_rank_text(p, t) for p in v.peers if p.peer_group == "all"), t("not_ranked")),
                        }
                        for v in values
                    ],
                    "context": context,
                }
            )
        if rows:
            groups.append(
                {"key": target or "other", "title": t(f"target_{target}" if target else "target_other"), "rows": rows}
            )
    return groups


SPACE_COLUMNS = ("open_public_space_share", "open_public_space_per_capita", "open_space_within_400m_share")


def _public_space(data: CityReportData, t: Strings) -> dict | None:
    """The SDG 11.7.1 section's own part: the share by district (with the companions) and the site audits by day
    and after dark, from the city's public-space uploads."""
    space = data.public_space
    if space is None:
        return None
    names = {i["indicator_code"]: i["indicator_name"] for i in data.indicators}
    units = {f["indicator_code"]: f["unit"] for f in space["figures"]}
    columns = [c for c in SPACE_COLUMNS if c in units]
    districts: dict[str, dict] = {}
    city_row = None
    for figure in space["figures"]:
        row = districts.setdefault(figure["geo_code"], {"area": figure["area_name"], "values": {}})
        row["values"][figure["indicator_code"]] = figure["value"]
        if figure["geo_level"] == "city":
            city_row = row
    district_rows = [r for code, r in districts.items() if code != data.city["geo_code"]]
    first = next((f for f in space["figures"] if f["indicator_code"] == "open_public_space_share"), None)
    audits: dict[str, dict] = {}
    for audit in space["audits"]:
        time = (audit["breakdown"] or "").removeprefix("time_of_day=") or "all"
        audits.setdefault(time, {})[audit["indicator_code"]] = audit
    audit_rows = []
    for time in ("day", "after_dark"):
        if time not in audits:
            continue
        figures, score = audits[time], audits[time].get("audit_safety_score") or {}
        lighting = audits.get("all", {}).get("audit_poor_lighting_after_dark_share") if time == "after_dark" else None
        audit_rows.append(
            {
                "time": t(f"audit_time_{time}"),
                "score": score.get("value"),
                "ci_low": score.get("ci_low"),
                "ci_high": score.get("ci_high"),
                "poor_lighting": lighting["value"] if lighting else None,
                "audits": int(figures["audit_count"]["value"]) if "audit_count" in figures else None,
                "sites": int(figures["audit_site_count"]["value"]) if "audit_site_count" in figures else None,
            }
        )
    notes = {f["quality_note"] for f in space["figures"] + space["audits"] if f["quality_note"]}
    return {
        "columns": [{"code": c, "name": names.get(c, c), "unit": units[c]} for c in columns],
        "city": city_row,
        "districts": district_rows,
        "period": first["period"] if first else None,
        "method": first["comparability_group"].split(":", 1)[-1] if first else None,
        "audit_rows": audit_rows,
        "audit_period": space["audits"][0]["period"] if space["audits"] else None,
        "audit_group": space["audits"][0]["comparability_group"] if space["audits"] else None,
        "synthetic": any(n.startswith("SYNTHETIC") for n in notes),
    }


def _domains(data: CityReportData, t: Strings) -> list[dict]:
    domains = []
    present = list(DOMAINS) + sorted({i["partnership_domain"] for i in data.indicators} - set(DOMAINS))
    for domain in present:
        cards = []
        for value in (v for v in data.values if v.indicator["partnership_domain"] == domain):
            unit = value.latest["unit"]
            indicator_name = value.indicator["indicator_name"]
            points = [
                svg.Point(p.period, p.period_year, p.value, p.ci_low, p.ci_high, p.break_in_series)
                for p in value.series
            ]
            medians = sorted(value.peer_medians.items())
            described = ", ".join(f"{p.period}: {format_number(p.value, unit)}" for p in value.series)
            chart = svg.series_chart(
                points,
                medians,
                title=t("chart_title", city=data.city["name"], indicator=indicator_name),
                description=t("chart_desc", indicator=indicator_name, city=data.city["name"], points=described),
                unit=unit,
                decimals=decimals_for(unit),
                median_label=t("median_legend"),
                band_label=t("band_legend"),
            )
            everyone = next((p for p in value.peers if p.peer_group == "all"), None)
            strip = None
            if len(value.peer_values) > 1:
                strip = svg.peer_strip(
                    [v for _, v in value.peer_values],
                    value.latest["value"],
                    value.latest["ci_low"],
                    value.latest["ci_high"],
                    everyone.median if everyone else None,
                    title=t(
                        "strip_title", city=data.city["name"], indicator=indicator_name, period=value.latest["period"]
                    ),
                    description=t(
                        "strip_desc",
                        count=len(value.peer_values),
                        city=data.city["name"],
                        value=format_number(value.latest["value"], unit),
                        median=format_number(everyone.median if everyone else None, unit),
                    ),
                    decimals=decimals_for(unit),
                )
            survey = None
            if value.survey:
                s = value.survey
                sample = f"{s['sample_size']} ({s['sample_size_kind']})" if s["sample_size"] else t("unknown")
                # the question as the registry records it (English): quoted, and marked as English for screen readers
                question = Markup('<q lang="en">{}</q>').format(s["question_wording"])
                survey = t.markup(
                    "survey_text",
                    survey=s["survey_name"],
                    producer=s["producer"],
                    wave=s["wave"],
                    question=question if t.lang != DEFAULT_LANG else s["question_wording"],
                    sample=sample,
                    deviation=s["deviation_from_sdg"] or "–",
                )
            cards.append(
                {
                    "value": value,
                    "anchor": _anchor(value),
                    "unit": unit,
                    "interval": _interval(value, t),
                    "trend": _trend(value, t),
                    "chart": Markup(chart),
                    "strip": Markup(strip) if strip else None,
                    "series_caption": t(
                        "series_caption",
                        city=data.city["name"],
                        unit=unit,
                        first=value.series[0].period,
                        last=value.series[-1].period,
                    ),
                    "strip_caption": t("strip_caption", period=value.latest["period"], city=data.city["name"]),
                    "peers": [{"peer": p, "rank": _rank_text(p, t)} for p in value.peers],
                    "survey": survey,
                    "caveat": value.indicator["comparability_caveat"],
                }
            )
        context = [r for r in data.police_context if _domain_of(data, r["indicator_code"]) == domain]
        domains.append(
            {
                "key": domain,
                "title": t(f"domain_{domain}") if t.has(f"domain_{domain}") else domain,
                "cards": cards,
                "context": context,
            }
        )
    return domains


def _domain_of(data: CityReportData, code: str) -> str | None:
    return next((i["partnership_domain"] for i in data.indicators if i["indicator_code"] == code), None)


def _police(data: CityReportData, t: Strings) -> dict:
    names = {i["indicator_code"]: i["indicator_name"] for i in data.indicators}
    return {
        "intro": t("police_intro", city=data.city["name"]),
        "rows": [
            {
                **r,
                "indicator_name": names.get(r["indicator_code"], r["indicator_code"]),
                "context_label": t("context_region") if r["context"] == "region" else t("context_national"),
            }
            for r in data.police_context
        ],
    }


def _own(data: CityReportData, t: Strings) -> dict:
    def reported(row: dict) -> str:
        if row.get("report_version") is None:
            return row.get("source_dataset") or ""
        date = i18n.format_date(row["reported_at"]) if row.get("reported_at") else ""
        return t("reported_version", version=row["report_version"], date=date)

    return {
        "catalogue": [{**r, "reported": reported(r)} for r in data.submissions],
        "areas": [{**r, "reported": reported(r)} for r in data.area_submissions],
        "local": [{**r, "reported": reported(r)} for r in data.local_indicators],
    }


def _coverage(data: CityReportData, t: Strings) -> dict:
    rows = []
    for row in data.coverage:
        present = bool(row["periods_with_value"])
        if present:
            status = t("status_city_reported") if row["is_reported"] else t("status_reported")
            why = ""
        else:
            status = t("status_missing")
            family = row["indicator_family"]
            if family == "perception":
                why = t("why_perception_in" if data.city["is_perception_survey_city"] else "why_perception_out")
            elif t.has(f"why_{family}"):
                why = t(f"why_{family}")
            else:
                why = t("why_other")
        rows.append({**row, "present": present, "status": status, "why": why})
    present = sum(1 for r in rows if r["present"])
    return {
        "intro": t("coverage_intro", city=data.city["name"], present=present, missing=len(rows) - present),
        "rows": rows,
    }


def _methods(data: CityReportData, t: Strings) -> dict:
    shown = {v.code for v in data.values} | {r["indicator_code"] for r in data.police_context}
    shown |= {r["indicator_code"] for r in data.submissions}
    # docs/methodology/<code>.md's caveats are about the published sources of the indicator (feel_safe_after_dark's:
    # the England and Wales survey): under a value the city measured itself they read as if about it
    official = {v.code for v in data.values if v.latest.get("is_official")}
    official |= {r["indicator_code"] for r in data.police_context}
    caveats = []
    for indicator in data.indicators:
        if indicator["indicator_code"] not in shown:
            continue
        notes = []
        if indicator["comparability_caveat"]:
            notes.append(indicator["comparability_caveat"])
        if t.lang == DEFAULT_LANG and indicator["indicator_code"] in official:  # the notes are in English
            notes += [c for c in methodology_caveats(indicator["indicator_code"]) if c not in notes]
        caveats.append({"indicator": indicator, "notes": notes})
    paragraphs = [t("methods_uncertainty"), t("methods_ranks")]
    if t.lang != DEFAULT_LANG:
        paragraphs.append(t("methods_docs_in_english"))
    progress = [t("methods_progress"), t("methods_progress_surveys"), t("methods_progress_eurostat")]
    if data.police_context:
        paragraphs.append(t("methods_police"))
    if data.submissions or data.area_submissions or data.local_indicators:
        paragraphs.append(t("methods_city_reports"))
    if any(v.latest.get("source_type") == "city_survey" for v in data.values):
        paragraphs.append(t("methods_city_surveys"))
    return {
        "paragraphs": paragraphs,
        "progress": progress,
        "caveats": caveats,
        "flags": data.flags,
        "surveys": data.surveys,
    }


def _sources(data: CityReportData, t: Strings, generated_at: datetime) -> dict:
    rows = []
    # Our own words for the sources a city sent (pipelines.outputs.exports CITY_*_SOURCE) are in the catalogue and
    # printed in the reader's language; a publisher's own title (Eurostat's) is kept as published, marked English.
    sources = [{**s, **{k: i18n.data_text(s[k]) for k in ("title", "provider", "licence")}} for s in data.sources]
    for source, original in zip(sources, data.sources, strict=True):
        fresh = data.freshness.get(source["dataset"], {})
        rows.append(
            {
                **source,
                "title_lang": "en" if source["title"] == original["title"] else None,
                "loaded_at": i18n.format_date(fresh["loaded_at"]) if fresh.get("loaded_at") else "",
                "last_update": fresh.get("source_last_update") or "",
            }
        )
    providers = sorted({s["provider"] + f" ({s['licence']})" for s in sources})
    return {
        "rows": rows,
        "city_source": t("city_source", city=data.city["name"])
        if (data.submissions or data.area_submissions or data.local_indicators)
        else None,
        "citation": t(
            "citation",
            year=generated_at.year,
            city=data.city["name"],
            code=data.city["geo_code"],
            version=data.version,
            providers="; ".join(providers) if providers else "–",
        ),
    }


# ---------------------------------------------------------------------------------------------- writing
def check_report_target(out: Path) -> None:
    if out.suffix.lower() not in (".html", ".htm"):
        raise ReportError(f"--out {out}: the report is an HTML document; give a .html file name")
    if not out.parent.is_dir():
        raise ReportError(f"--out {out}: folder {out.parent} does not exist; create it or choose another place")
    if out.is_dir():
        raise ReportError(f"--out {out}: is a folder; give a .html file name")


def write_city_report(
    conn: duckdb.DuckDBPyConnection, city: str, out: Path, period: str | None = None, lang: str = DEFAULT_LANG
) -> ReportDocument:
    """Build the report and write it to `out` whole (temporary name, then rename), or write nothing."""
    check_report_target(out)
    document = build_city_report(conn, city, period, lang)
    tmp = out.with_name(f".{out.name}.part")
    try:
        tmp.write_text(document.html, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise ReportError(
            f"--out {out}: cannot write ({exc.strerror or type(exc).__name__}); nothing was written. "
            "Choose a writable folder"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return document
