"""The reader's language: read from the URL (?lang=fr) on every run, so a shared link keeps its language; kept for
the browser session too, because moving to another page through the navigation clears the query string, and put
back into the URL then. English when nothing says otherwise. The picker sits at the top of the sidebar."""

from __future__ import annotations

import streamlit as st

from dashboards.labels import text as _
from pipelines.shared import i18n

SESSION_KEY = "sps_language"
PICKER_KEY = "sps_language_picker"


def choose_language() -> str:
    """Set this run's language (pipelines.shared.i18n, a context variable of the session's script thread) from
    the URL, else from the session; keep it in the URL."""
    requested = st.query_params.get("lang")
    lang = i18n.normalise_language(requested)
    if lang is None:
        lang = st.session_state.get(SESSION_KEY, i18n.DEFAULT_LANGUAGE)
    st.session_state[SESSION_KEY] = lang
    if requested != lang and (requested is not None or lang != i18n.DEFAULT_LANGUAGE):
        st.query_params["lang"] = lang  # a page switch dropped it, or it read 'FR' / 'fr-BE' / an unknown code
    i18n.set_language(lang)
    return lang


def _picked() -> None:
    lang = st.session_state[PICKER_KEY]
    st.session_state[SESSION_KEY] = lang
    st.query_params["lang"] = lang


def language_picker() -> None:
    """A select box of the eight languages, each in its own name; labelled in the current language and, when
    that is not English, in English too, so a reader who landed on a language they do not read finds it."""
    lang = i18n.language()
    st.session_state[PICKER_KEY] = lang
    label = _("Language") if lang == i18n.DEFAULT_LANGUAGE else f"{_('Language')} (Language)"
    st.sidebar.selectbox(
        label,
        list(i18n.LANGUAGES),
        format_func=i18n.LANGUAGES.__getitem__,
        key=PICKER_KEY,
        on_change=_picked,
    )
