"""SPS Monitor dashboard: builds the navigation only; each page is its own file. Page paths are part of the
URL, and each page keeps its choices in the query string, so any view can be shared as a link. The language is in
the URL too (?lang=fr), so a link keeps its language; English when none is given."""

import streamlit as st

from dashboards.accessibility import page_accessibility
from dashboards.labels import text as _
from dashboards.language import choose_language, language_picker
from pipelines.shared.collector import freeze_loaded_objects

st.set_page_config(page_title="SPS Monitor", page_icon=":material/shield:", layout="wide")
lang = choose_language()

pages = [
    # The default page lives at "/" (Streamlit ignores its url_path), so links to it are /?indicator=...
    st.Page("views/compare.py", title=_("Compare cities"), icon=":material/leaderboard:", default=True),
    st.Page("views/overview_map.py", title=_("Overview map"), icon=":material/map:", url_path="map"),
    st.Page("views/city_profile.py", title=_("City profile"), icon=":material/location_city:", url_path="city"),
    st.Page(
        "views/perception_crime.py",
        title=_("Perception vs recorded crime"),
        icon=":material/compare_arrows:",
        url_path="perception-crime",
    ),
    st.Page(
        "views/methodology.py",
        title=_("Indicators and methodology"),
        icon=":material/menu_book:",
        url_path="methodology",
    ),
    st.Page(
        "views/quality.py", title=_("Data quality and freshness"), icon=":material/fact_check:", url_path="quality"
    ),
    st.Page("views/upload.py", title=_("Upload (cities)"), icon=":material/upload:", url_path="upload"),
    st.Page("views/downloads.py", title=_("Downloads"), icon=":material/download:", url_path="downloads"),
]
page = st.navigation(pages)
language_picker()
page_accessibility(lang)
page.run()
freeze_loaded_objects()  # once per process, after the first run (pipelines/shared/collector.py)
