import datetime as dt
import re

import pandas as pd
import streamlit as st

from dashboards.common import cached, download_buttons, footer, last_refresh, published_or_stop, show_table
from dashboards.frames import pairs, row_tuples
from dashboards.labels import fmt_date, fmt_number, fmt_signed, ngettext
from dashboards.labels import text as _
from pipelines.outputs.cycles import cycle_state, default_cycle
from pipelines.shared.i18n import N_

published = published_or_stop()
st.title(_("Data quality and freshness"))
CYCLE_STATES = (N_("open"), N_("closed"), N_("upcoming"))
STATUSES = {"complete": N_("complete"), "partial": N_("partial"), "none": N_("none")}

outcome = last_refresh()
if outcome and outcome.get("status") == "error":
    with st.expander(_("Last refresh ({at} UTC): failed", at=outcome["at"][:16].replace("T", " ")), expanded=True):
        st.text(outcome.get("message") or "")
        if outcome.get("failed"):
            show_table(
                pd.DataFrame(
                    [{"source": key.removeprefix("raw/"), "why": why} for key, why in outcome["failed"].items()]
                )
            )

health = cached("health_report", published)
if health:
    label = {"ok": "OK", "warning": _("warnings"), "error": _("errors")}[health["status"]]
    with st.expander(_("Health report of this version: {status}", status=label), expanded=health["status"] != "ok"):
        # the report is generated from the published data itself (pipelines/publishing/health.py), never from user input
        # its headings one level down (its '#' under the page's title), so headings never skip a level
        st.markdown(re.sub(r"^(#{1,5}) ", r"#\1 ", health["markdown"], flags=re.MULTILINE))
        st.download_button(
            _("Download the health report (Markdown)"),
            health["markdown"].encode("utf-8"),
            file_name=f"health_{published.version}.md",
            mime="text/markdown",
        )

st.header(_("Reporting cycles: who has reported for the 2030 voluntary cycles"))
cycles = cached("cycle_status", published)
if cycles.empty:
    st.caption(
        _(
            "Published version {version} has no reporting-cycle status (published before cycles existed, or no "
            "partnership city and no upload).",
            version=published.version,
        )
    )
else:
    periods = cycles.drop_duplicates("cycle")
    dates = [
        (int(c), pd.Timestamp(o).date(), pd.Timestamp(e).date())
        for c, o, e in row_tuples(periods, "cycle", "opens_on", "closes_on")
    ]
    today = dt.date.today()
    choices = [c for c, _, _ in dates]
    chosen = st.selectbox(
        _("Cycle"),
        choices,
        index=choices.index(default_cycle(dates, today)),
        format_func=lambda c: f"{c} ({_(cycle_state(*next((o, e) for k, o, e in dates if k == c), today))})",
    )
    shown_cycle = cycles[cycles["cycle"] == chosen]
    first = shown_cycle.iloc[0]
    counts = shown_cycle["status"].value_counts().to_dict()
    st.caption(
        _(
            "Cycle {cycle}: open {opens} to {closes}; values of {first}-{last} count, from a city upload, a city "
            "survey or an official source. {complete} complete, {partial} partial, {none} none. `sps cycle status "
            "--cycle {cycle}` writes the reminder list.",
            cycle=chosen,
            opens=fmt_date(first["opens_on"]),
            closes=fmt_date(first["closes_on"]),
            first=first["first_period_year"],
            last=first["last_period_year"],
            complete=counts.get("complete", 0),
            partial=counts.get("partial", 0),
            none=counts.get("none", 0),
        )
    )
    shown_cycle = shown_cycle.assign(status=[_(STATUSES[s]) if s in STATUSES else s for s in shown_cycle["status"]])
    cycle_table = shown_cycle[
        ["city_code", "city_name", "is_partnership_city", "status", "share_reported", "indicators_reported",
         "indicators_requested", "missing_indicators", "reported_by_city_upload", "reported_by_city_survey",
         "reported_by_official_source", "last_submission_at"]
    ]  # fmt: skip
    show_table(
        cycle_table,
        column_config={
            "share_reported": st.column_config.ProgressColumn(
                _("reported"), help=_("share of the requested indicators with a value"), min_value=0.0,
                max_value=1.0, format="percent",
            )
        },
    )  # fmt: skip
    download_buttons(cycle_table, f"reporting_cycle_{chosen}")

