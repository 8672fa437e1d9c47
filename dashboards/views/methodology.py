import re

import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop, show_table
from dashboards.labels import data_text, sdg_text, unit_label
from dashboards.labels import text as _
from pipelines.settings import PROJECT_ROOT
from pipelines.shared import i18n

PROGRESS_DOC = PROJECT_ROOT / "docs" / "methodology" / "progress.md"


def progress_sections(text: str) -> list[tuple[str, str, str]]:
    """(title, anchor, body) of every '## ' section of docs/methodology/progress.md; the anchors are the ones the
    dashboard's progress links point to (dashboards/progress.py), e.g. 'Eurostat SDG trend' -> eurostat-sdg-trend."""
    sections = []
    for chunk in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title, _sep, body = chunk.partition("\n")
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).strip().replace(" ", "-")
        sections.append((title.strip(), anchor, body.strip()))
    return sections


published = published_or_stop()
st.title(_("Indicators and methodology"))
catalogue = cached("indicators", published)
DOMAINS = (
    i18n.N_("quality of life"),
    i18n.N_("social cohesion"),
    i18n.N_("public space liveability"),
    i18n.N_("sense of safety"),
    i18n.N_("urban security"),
    i18n.N_("background conditions"),
)
for _index, row in catalogue.iterrows():
    with st.expander(
        f"{row['indicator_name']} — `{row['indicator_code']}` (" + _("{n} values", n=row["observations"]) + ")"
    ):
        direction = _("higher is better") if row["higher_is_better"] else _("lower is better")
        domain = data_text(row["partnership_domain"])
        st.markdown(
            f"**{_('Definition.')}** {row['definition']}\n\n**{_('Unit.')}** {unit_label(row['unit'])} ({direction})"
            f"\n\n**{_('SDG targets.')}** {sdg_text(row['sdg_targets'])} · **{_('Partnership domain.')}** {domain}\n\n"
            f"**{_('Sources.')}** {row['source_notes']}\n\n**{_('Caveats.')}** {row['comparability_caveat']}"
        )
download_buttons(catalogue, "indicator_catalogue")

st.header(_("Survey registry"))
st.caption(
    _(
        "Who asked what, of whom, how, and with which sample. Sample sizes marked approximate are the nominal "
        "interviews per city from the survey reports; the intervals built on them are approximate too."
    )
)
registry = cached("survey_registry", published)
# On screen the registry's words are in the reader's language (they are gettext messages, babel.cfg); questions
# are quoted as the survey asked them.
TRANSLATED = ("survey_name", "producer", "population_universe", "mode", "response_scale", "numerator_answers",
              "deviation_from_sdg", "sample_size_kind")  # fmt: skip
show_table(registry.assign(**{c: registry[c].map(data_text) for c in TRANSLATED if c in registry}))
download_buttons(registry, "survey_registry")

# The progress methods, from docs/methodology/progress.md, each section under the anchor the assessments link to.
st.header(_("Progress assessment"), anchor="progress-assessment")
if i18n.language() != i18n.DEFAULT_LANGUAGE:
    st.info(_("The notes on the progress methods below are written in English (docs/methodology/progress.md)."))
doc = PROGRESS_DOC.read_text(encoding="utf-8") if PROGRESS_DOC.is_file() else ""
intro = doc.split("\n## ", 1)[0].split("\n", 1)[-1].strip()
if intro:
    st.markdown(intro)
for title, anchor, body in progress_sections(doc):
    st.subheader(title, anchor=anchor)
    # links to other files of docs/ do not resolve in the app: keep their text
    st.markdown(re.sub(r"\[([^\]]+)\]\((?!https?://)[^)]+\)", r"\1", body))
footer(published)
