"""One module per dashboard page, run by Streamlit as scripts (dashboards/app.py builds the navigation)."""
