import streamlit as st

from dashboards.common import cached, download_buttons, footer, published_or_stop, show_table

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
footer(published)
