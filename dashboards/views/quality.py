import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop, show_table
from dashboards.labels import text as _

st.title(_("Data quality and freshness"))
published = published_or_stop()

health = cached("health_report", published)
if health:
    label = {"ok": "OK", "warning": _("warnings"), "error": _("errors")}[health["status"]]
    with st.expander(f"{_('Health report of this version')}: {label}", expanded=health["status"] != "ok"):
        # the report is generated from the published data itself (pipelines/publishing/health.py), never from user input
        st.markdown(health["markdown"])
        st.download_button(
            _("Download the health report (Markdown)"),
            health["markdown"].encode("utf-8"),
            file_name=f"health_{published.version}.md",
            mime="text/markdown",
        )

st.subheader(_("Revisions between published versions"))
revised = cached("revisions", published)
if revised.empty:
    st.caption(_("No value has changed between the published versions kept in this one's history."))
else:
    kinds = revised["change"].value_counts().to_dict()
    st.caption(
        f"{kinds.get('revised', 0)} {_('revised')}, {kinds.get('added', 0)} {_('added')}, "
        f"{kinds.get('removed', 0)} {_('removed observations across published versions.')} "
        + _("A revision is Eurostat correcting a value or a city resubmitting.")
    )
    show_table(revised[revised["change"] != "added"].head(2000), decimals=2)
    download_buttons(revised, "revisions")

st.subheader(_("Sources"))
freshness = cached("source_freshness", published)
show_table(freshness, hide=("source_sha256",))
st.caption(
    _("'not_in_snapshot' means the dataset was not in the snapshot folder and was not fetched: ")
    + _("nothing is shown for it, nothing is invented. Live mode fetches the Eurostat ones.")
)
download_buttons(freshness, "source_freshness")

st.subheader(_("Perception survey answer blocks that do not sum to 100 ± 2"))
anomalies = cached("block_anomalies", published)
show_table(anomalies, decimals=1)
st.caption(f"{len(anomalies)} {_('blocks. The observations stay published with a quality warning.')}")
download_buttons(anomalies, "perception_block_anomalies")

st.subheader(_("City population labels matched to Urban Audit codes"))
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
        delta=f"+{repaired} {_('repaired')}" if repaired else None,
        help=_(
            "Labels whose source bytes already carry the replacement character (U+FFFD, e.g. 'Alcorc�n') are "
            "matched with that character read as exactly one letter, and only when one city of the register fits."
        ),
    )
    right.metric(
        _("Share matched"), f"{100 * matched / total:.1f} %", delta=f"{100 * (matched - before) / total:+.1f} pt"
    )
    st.caption(
        f"{before} {_('of')} {total} {_('labels')} ({100 * before / total:.1f} %) {_('match a city code by name')}; "
        f"{_('after repairing')} {repaired} {_('labels damaged in the source')}, {matched} {_('of')} {total} "
        f"({100 * matched / total:.1f} %). {total - matched} "
        + _("are unmatched, each with its reason; none is guessed.")
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

st.subheader(_("Coverage: periods with a value per city and indicator"))
coverage = cached("coverage_matrix", published)
matrix = coverage.pivot_table(
    index=["city", "geo_code"], columns="indicator_code", values="periods_with_value", fill_value=0
).reset_index()
matrix = matrix.loc[:, (matrix != 0).any(axis=0)]  # indicators no city has are listed in the methodology page
catalogue = cached("indicators", published)
indicator_names = dict(zip(catalogue["indicator_code"], catalogue["indicator_name"], strict=True))
show_table(matrix, labels={c: indicator_names.get(c, c) for c in matrix.columns if c in indicator_names})
st.caption(f"{len(matrix)} {_('cities with at least one value. 0 = no value for that indicator.')}")
download_buttons(matrix, "coverage_matrix")

st.subheader(_("Cities without geometry"))
show_table(cached("geographies_without_geometry", published))
footer(published)
