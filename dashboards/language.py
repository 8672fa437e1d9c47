"""The reader's language: read from the URL (?lang=fr) on every run, so a shared link keeps its language; kept for
the browser session too, because moving to another page through the navigation clears the query string, and put
back into the URL then. English when nothing says otherwise. The picker sits at the top of the sidebar."""

from __future__ import annotations

import json

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
    _page_language(lang)


def _page_language(lang: str) -> None:
    """The page's own language for screen readers and browsers (WCAG 2.1 SC 3.1.1, language of page): Streamlit
    writes <html lang="en"> and its skip link in English whatever the content, so a small script sets the `lang`
    attribute and translates the skip link. Streamlit has no setting for either (1.67); the script only writes
    these two, from values of this module (a language code of i18n.LANGUAGES and a catalogue message)."""
    skip = json.dumps(_("Skip to main content"))
    st.sidebar.html(
        "<script>(() => {"
        "const doc = window.parent.document;"
        f"doc.documentElement.lang = {json.dumps(lang)};"
        "let tries = 0;"  # the skip link can be drawn after this script has run: look again for a few seconds
        "const timer = setInterval(() => {"
        "const skip = doc.querySelector('[data-testid=\"stSkipToContent\"]');"
        f"if (skip) skip.textContent = {skip};"
        "if (skip || ++tries > 50) clearInterval(timer);"
        "}, 100);"
        "})();</script>",
        unsafe_allow_javascript=True,
    )
