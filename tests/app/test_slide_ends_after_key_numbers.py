"""A slide ends with its key chart and key numbers (review 27, finding 8; README: on a slide the
analyst tables give way to one line of key numbers): under the key chart of every analysis page in
presenter mode there is its key numbers' line and the words on them (the chart's text alternative,
a caption, a caution on what the numbers support), and nothing an analyst page has under them: no
heading left without its table, no design notice for a table that is not there, no second chart,
no table."""

from urllib.parse import parse_qsl

import pytest

from pts_explorer.config import ANALYSIS_PAGES

COHORT = {"site": ["common_iliac", "femoral"]}
WORDS = {"caption", "warning", "info"}  # element types of words on what the slide shows


FRAME = {"presenter_keys"}  # the frame's own, under every slide: the hidden links the clicker's keys follow


def _leaves(node):
    """The page's elements in the order drawn (containers opened), the frame's own left out."""
    for child in getattr(node, "children", {}).values():
        if getattr(child, "key", None) in FRAME:
            continue
        if getattr(child, "children", None):
            yield from _leaves(child)
        else:
            yield child


def _under_key_chart(at, key_chart: str) -> list[tuple[str, str]]:
    """What the slide draws after its key chart: (element type, its text) in order, the key numbers'
    line and the chart's hidden text alternative left out."""
    elements = list(_leaves(at.main))
    charts = [i for i, e in enumerate(elements) if e.type == "plotly_chart"]
    assert charts, "no chart on the slide"
    spec_key = [i for i in charts if key_chart in str(elements[i].proto.id)]
    assert spec_key, f"the key chart {key_chart} is not on the slide"
    after = []
    for element in elements[spec_key[0] + 1 :]:
        text = str(getattr(element, "value", "") or "")
        if element.type == "markdown" and text.startswith('<p class="sr-only">'):
            continue  # the chart's text alternative, for screen readers
        after.append((element.type, text))
    return after


def _numbers(at) -> list[str]:
    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None) == "presenter_numbers":
                return child
            if (found := find(child)) is not None:
                return found
        return None

    box = find(at.main)
    return [] if box is None else [c.value for c in box.children.values()]


@pytest.mark.parametrize("spec", ANALYSIS_PAGES, ids=[p.name for p in ANALYSIS_PAGES])
def test_a_slide_ends_with_its_key_chart_and_key_numbers(app_on, demo_db, spec):
    at = app_on(demo_db, {**COHORT, "present": "1", **dict(parse_qsl(spec.example))}).run()
    at.switch_page(spec.script).run()
    assert not at.exception, at.exception
    numbers = _numbers(at)
    assert len(numbers) == 1, (spec.name, numbers)  # the key numbers' one line
    after = [(kind, text) for kind, text in _under_key_chart(at, spec.key_chart) if text not in numbers]
    # words that qualify the chart or its numbers (a caption, a caution) may stay; nothing else
    assert [(kind, text) for kind, text in after if kind not in WORDS] == [], spec.name


def test_a_compare_slide_of_four_cohorts_ends_with_its_key_numbers(app_on, demo_db):
    """Compare with cohorts C and D: the page's other path (estimates side by side) ends alike."""
    spec = next(p for p in ANALYSIS_PAGES if p.name == "compare")
    four = {"a": "sub:high_grade_civ_cfv", "b": "sub:high_grade_other", "c": "sub:below_70", "d": "sub:open_ulcer"}
    at = app_on(demo_db, {**four, "present": "1"}).run()
    at.switch_page(spec.script).run()
    assert not at.exception, at.exception
    numbers = _numbers(at)
    assert len(numbers) == 1, numbers
    after = [(kind, text) for kind, text in _under_key_chart(at, spec.key_chart) if text not in numbers]
    assert [(kind, text) for kind, text in after if kind not in WORDS] == []
