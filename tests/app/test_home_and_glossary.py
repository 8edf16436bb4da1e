"""The first screen explains itself; the Glossary is reachable, searchable, and quoted by tooltips."""

from urllib.parse import parse_qs

import pytest

from pts_explorer.config import STARTING_POINTS
from tests.app.test_pages import _texts


def _links(at) -> dict[str, object]:
    return {e.proto.label: e.proto for e in at.get("page_link")}


def test_home_says_what_the_app_answers_for_whom_and_what_is_loaded(app_on, demo_db):
    at = app_on(demo_db).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["PTS Outcomes Explorer"]
    text = _texts(at)
    assert "Does an endovascular stent relieve post-thrombotic syndrome" in text
    assert "vascular researchers" in text
    assert "**Data loaded:** 2,640 patients in 2 studies" in text
    assert "**TRIAL** (randomized, 240 patients: 120 stent, 120 medical; follow-up up to 2 years)" in text
    assert "Synthetic demo data" in text  # the dataset line is on the first screen too
    links = _links(at)
    assert {"Open Effects", "Open Trajectories", "Open Durability"} <= set(links)
    assert any(label.startswith("**Glossary**") for label in links)  # every page listed, with what it answers


def test_every_starting_point_opens_a_cohort_with_patients(app_on, demo_db):
    at = app_on(demo_db).run()
    links = _links(at)
    for title, _, page, query in STARTING_POINTS:
        link = links[f"Open {page.capitalize()}"]
        assert parse_qs(link.query_string) == query, title  # the link carries exactly its cohort
        opened = app_on(demo_db, query)
        opened.switch_page(f"app_pages/{page}.py").run()
        assert not opened.exception
        assert "No patients match" not in _texts(opened), title
        assert opened.get("plotly_chart"), title


def test_an_address_at_the_root_with_a_cohort_opens_its_overview(app_on, demo_db):
    at = app_on(demo_db, {"site": ["femoral"]}).run()
    assert [h.value for h in at.header] == ["Cohort overview"]
    assert at.multiselect(key="site").value == ["femoral"]


def test_home_keeps_a_cohort_chosen_in_the_sidebar(app_on, demo_db):
    at = app_on(demo_db).run()
    at.multiselect(key="site").set_value(["femoral"]).run()
    assert [h.value for h in at.header] == ["PTS Outcomes Explorer"]  # no forwarding once the session runs
    assert parse_qs(_links(at)["**Trajectories**: Scores over time per arm."].query_string) == {"site": ["femoral"]}


def test_glossary_lists_every_section_with_sources(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/glossary.py").run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Scores", "Lesions and anatomy", "Endpoints", "Study design", "Methods"]
    text = _texts(at)
    for term in ("Villalta scale", "VCSS", "VEINES-QOL", "CEAP clinical class", "Secondary patency", "Welch 95% CI"):
        assert f"**{term}" in text, term
    assert text.count("Source: ") >= 25
    assert "<svg" in text and ">External iliac<" in text  # the diagram of the iliofemoral veins


def test_glossary_search_narrows_and_says_when_nothing_matches(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/glossary.py").run()
    at.text_input(key="glossary_search").input("patency").run()
    assert [s.value for s in at.subheader] == ["Endpoints"]
    at.text_input(key="glossary_search").input("*zebra*").run()
    assert not at.exception
    assert not at.subheader
    assert "No term mentions “zebra”" in _texts(at)  # echoed as plain text, not Markdown


@pytest.mark.parametrize(
    ("page", "widget", "key", "words"),
    [
        ("overview", "multiselect", "site", "most proximal"),
        ("overview", "multiselect", "grade", "70% or more 'high grade'"),
        ("overview", "multiselect", "band", "any open venous ulcer: severe"),
        ("trajectories", "selectbox", "outcome", "VCSS**: points (0-30); lower is better"),
        ("durability", "selectbox", "endpoint", "in-stent restenosis above 50%"),
        ("responders", "number_input", "threshold", "No minimal clinically important difference"),
    ],
)
def test_labels_that_use_a_term_quote_the_glossary(app_on, demo_db, page, widget, key, words):
    at = app_on(demo_db)
    at.switch_page(f"app_pages/{page}.py").run()
    assert words in getattr(at, widget)(key=key).help
