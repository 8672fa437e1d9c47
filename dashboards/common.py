"""Shared page helpers: the published version (cached per version), tables people can read (labels, rounding,
"—" for empty cells; downloads keep the codes) and a footer that says what it is."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections import OrderedDict

import streamlit as st

from dashboards import queries
from dashboards.labels import (
    MISSING,
    VALUE_COLUMNS,
    column_label,
    decimals_for,
    fmt_number,
    translate_frame,
    unit_label,
    use_catalogue,
)
from dashboards.labels import text as _
from dashboards.language import choose_language
from pipelines.errors import SpsError
from pipelines.settings import load_settings
from pipelines.shared import i18n
from pipelines.shared.alerts import alert_once
from pipelines.shared.cells import neutralise_frame
from pipelines.versions.outcome import read_refresh_outcome

log = logging.getLogger("sps.dashboard")


def published_or_stop() -> queries.Published:
    """The version to show, with a banner on every page when it is not the one CURRENT names (damaged) or when
    the last refresh could not update some sources. Sets the reader's language first (?lang=), as a page run
    alone (tests) has no app.py around it."""
    choose_language()
    try:
        published = queries.current_published()
    except SpsError as exc:
        st.error(_("No data to show yet: {reason}", reason=exc))
        st.stop()
    lang = i18n.language()
    if lang != i18n.DEFAULT_LANGUAGE:  # the indicator catalogue in the reader's language (seeds, ADR 0023)
        use_catalogue(lang, cached("indicator_translations", published))
    if published.problem:
        st.warning(
            _(
                "{problem}. Showing the newest intact version, {version}, instead. The secretariat has been alerted "
                "(`sps publish --verify`, then `sps publish --rollback` or `sps refresh --full`).",
                problem=published.problem[:1].upper() + published.problem[1:],
                version=published.version,
            ),
            icon=":material/gpp_maybe:",
        )
        _alert_damaged(published.named or "pointer", published.problem, published.version)
    outcome = last_refresh()
    if outcome and outcome.get("status") == "error" and outcome.get("failed"):
        failed = ", ".join(key.removeprefix("raw/") for key in outcome["failed"])
        st.info(
            _(
                "The last refresh ({at} UTC) could not update {sources}: their last good data is shown. Details on "
                "the Data quality page.",
                at=outcome["at"][:16].replace("T", " "),
                sources=failed,
            ),
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
def _cached(name: str, published: queries.Published, *args):
    return getattr(queries, name)(published, *args)


def cached_as_published(name: str, published: queries.Published, *args):
    """A query result exactly as published (the catalogue's English): for bulk downloads equal to `sps export`."""
    return _cached(name, published, *args)


def cached(name: str, published: queries.Published, *args):
    """Cache query results per published version: a new publication invalidates them naturally. The cache holds
    the catalogue's English; indicator names, definitions and caveats are put in the reader's language on the way
    out (dashboards/labels.translate_frame), so one cached result serves every language."""
    return translate_frame(_cached(name, published, *args))


def _spreadsheet_safe(frame):
    """A copy of `frame` whose text cells can never run as a spreadsheet formula."""
    return neutralise_frame(frame)


def csv_bytes(frame) -> bytes:
    """The CSV download of `frame`, remembered by the frame's content: a page re-rendered with the same table (a
    reader changing another widget, another session on the same selection) gets the bytes it already wrote.
    pandas' `to_csv` turns every Arrow string into a Python object; at 100x the data quality page spent 46 % of a
    re-render writing the same CSVs again. Hashing the content costs a sixth of writing it (4 100 x 11: 2 ms against
    15 ms). Not st.cache_data: it hashes a frame of 100 000 rows or more from a sample of its rows, and two tables
    that differ outside the sample must never share a download."""
    key = _content_key(frame)
    if key is None:
        return _spreadsheet_safe(frame).to_csv(index=False).encode("utf-8")
    with _csv_lock:
        data = _csv_memo.get(key)
        if data is not None:
            _csv_memo.move_to_end(key)
            return data
    data = _spreadsheet_safe(frame).to_csv(index=False).encode("utf-8")
    with _csv_lock:
        _csv_memo[key] = data
        while len(_csv_memo) > 1 and sum(len(v) for v in _csv_memo.values()) > CSV_MEMO_BYTES:
            _csv_memo.popitem(last=False)
    return data


CSV_MEMO_BYTES = 64_000_000  # the CSVs remembered per dashboard process, newest kept
_csv_memo: OrderedDict[tuple, bytes] = OrderedDict()
_csv_lock = threading.Lock()


def _content_key(frame) -> tuple | None:
    """Columns, types, shape and a digest of every cell (pandas' row hashes over the whole frame, never a sample);
    None for a frame pandas cannot hash (cells holding lists), which is then written every time."""
    import pandas as pd

    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:
        return None
    digest = hashlib.blake2b(rows.tobytes(), digest_size=16).hexdigest()
    return (tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)), frame.shape, digest)


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
    """CSV and XLSX downloads of exactly the frame shown. The XLSX is written when its button is clicked, not on
    every run of the page (an XLSX of a few thousand rows takes longer than the rest of the page); the CSV, a few
    milliseconds, is written with the page. A deferred download whose click lands while a rerun replaces the
    button was seen to leave the button disabled for good (Streamlit 1.67, in several test runs on a loaded machine):
    the CSV, the download most readers use, is an ordinary file link."""
    frame = frame.copy()  # what is shown now, even if the page changes its frame afterwards (copy-on-write: cheap)
    left, right = st.columns(2)
    left.download_button(
        _("Download CSV"),
        csv_bytes(frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"csv-{stem}",
    )
    right.download_button(
        _("Download XLSX"),
        lambda: xlsx_bytes(frame),
        file_name=f"{stem}.xlsx",
        key=f"xlsx-{stem}",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def altair_chart(chart, description: str | None = None, data=None, data_labels: dict | None = None) -> None:
    """st.altair_chart(chart, width="stretch") with, for every reader, the chart's text alternative: `description`
    (one generated sentence: dashboards/chart_text.py) under the chart and as the chart's own description, and the
    table of `data` one click away; numbers on axes, legends and tooltips in the reader's locale (Vega-Lite's
    config.locale from Babel's symbols).

    Altair's validation of the whole Vega-Lite spec on every run is skipped (20-30 ms for the map or 150 ranked
    bars at 10x, more than the queries behind them): the specs come from dashboards/charts.py only, and
    tests/dashboard/test_charts.py validates every kind it builds."""
    if description:
        chart = chart.properties(description=description)
    chart = chart.configure(locale=i18n.vega_locale())
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    st.altair_chart(chart, width="stretch")
    if description:
        st.caption(description)
    if data is not None and len(data):  # one click away, drawn only when asked for (a table costs a page run time)
        key = "chart-data-" + hashlib.sha1((description or str(data.columns.tolist())).encode()).hexdigest()[:12]
        if st.toggle(_("Data of this chart (table)"), key=key):
            show_table(data, labels=data_labels)


def footer(published: queries.Published) -> None:
    st.caption(
        _(
            "Published version {version}. Each chart and table names its sources; Eurostat's data are CC BY 4.0, "
            "boundaries © EuroGeographics.",
            version=published.version,
        )
    )


def url_choice(notes: list[str], key: str, allowed: list, default, *, quiet: bool = False):
    """A choice read from the URL (?key=value) when it is valid; otherwise the default, with a note saying so
    (none when `quiet`: see `opened_from_link`)."""
    value = st.query_params.get(key)
    if value is None:
        return default
    if value in allowed:
        return value
    if quiet:
        return default
    notes.append(
        _("'{value}' is not a valid {key} here; showing {default} instead.", value=value, key=key, default=default)
    )
    return default


def opened_from_link(widget_key: str) -> bool:
    """Whether the page is being opened (its first widget, `widget_key`, has no state yet in this session), so the
    choices in the URL come from a link someone followed and one that is not valid deserves a note. Afterwards the
    URL holds what the reader picked before, e.g. a period the indicator they just picked lacks: the page then falls
    back to the default without a note.

    The widgets that read their first value from the URL have keys: an unkeyed widget whose `index` follows the URL
    is a new widget whenever the URL changes, so every second pick snapped back to the previous one."""
    return _language_key(widget_key) not in st.session_state


def _language_key(widget_key: str) -> str:
    """The session key of a URL picker in the reader's language: a picker is a new widget in each language.
    Streamlit's browser side matches a picker's value by its shown label, so after a language switch the pickers
    kept the previous language's labels, and the radios lost their selection (streamlit#13788); a new widget
    takes its value from the URL like a page opened from a link."""
    return f"{widget_key}@{i18n.language()}"


def _pick_to_url(widget_key: str, url_key: str) -> None:
    value = _url_text(st.session_state.get(widget_key))
    if value is None:
        st.query_params.pop(url_key, None)
    else:
        st.query_params[url_key] = value


def url_picker(widget_key: str, url_key: str) -> dict:
    """Keyword arguments for a picker whose value the page keeps in the URL (?url_key=): its key, and an on_change
    that writes a pick to the URL before the page runs. So, at the start of a run, the URL differs from the
    picker's value only when it changed outside the page: the browser's Back and Forward (Streamlit pushes a
    history entry whenever a page changes the URL) or an edited link. The picker then follows the URL (its state
    is dropped, and its `index`, read from the URL, applies). Call it in the widget's arguments."""
    widget_key = _language_key(widget_key)
    if widget_key in st.session_state and _url_text(st.session_state[widget_key]) != st.query_params.get(url_key):
        del st.session_state[widget_key]
    return {"key": widget_key, "on_change": _pick_to_url, "args": (widget_key, url_key)}


def _url_text(value) -> str | None:
    return None if value is None else str(value)


def table_config(frame, *, labels: dict | None = None, hide=(), decimals: int | None = None) -> dict:
    """Streamlit column settings that show `frame` to people: a label for every column in the reader's language
    (downloads keep the codes), values and their intervals with one precision that follows the unit (79.0 beside
    75.2–82.3, not 79 beside 75.2155), whole numbers for sample sizes, dates without seconds. `hide` lists columns
    not shown. Numbers are printed by show_table in the reader's locale; these formats are English's."""
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


# Beyond this many numeric cells a table keeps Streamlit's own number format (dot decimals) in every language:
# a pandas Styler is rendered cell by cell on the server, ~1 s for 100 000 cells.
LOCALISED_CELLS = 20_000
# Columns whose cells are codes people read: shown in the reader's language (downloads keep the codes).
_CODE_WORDS = {
    "severity": {"error": i18n.N_("error"), "warning": i18n.N_("warning")},
    "context": {"region": i18n.N_("region"), "national": i18n.N_("national")},
}


def localised(frame, config: dict, decimals: int):
    """`frame` for the screen in the reader's language: units and code words translated; outside English a
    Styler printing numbers with Babel (decimal comma) while the cells stay numbers, so sorting still sorts
    numbers. Small tables only (LOCALISED_CELLS)."""
    import pandas as pd

    changes = {}
    if "unit" in frame.columns:
        changes["unit"] = [unit_label(u) if isinstance(u, str) else u for u in frame["unit"]]
    for column, words in _CODE_WORDS.items():
        if column in frame.columns:
            changes[column] = [_(words[v]) if isinstance(v, str) and v in words else v for v in frame[column]]
    if changes:
        frame = frame.assign(**changes)
    if i18n.language() == i18n.DEFAULT_LANGUAGE:
        return frame
    formats = {}
    for column in frame.columns:
        if config.get(column) is None or not pd.api.types.is_numeric_dtype(frame[column].dtype):
            continue
        if pd.api.types.is_bool_dtype(frame[column].dtype):
            continue
        places = decimals if column in VALUE_COLUMNS else (0 if pd.api.types.is_integer_dtype(frame[column]) else None)
        if column in ("sample_size", "report_version", "line", "first line"):
            places = 0
        if places is None:
            places = 2
        formats[column] = functools.partial(fmt_number, decimals=places)
    if not formats or len(frame) * len(formats) > LOCALISED_CELLS:
        return frame
    for column in formats:  # the Styler's text is shown: Streamlit's own number format would not apply anyway
        entry = config.get(column)
        if isinstance(entry, dict) and entry.get("type_config", {}).get("format"):
            config[column] = st.column_config.Column(entry.get("label"))
    return frame.style.format(formats, na_rep=MISSING)


def show_table(frame, *, labels: dict | None = None, hide=(), decimals: int | None = None, **kwargs) -> None:
    """st.dataframe for people: labelled columns, consistent rounding, numbers in the reader's locale, "—" in
    empty cells (never "None")."""
    if decimals is None:
        decimals = decimals_for(frame["unit"].dropna().unique()) if "unit" in frame else 1
    config = table_config(frame, labels=labels, hide=hide, decimals=decimals)
    config.update(kwargs.pop("column_config", None) or {})
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    st.dataframe(localised(frame, config, decimals), column_config=config, placeholder=MISSING, **kwargs)
