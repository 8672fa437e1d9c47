import re

import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop, show_table
from pipelines.settings import PROJECT_ROOT

PROGRESS_DOC = PROJECT_ROOT / "docs" / "methodology" / "progress.md"


def progress_sections(text: str) -> list[tuple[str, str, str]]:
    """(title, anchor, body) of every '## ' section of docs/methodology/progress.md; the anchors are the ones the
    dashboard's progress links point to (dashboards/progress.py), e.g. 'Eurostat SDG trend' -> eurostat-sdg-trend."""
    sections = []
    for chunk in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).strip().replace(" ", "-")
        sections.append((title.strip(), anchor, body.strip()))
    return sections


st.title("Indicators and methodology")
published = published_or_stop()
catalogue = cached("indicators", published)
for _, row in catalogue.iterrows():
    with st.expander(f"{row['indicator_name']} — `{row['indicator_code']}` ({row['observations']} values)"):
        st.markdown(
            f"**Definition.** {row['definition']}\n\n**Unit.** {row['unit']} "
            f"({'higher is better' if row['higher_is_better'] else 'lower is better'})\n\n"
            f"**SDG targets.** {row['sdg_targets']} · **Partnership domain.** {row['partnership_domain']}\n\n"
            f"**Sources.** {row['source_notes']}\n\n**Caveats.** {row['comparability_caveat']}"
        )
download_buttons(catalogue, "indicator_catalogue")

st.subheader("Survey registry")
st.caption(
    "Who asked what, of whom, how, and with which sample. Sample sizes marked approximate are the nominal "
    "interviews per city from the survey reports; the intervals built on them are approximate too."
)
registry = cached("survey_registry", published)
show_table(registry)
download_buttons(registry, "survey_registry")

# The progress methods, from docs/methodology/progress.md, each section under the anchor the assessments link to.
st.header("Progress assessment", anchor="progress-assessment")
doc = PROGRESS_DOC.read_text(encoding="utf-8") if PROGRESS_DOC.is_file() else ""
intro = doc.split("\n## ", 1)[0].split("\n", 1)[-1].strip()
if intro:
    st.markdown(intro)
for title, anchor, body in progress_sections(doc):
    st.subheader(title, anchor=anchor)
    # links to other files of docs/ do not resolve in the app: keep their text
    st.markdown(re.sub(r"\[([^\]]+)\]\((?!https?://)[^)]+\)", r"\1", body))
footer(published)
