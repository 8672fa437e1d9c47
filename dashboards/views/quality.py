import pandas as pd
import streamlit as st

from dashboards.common import cached, download_buttons, footer, last_refresh, published_or_stop

st.title("Data quality and freshness")
published = published_or_stop()

outcome = last_refresh()
if outcome and outcome.get("status") == "error":
    with st.expander(f"Last refresh ({outcome['at'][:16].replace('T', ' ')} UTC): failed", expanded=True):
        st.text(outcome.get("message") or "")
        if outcome.get("failed"):
            st.dataframe(
                pd.DataFrame(
                    [{"source": key.removeprefix("raw/"), "why": why} for key, why in outcome["failed"].items()]
                ),
                hide_index=True,
                width="stretch",
            )

health = cached("health_report", published)
if health:
    label = {"ok": "OK", "warning": "warnings", "error": "errors"}[health["status"]]
    with st.expander(f"Health report of this version: {label}", expanded=health["status"] != "ok"):
        # the report is generated from the published data itself (pipelines/publishing/health.py), never from user input
        st.markdown(health["markdown"])
        st.download_button(
            "Download the health report (Markdown)",
            health["markdown"].encode("utf-8"),
            file_name=f"health_{published.version}.md",
            mime="text/markdown",
        )

st.subheader("Revisions between published versions")
revised = cached("revisions", published)
if revised.empty:
    st.caption("No value has changed between the published versions kept in this one's history.")
else:
    kinds = revised["change"].value_counts().to_dict()
    st.caption(
        f"{kinds.get('revised', 0)} revised, {kinds.get('added', 0)} added, {kinds.get('removed', 0)} removed "
        "observations across published versions. A revision is Eurostat correcting a value or a city resubmitting."
    )
    st.dataframe(revised[revised["change"] != "added"].head(2000), hide_index=True, width="stretch")
    download_buttons(revised, "revisions")

st.subheader("Sources")
freshness = cached("source_freshness", published)
st.dataframe(freshness, hide_index=True, width="stretch")
st.caption(
    "'not_in_snapshot' means the dataset was not in the snapshot folder and was not fetched: "
    "nothing is shown for it, nothing is invented."
)
download_buttons(freshness, "source_freshness")

st.subheader("Perception survey answer blocks that do not sum to 100 ± 2")
anomalies = cached("block_anomalies", published)
st.dataframe(anomalies, hide_index=True, width="stretch")
st.caption(f"{len(anomalies)} blocks. The observations stay published with a quality warning.")
download_buttons(anomalies, "perception_block_anomalies")

st.subheader("City population labels matched to Urban Audit codes")
labels = cached("population_label_matches", published)
st.dataframe(labels, hide_index=True, width="stretch")
st.caption(
    f"{int(labels['is_matched'].sum())} of {len(labels)} labels matched; every unmatched label is listed "
    "with the reason, none is guessed."
)
download_buttons(labels, "population_label_matches")

st.subheader("Coverage: periods with a value per city and indicator")
coverage = cached("coverage_matrix", published)
matrix = coverage.pivot_table(
    index=["city", "geo_code"], columns="indicator_code", values="periods_with_value", fill_value=0
).reset_index()
matrix = matrix.loc[:, (matrix != 0).any(axis=0)]  # indicators no city has are listed in the methodology page
st.dataframe(matrix, hide_index=True, width="stretch")
st.caption(
    f"{len(matrix)} cities with at least one value. 0 = no value for that indicator; city-reported values "
    "will be counted here once city reporting lands."
)
download_buttons(matrix, "coverage_matrix")

st.subheader("Cities without geometry")
st.dataframe(cached("geographies_without_geometry", published), hide_index=True, width="stretch")
footer(published)
