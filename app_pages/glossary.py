"""Glossary: the scores, lesions, endpoints, designs and methods the pages name, with sources."""

import streamlit as st

from pts_explorer import glossary, ui


def _anchor(section: str) -> str:
    return section.lower().replace(" ", "-")


st.header("Glossary", anchor=False)
st.caption("Every term the pages use, in plain words, with its source. The help icons beside labels quote these.")
search = st.text_input(
    "Find a term", placeholder="e.g. patency, Villalta, Welch", key="glossary_search", label_visibility="collapsed"
)
sections = glossary.by_section(search)
st.markdown(" · ".join(f"[{s}](#{_anchor(s)})" for s in sections))
if not sections:
    shown = "".join(c for c in search.strip() if c.isalnum() or c in " -'")  # echoed, never as Markdown
    st.info(f"**No term mentions “{shown}”.** Clear the search to see every term.", icon=":material/search_off:")

for section, terms in sections.items():
    st.subheader(section, anchor=_anchor(section))
    text, side = st.columns([3, 2]) if section == "Lesions and anatomy" else (st.container(), None)
    with text:
        for term in terms:
            st.markdown(f"**{term.name}**  \n{term.text}")
            if term.detail:
                st.markdown(term.detail)
            st.caption(f"Source: {term.source}")
    if side is not None:
        with side:
            ui.veins_diagram()
