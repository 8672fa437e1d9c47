"""Shared page helpers: the published version (cached per version) and a footer that says what it is."""

from __future__ import annotations

import streamlit as st

from dashboards import queries
from pipelines.errors import SpsError


def published_or_stop() -> queries.Published:
    try:
        return queries.current_published()
    except SpsError as exc:
        st.error(f"No data to show yet: {exc}")
        st.stop()


@st.cache_data(show_spinner=False, max_entries=64)
def cached(name: str, published: queries.Published, *args):
    """Cache query results per published version: a new publication invalidates them naturally."""
    return getattr(queries, name)(published, *args)


def download_buttons(frame, stem: str) -> None:
    st.download_button(
        "Download CSV",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"csv-{stem}",
    )


def footer(published: queries.Published) -> None:
    st.caption(f"Published version {published.version}. Source: Eurostat (CC BY 4.0); boundaries © EuroGeographics.")