st.header(_("Revisions between published versions"))
revised = cached("revisions", published)
if revised.empty:
    st.caption(_("No value has changed between the published versions kept in this one's history."))
else:
    kinds = revised["change"].value_counts().to_dict()
    st.caption(
        _(
            "{revised} revised, {added} added, {removed} removed observations across published versions.",
            revised=kinds.get("revised", 0),
            added=kinds.get("added", 0),
            removed=kinds.get("removed", 0),
        )
        + " "
        + _("A revision is Eurostat correcting a value or a city resubmitting.")
    )
    show_table(revised[revised["change"] != "added"].head(2000), decimals=2)
    download_buttons(revised, "revisions")

st.header(_("Sources"))
freshness = cached("source_freshness", published)
show_table(freshness, hide=("source_sha256",))
st.caption(
    _(
        "'not_in_snapshot' means the dataset was not in the snapshot folder and was not fetched: nothing is shown for "
        "it, nothing is invented. Live mode fetches the Eurostat ones."
    )
)
download_buttons(freshness, "source_freshness")

st.header(_("Perception survey answer blocks that do not sum to 100 ± 2"))
anomalies = cached("block_anomalies", published)
show_table(anomalies, decimals=1)
st.caption(
    ngettext(
        "{n} block. The observations stay published with a quality warning.",
        "{n} blocks. The observations stay published with a quality warning.",
        len(anomalies),
    )
)
download_buttons(anomalies, "perception_block_anomalies")

st.header(_("City population labels matched to Urban Audit codes"))
labels = cached("population_label_matches", published)
shares = cached("population_label_shares", published)
if shares:
    total, matched, repaired = shares["labels"], shares["matched"], shares["repaired"]
    before = shares["matched_before_repair"]
    left, middle, right = st.columns(3)
    left.metric(_("Labels matched by name"), f"{before} / {total}", help=_("Exact or folded names."))
    middle.metric(
        _("Matched after repair"),
        f"{matched} / {total}",
        delta=_("+{n} repaired", n=repaired) if repaired else None,
        help=_(
            "Labels whose source bytes already carry the replacement character (U+FFFD, e.g. 'Alcorc�n') are "
            "matched with that character read as exactly one letter, and only when one city of the register fits."
        ),
    )
    right.metric(
        _("Share matched"),
        f"{fmt_number(100 * matched / total, 1)} %",
        delta=_("{change} pt", change=fmt_signed(100 * (matched - before) / total, 1)),
    )
    st.caption(
        _(
            "{before} of {total} labels ({before_share} %) match a city code by name; after repairing {repaired} "
            "labels damaged in the source, {matched} of {total} ({matched_share} %). {unmatched} are unmatched, each "
            "with its reason; none is guessed.",
            before=before,
            total=total,
            before_share=fmt_number(100 * before / total, 1),
            repaired=repaired,
            matched=matched,
            matched_share=fmt_number(100 * matched / total, 1),
            unmatched=total - matched,
        )
    )
    if total - matched:
        reasons = (
            labels[~labels["is_matched"]]
            .groupby("unmatched_reason")
            .size()
            .rename("labels")
            .reset_index()
            .sort_values("labels", ascending=False)
        )
        show_table(reasons, labels={"labels": _("Labels")})
show_table(labels)
download_buttons(labels, "population_label_matches")

st.header(_("Coverage: periods with a value per city and indicator"))
coverage = cached("coverage_matrix", published)
matrix = coverage.pivot_table(
    index=["city", "geo_code"], columns="indicator_code", values="periods_with_value", fill_value=0
).reset_index()
matrix = matrix.loc[:, (matrix != 0).any(axis=0)]  # indicators no city has are listed in the methodology page
catalogue = cached("indicators", published)
indicator_names = pairs(catalogue, "indicator_code", "indicator_name")
show_table(matrix, labels={c: indicator_names.get(c, c) for c in matrix.columns if c in indicator_names})
st.caption(
    ngettext(
        "{n} city with at least one value. 0 = no value for that indicator.",
        "{n} cities with at least one value. 0 = no value for that indicator.",
        len(matrix),
    )
)
download_buttons(matrix, "coverage_matrix")

st.header(_("Cities without geometry"))
show_table(cached("geographies_without_geometry", published))
footer(published)
