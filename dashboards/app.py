"""SPS Monitor dashboard: builds the navigation only; each page is its own file."""

import streamlit as st

st.set_page_config(page_title="SPS Monitor", page_icon=":material/shield:", layout="wide")

pages = [
    st.Page("pages/compare.py", title="Compare cities", icon=":material/leaderboard:", default=True),
    st.Page("pages/methodology.py", title="Indicators and methodology", icon=":material/menu_book:"),
    st.Page("pages/quality.py", title="Data quality and freshness", icon=":material/fact_check:"),
]
st.navigation(pages).run()
