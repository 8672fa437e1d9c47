"""Shared page helpers: the published version (cached per version), tables people can read (labels, rounding,
"—" for empty cells; downloads keep the codes) and a footer that says what it is."""

from __future__ import annotations

import functools
import logging

import streamlit as st

from dashboards import queries
from dashboards.labels import MISSING, VALUE_COLUMNS, column_label, decimals_for
from pipelines.errors import SpsError
from pipelines.settings import load_settings
from pipelines.shared.alerts import alert_once
from pipelines.shared.cells import neutralise_cell
from pipelines.versions.outcome import read_refresh_outcome

log = logging.getLogger("sps.dashboard")


def published_or_stop() -> queries.Published:
    """The version to show, with a banner on every page when it is not the one CURRENT names (damaged) or when
    the last refresh could not update some sources."""
    try:
        published = queries.current_published()
    except SpsError as exc:
        st.error(f"No data to show yet: {exc}")
        st.stop()
    if published.problem:
        st.warning(published.banner, icon=":material/gpp_maybe:")
        _alert_damaged(published.named or "pointer", published.problem, published.version)
    outcome = last_refresh()
    if outcome and outcome.get("status") == "error" and outcome.get("failed"):
        failed = ", ".join(key.removeprefix("raw/") for key in outcome["failed"])
        st.info(
            f"The last refresh ({outcome['at'][:16].replace('T', ' ')} UTC) could not update {failed}: "
            "their last good data is shown. Details on the Data quality page.",
            icon=":material/sync_problem:",
        )
    return published


def last_refresh() -> dict | None:
    """The outcome of the last refresh (failed sources keep their last good data; see versions/outcome.py)."""
    return read_refresh_outcome(load_settings().published_dir)


@st.cache_resource(show_spinner=False)
def _alert_damaged(named: str, problem: str, served: str) -> bool:
    """Once per dashboard process and damaged version (and once per data folder: alert_once's marker)."""
    log.error("published version %s is damaged (%s); serving %s", named, problem, served)
    alert_once(
        load_settings().data_dir,
        f"damaged-{named}",
        f"published version {named} is damaged",
        f"{problem}.\nMet by the dashboard; it serves the newest intact version, {served}.\n"
        "Check with `sps publish --verify`; repair with `sps publish --rollback VERSION` or `sps refresh --full`.",
        {"damaged": named, "served": served, "reader": "dashboard"},
    )
    return True


@st.cache_data(show_spinner=False, max_entries=64)
def cached(name: str, published: queries.Published, *args):
    """Cache query results per published version: a new publication invalidates them naturally."""
    return getattr(queries, name)(published, *args)


def _spreadsheet_safe(frame):
    """A copy of `frame` whose text cells can never run as a spreadsheet formula."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
            frame[column] = frame[column].map(neutralise_cell)
    return frame


def csv_bytes(frame) -> bytes:
    return _spreadsheet_safe(frame).to_csv(index=False).encode("utf-8")


def xlsx_bytes(frame) -> bytes:
    import io

    excel = _spreadsheet_safe(frame)
    for column in excel.columns:  # Excel has no time zones: write UTC timestamps without one
        if hasattr(excel[column].dtype, "tz") and excel[column].dtype.tz is not None:
            excel[column] = excel[column].dt.tz_convert("UTC").dt.tz_localize(None)
        elif excel[column].dtype == object and len(excel) and isinstance(excel[column].iloc[0], list | tuple):
            excel[column] = excel[column].map(lambda v: ", ".join(map(str, v)) if v is not None else None)
    buffer = io.BytesIO()
    excel.to_excel(buffer, index=False, sheet_name="data", engine="openpyxl")
    return buffer.getvalue()


def download_buttons(frame, stem: str) -> None:
    """CSV and XLSX downloads of exactly the frame shown. The files are written when a button is clicked, not
    on every run of the page: an XLSX of a few thousand rows takes longer than the rest of the page."""
    frame = frame.copy()  # what is shown now, even if the page changes its frame afterwards (copy-on-write: cheap)
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        lambda: csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"csv-{stem}",
    )
    right.download_button(
        "Download XLSX",
        lambda: xlsx_bytes(frame),
        file_name=f"{stem}.xlsx",
        key=f"xlsx-{stem}",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def altair_chart(chart) -> None:
    """st.altair_chart(chart, width="stretch") without validating the whole Vega-Lite spec against Altair's JSON
    schema on every run: 20-30 ms for the map or 150 ranked bars at 10x, more than the queries behind them. The
    specs come from dashboards/charts.py only, and tests/dashboard/test_charts.py validates every kind it builds."""
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    st.altair_chart(chart, width="stretch")


def footer(published: queries.Published) -> None:
    st.caption(f"Published version {published.version}. Source: Eurostat (CC BY 4.0); boundaries © EuroGeographics.")


def url_choice(notes: list[str], key: str, allowed: list, default):
    """A choice read from the URL (?key=value) when it is valid; otherwise the default, with a note saying so."""
    value = st.query_params.get(key)
    if value is None:
        return default
    if value in allowed:
        return value
    notes.append(f"'{value}' is not a valid {key} here; showing {default} instead.")
    return default


def table_config(frame, *, labels: dict | None = None, hide=(), decimals: int | None = None) -> dict:
    """Streamlit column settings that show `frame` to people: a label for every column (downloads keep the
    codes), values and their intervals with one precision that follows the unit (79.0 beside 75.2–82.3, not 79
    beside 75.2155), whole numbers for sample sizes, dates without seconds. `hide` lists columns not shown."""
    import pandas as pd

    if decimals is None:
        decimals = decimals_for(frame["unit"].dropna().unique()) if "unit" in frame else 1
    config: dict = {}
    for column in frame.columns:
        if column in hide:
            config[column] = None
            continue
        label = (labels or {}).get(column) or column_label(str(column))
        dtype = frame[column].dtype
        if column in VALUE_COLUMNS and pd.api.types.is_numeric_dtype(dtype):
            config[column] = st.column_config.NumberColumn(label, format=f"%.{decimals}f")
        elif pd.api.types.is_bool_dtype(dtype):
            config[column] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_integer_dtype(dtype) or column in ("sample_size", "report_version", "line", "first line"):
            config[column] = st.column_config.NumberColumn(label, format="%d")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            config[column] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        else:
            config[column] = st.column_config.Column(label)
    return config


def show_table(frame, *, labels: dict | None = None, hide=(), decimals: int | None = None, **kwargs) -> None:
    """st.dataframe for people: labelled columns, consistent rounding, "—" in empty cells (never "None")."""
    config = table_config(frame, labels=labels, hide=hide, decimals=decimals)
    config.update(kwargs.pop("column_config", None) or {})
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    st.dataframe(frame, column_config=config, placeholder=MISSING, **kwargs)
