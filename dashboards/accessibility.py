"""What every page needs for WCAG 2.1 AA that Streamlit (1.67) has no setting for, added once per run by app.py:

- the page's language (SC 3.1.1): Streamlit writes <html lang="en"> and its skip link in English whatever the
  content, so a small script sets the `lang` attribute to the reader's language and translates the skip link;
- code blocks that wrap instead of scrolling sideways (SC 2.1.1): a scrolling <pre> cannot be reached by keyboard
  (axe: scrollable-region-focusable); the methodology page's formulas wrap;
- the sidebar's collapse button always shown (SC 2.1.1): Streamlit hides it until hovered, out of the Tab order.

Caption contrast (SC 1.4.3) is the theme's text colour (pipelines/cli.py TEXT_COLOUR). The script only writes
values of this module: a language code of pipelines.shared.i18n.LANGUAGES and a catalogue message.
tests/browser/test_accessibility_in_chromium.py runs axe-core on every page."""

from __future__ import annotations

import json

import streamlit as st

from dashboards.labels import text as _

STYLE = (
    '[data-testid="stMarkdownPre"] pre, [data-testid="stCode"] pre { white-space: pre-wrap; overflow-x: hidden; }'
    # Streamlit shows the sidebar's collapse button only under the mouse (visibility: hidden otherwise), which
    # keeps it out of the Tab order: always shown, the keyboard reaches it too
    ' [data-testid="stSidebarCollapseButton"], [data-testid="stSidebarCollapseButton"] button'
    " { visibility: visible !important; }"
)


def page_accessibility(lang: str) -> None:
    skip = json.dumps(_("Skip to main content"))
    st.sidebar.html(
        f"<style>{STYLE}</style>"
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
