"""Bulk downloads of the published version: every observation as CSV or Parquet, and the catalogues."""

import io

import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop
from dashboards.queries import Published

st.title("Downloads")
published = published_or_stop()


@st.cache_data(show_spinner="Preparing the file…", max_entries=4)
def bulk_file(published: Published, fmt: str) -> bytes:
    frame = cached("all_observations", published)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


st.markdown(
    f"All published observations of version **{published.version}** — the same table `sps export observations` "
    "writes, with units, intervals, flags, sources and lineage on every row."
)
if st.button("Prepare the bulk files"):
    left, right = st.columns(2)
    left.download_button(
        "fct_observations.csv",
        bulk_file(published, "csv"),
        file_name="fct_observations.csv",
        mime="text/csv",
        key="bulk-csv",
    )
    right.download_button(
        "fct_observations.parquet",
        bulk_file(published, "parquet"),
        file_name="fct_observations.parquet",
        key="bulk-parquet",
    )

st.subheader("Indicator catalogue")
download_buttons(cached("indicators", published), "indicator_catalogue")
st.subheader("Survey registry")
download_buttons(cached("survey_registry", published), "survey_registry")
footer(published)
