"""PTS Outcomes Explorer. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

from pts_explorer.config import PAGES
from pts_explorer.ui import frame

st.set_page_config(page_title="PTS Outcomes Explorer", page_icon=":material/ecg_heart:", layout="wide")

pages = {p.name: st.Page(p.script, title=p.title, icon=f":material/{p.icon}:", url_path=p.name) for p in PAGES}
sections: dict[str, list[st.Page]] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(pages[spec.name])


def home() -> None:
    # Streamlit serves the default page at "/" only; a hidden default page forwards to /overview so
    # that /overview is a stable address (the URL contract) and "/" still works.
    st.switch_page(pages["overview"], query_params={key: st.query_params.get_all(key) for key in st.query_params})


home_page = st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")
current = st.navigation([home_page, *pages.values()], position="hidden")  # the menu: ui.frame
if current.url_path == "home":
    current.run()
else:
    frame.run(current, sections)
