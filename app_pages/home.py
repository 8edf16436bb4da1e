"""Home: what the app answers and for whom, the data loaded, and three ready-made starting points."""

from typing import Any

import streamlit as st

from pts_explorer import display, escape, privacy, ui, vocab
from pts_explorer.config import PAGES, STARTING_POINTS
from pts_explorer.rows import each_row

PAGE_FILES = {p.name: p.script for p in PAGES}


def _describe(study: Any, arm_text: dict[str, str], shield: privacy.Protection) -> str:  # a study_summary row
    design = vocab.DESIGNS.get(study.design, study.design).lower()
    name = escape.markdown(study.study_id)  # a value of the data: text, not Markdown
    if not study.patients:
        return f"**{name}** ({design}, no patients)"
    return (
        f"**{name}** ({design}, {shield.count(study.patients)} patients: {arm_text['stent']} stent, "
        f"{arm_text['medical']} medical; follow-up up to {display.follow_up(study.max_follow_up_years)})"
    )


def _arm_texts(studies: Any, shield: privacy.Protection) -> dict[str, dict[str, str]]:
    """Per study, each arm's count as shown: the arms add up to the study, the studies to the arm."""
    long = studies.melt(id_vars="study_id", value_vars=["stent", "medical"], var_name="arm", value_name="n")
    long["hidden"] = shield.mask_frame(long, "n", [["study_id"], ["arm"]])
    texts: dict[str, dict[str, str]] = {}
    for r in each_row(long):
        texts.setdefault(r.study_id, {})[r.arm] = shield.count(r.n, r.hidden)
    return texts


st.header("PTS Outcomes Explorer", anchor=False)
st.markdown(
    "**Does an endovascular stent relieve post-thrombotic syndrome more than compression and medication, for "
    "whom, for how long, and at what risk?** Built for vascular researchers, trialists and statisticians who slice "
    "trial and registry cohorts by obstruction site, stenosis grade, PTS severity and demographics, and for "
    "presenting the charts live."
)

studies = ui.query("study_summary", {"days_per_year": vocab.DAYS_PER_YEAR})
total = int(studies.patients.sum())


shield = ui.protection()
arm_texts = _arm_texts(studies, shield)
parts = [_describe(r, arm_texts[r.study_id], shield) for r in each_row(studies)]
in_studies = f"{len(studies)} {'study' if len(studies) == 1 else 'studies'}"
st.markdown(f"**Data loaded:** {shield.count(total)} patients in {in_studies}: " + "; ".join(parts) + ".")

st.subheader("Start here", anchor=False)
for column, (title, why, page, query) in zip(st.columns(3), STARTING_POINTS, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{title}**  \n{why}")
        st.page_link(
            PAGE_FILES[page], label=f"Open {page.capitalize()}", icon=":material/arrow_forward:", query_params=query
        )

st.subheader("Every page", anchor=False)
left, right = st.columns(2)
for i, spec in enumerate(p for p in PAGES if p.name != "home" and p.listed):
    with left if i % 2 == 0 else right:
        st.page_link(
            spec.script,
            label=f"**{spec.title}**: {spec.blurb}",
            icon=f":material/{spec.icon}:",
            query_params=ui.url_query(),  # keep the cohort chosen in the sidebar
        )
