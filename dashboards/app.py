"""SPS Monitor dashboard: builds the navigation only; each page is its own file. Page paths are part of the
URL, and each page keeps its choices in the query string, so any view can be shared as a link."""

import streamlit as st

st.set_page_config(page_title="SPS Monitor", page_icon=":material/shield:", layout="wide")

pages = [
    # The default page lives at "/" (Streamlit ignores its url_path), so links to it are /?indicator=...
    st.Page("views/compare.py", title="Compare cities", icon=":material/leaderboard:", default=True),
    st.Page("views/overview_map.py", title="Overview map", icon=":material/map:", url_path="map"),
    st.Page("views/city_profile.py", title="City profile", icon=":material/location_city:", url_path="city"),
    st.Page(
        "views/perception_crime.py",
        title="Perception vs recorded crime",
        icon=":material/compare_arrows:",
        url_path="perception-crime",
    ),
    st.Page(
        "views/methodology.py", title="Indicators and methodology", icon=":material/menu_book:", url_path="methodology"
    ),
    st.Page("views/quality.py", title="Data quality and freshness", icon=":material/fact_check:", url_path="quality"),
    st.Page("views/upload.py", title="Upload (cities)", icon=":material/upload:", url_path="upload"),
    st.Page("views/downloads.py", title="Downloads", icon=":material/download:", url_path="downloads"),
]
st.navigation(pages).run()
