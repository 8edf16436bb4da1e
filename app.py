"""PTS Outcomes Explorer. Run with `make run` (or `streamlit run app.py`)."""

import streamlit as st

from pts_explorer.config import PAGES
from pts_explorer.ui import auth, following, frame, state, talks

st.set_page_config(page_title="PTS Outcomes Explorer", page_icon=":material/ecg_heart:", layout="wide")

if auth.must_sign_in():
    # Sign-in configured and nobody signed in: every address (a deep link, presenter mode, a follow or
    # speaker view) draws the sign-in screen only; the provider returns the user to the home page, which then
    # opens the address asked for (auth.remember_address, auth.return_address).
    signing_in = [
        st.Page(auth.sign_in_screen, title=p.title, url_path=p.url_path, default=p.name == "home") for p in PAGES
    ]
    asked = st.navigation(signing_in, position="hidden")
    # The provider returns the user to the home page: the address asked for is kept in the browser meanwhile.
    auth.remember_address(asked.url_path, {key: st.query_params.get_all(key) for key in st.query_params})
    asked.run()
else:
    pages = {
        p.name: st.Page(
            p.script, title=p.title, icon=f":material/{p.icon}:", url_path=p.url_path, default=p.name == "home"
        )
        for p in PAGES
    }
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if spec.listed:
            sections.setdefault(spec.section, []).append(pages[spec.name])

    current = st.navigation(list(pages.values()), position="hidden")  # the menu: ui.frame
    by_path = {page.url_path: page for page in pages.values()}
    back = auth.return_address(by_path)  # the first run of a session only
    if back is not None and current is pages["home"] and not st.query_params:
        # The first page after sign-in (the provider returns to the home page): the address asked for before.
        st.switch_page(by_path[back[0]], query_params=back[1])
    if followed := following.followed_slide(current.url_path, state.opening_query()):
        # A follower's window (follow=<code>, on any page) opens the presenter's slide, and the new one
        # when the presenter stepped, before a page runs (the page then shows the slide followed).
        st.switch_page(followed[0], query_params=followed[1])
    if left := following.left_slide(current.url_path, state.opening_query()):
        # The presenter's window, asked by its screen's late size report to draw a slide it has left: the room's.
        st.switch_page(left[0], query_params=left[1])
    if current is pages["home"] and frame.opened_with_query():
        # A link to "/" that carries a cohort (links made before the home page existed) opens the
        # cohort's overview, as it always did; /overview stays the stable address of that view.
        st.switch_page(pages["overview"], query_params=state.opening_query())
    if current is pages["talks"] and (first := talks.opening_slide(state.opening_query())):
        # A talk's short link (/talks?talk=<slug>&present=1) opens its first slide.
        st.switch_page(first[0], query_params=first[1])
    spec = next(p for p in PAGES if pages[p.name] is current)
    frame.run(current, sections, spec)
