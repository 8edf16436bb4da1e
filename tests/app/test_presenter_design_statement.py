"""Presenter mode hides every control, so its design notice states the design instead of telling the
audience to switch a control it cannot see (#22 re-review: Durability said "Switch on *Randomized
only*" on a projector); and no text on the slide shows a Markdown mark as a raw character. The
studies and their designs are read from the database; the page's Markdown is rendered with
markdown-it (CommonMark), not with the app's code, to find what a reader sees."""

import re

import pytest
from markdown_it import MarkdownIt

BADGE = ":orange-badge[:material/call_split: Pooled randomized and observational patients] Not a randomized comparison."
VIEWS = {
    "durability": {"endpoint": "ulcer_healing", "group": "arm"},  # stent against medical: the remedy applies
    "trajectories": {"by_study": "False"},
}


def _page(app_on, demo_db, page: str, query: dict):
    at = app_on(demo_db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _shown(markdown: str) -> str:
    """The text a reader sees of one Markdown element (tags dropped, entities kept as written)."""
    return re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(markdown)).strip()


def _texts(at) -> list[str]:
    return [el.value for kind in ("markdown", "caption", "info", "warning", "success") for el in getattr(at, kind)]


def _studies(demo_con) -> str:
    rows = demo_con.execute(
        "SELECT DISTINCT s.study_id, s.design FROM studies AS s JOIN patients AS p USING (study_id) ORDER BY 1"
    ).fetchall()
    assert len({design for _, design in rows}) == 2  # the demo pools a trial and a registry
    parts = [f"{study} ({design})" for study, design in rows]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@pytest.mark.parametrize("page", list(VIEWS))
def test_presenter_states_the_pooled_studies_not_a_hidden_control(app_on, demo_db, demo_con, page):
    at = _page(app_on, demo_db, page, {"present": "1", **VIEWS[page]})
    assert not at.toggle and not at.selectbox  # the controls a remedy would name are not on the slide
    notices = [t for t in _texts(at) if t.startswith(BADGE)]
    assert notices == [f"{BADGE} Studies: {_studies(demo_con)}."]
    assert not [t for t in _texts(at) if "Switch on" in t or "Switch off" in t or "Split by study" in t]
    raw = [t for t in _texts(at) if not t.startswith("<") and "*" in _shown(t)]
    assert raw == []


def test_outside_presenter_mode_the_notice_names_the_control(app_on, demo_db):
    at = _page(app_on, demo_db, "durability", VIEWS["durability"])
    notices = [t for t in _texts(at) if t.startswith(BADGE)]
    assert notices == [f"{BADGE} Switch on *Randomized only* for the randomized contrast alone."]
    assert "Randomized only" in [t.label for t in at.toggle]
