"""Bulk downloads of the published version: every observation as CSV or Parquet, and the catalogues."""

import io

import streamlit as st

from dashboards.common import cached_as_published, download_buttons, footer, published_or_stop
from dashboards.labels import text as _
from dashboards.queries import Published

published = published_or_stop()
st.title(_("Downloads"))


@st.cache_data(show_spinner=False, max_entries=4)
def bulk_file(published: Published, fmt: str) -> bytes:
    frame = cached_as_published("all_observations", published)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


st.markdown(
    _(
        "All published observations of version **{version}** — the same table `sps export observations` writes, with "
        "units, intervals, flags, sources and lineage on every row. Downloads keep codes and dot decimals in every "
        "language, so any tool reads them.",
        version=published.version,
    )
)
if st.button(_("Prepare the bulk files")):
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

st.header(_("Indicator catalogue"))
download_buttons(cached_as_published("indicators", published), "indicator_catalogue")
st.header(_("Survey registry"))
download_buttons(cached_as_published("survey_registry", published), "survey_registry")
footer(published)
