"""PTS Outcomes Explorer. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

from pts_explorer import ui

st.set_page_config(page_title="PTS Outcomes Explorer", page_icon=":material/ecg_heart:", layout="wide")

page = st.navigation(
    {
        "Cohort": [
            st.Page("views/overview.py", title="Overview", icon=":material/groups:", url_path="overview", default=True),
        ],
        "Outcomes": [
            st.Page("views/trajectories.py", title="Trajectories", icon=":material/show_chart:", url_path="trajectories"),
        ],
    }
)
ui.require_database()
ui.sidebar_filters()
ui.run_token()
ui.dataset_banner()
page.run()
