"""PTS Outcomes Explorer. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

from pts_explorer import ui

st.set_page_config(page_title="PTS Outcomes Explorer", page_icon=":material/ecg_heart:", layout="wide")

overview = st.Page("views/overview.py", title="Overview", icon=":material/groups:", url_path="overview")
trajectories = st.Page("views/trajectories.py", title="Trajectories", icon=":material/show_chart:",
                       url_path="trajectories")  # fmt: skip
effects = st.Page("views/effects.py", title="Effects", icon=":material/functions:", url_path="effects")
subgroups = st.Page("views/subgroups.py", title="Subgroups", icon=":material/account_tree:", url_path="subgroups")
responders = st.Page("views/responders.py", title="Responders", icon=":material/how_to_reg:", url_path="responders")
durability = st.Page("views/durability.py", title="Durability", icon=":material/timeline:", url_path="durability")
safety = st.Page("views/safety.py", title="Safety", icon=":material/health_and_safety:", url_path="safety")


def home() -> None:
    # Streamlit serves the default page at "/" only; a hidden default page forwards to /overview so
    # that /overview is a stable address (the URL contract) and "/" still works.
    st.switch_page(overview, query_params={key: st.query_params.get_all(key) for key in st.query_params})


page = st.navigation(
    {
        "": [st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")],
        "Cohort": [overview],
        "Outcomes": [trajectories, effects, subgroups, responders],
        "Stents over time": [durability, safety],
    }
)
ui.require_database()
ui.sidebar_filters()
ui.run_token()
ui.dataset_banner()
page.run()
