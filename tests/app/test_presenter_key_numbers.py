"""On a slide the analyst tables become one line of key numbers under the key chart (issue 27,
item 6). Every number on the line is a whole cell of the page's own tables, read off the analyst
page with small cells hidden as the slide hides them: one source, no recomputation."""

import re
from urllib.parse import parse_qsl

import pytest

from pts_explorer.config import ANALYSIS_PAGES

COHORT = {"site": ["common_iliac", "femoral"]}  # a cohort with small cells (hidden on a slide)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _open(app_on, db, spec, query):
    at = app_on(db, {**query, **dict(parse_qsl(spec.example))})
    at.switch_page(spec.script).run()
    assert not at.exception, at.exception
    return at


def _key_line(at) -> str:
    """The Markdown of the key numbers' box, the one element in it (nothing when the box is empty)."""

    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None) == "presenter_numbers":
                return child
            if (found := find(child)) is not None:
                return found
        return None

    box = find(at.main)
    assert box is not None, "no key numbers box under the key chart"
    texts = [c.value for c in box.children.values()]
    assert len(texts) == 1, texts
    return texts[0]


def _values(line: str) -> list[str]:
    """The line's numbers as a reader sees them: its bold parts, Markdown escapes removed."""
    return [re.sub(r"\\(.)", r"\1", v) for v in _BOLD.findall(line)]


def _cells(at) -> set[str]:
    """Every cell of the page's tables: data grids, and wrapped tables (st.table), their Markdown escapes removed."""
    grids = {str(v) for frame in at.dataframe for v in frame.value.astype(str).to_numpy().ravel()}
    wrapped = {re.sub(r"\\(.)", r"\1", str(v)) for t in at.table for v in t.value.astype(str).to_numpy().ravel()}
    return grids | wrapped


@pytest.mark.parametrize("spec", ANALYSIS_PAGES, ids=[p.name for p in ANALYSIS_PAGES])
def test_a_slides_key_numbers_are_its_tables_cells(app_on, demo_db, monkeypatch, spec):
    slide = _open(app_on, demo_db, spec, {**COHORT, "present": "1"})
    assert not slide.dataframe  # the full tables stay off the slide
    values = _values(_key_line(slide))
    assert values, spec.name
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")  # the analyst page hides small cells as a slide does
    cells = _cells(_open(app_on, demo_db, spec, COHORT))
    assert [v for v in values if v not in cells] == [], spec.name


def test_effects_line_is_the_difference_at_the_analysis_visit(app_on, demo_db, monkeypatch):
    spec = next(p for p in ANALYSIS_PAGES if p.name == "effects")
    line = _key_line(_open(app_on, demo_db, spec, {"present": "1"}))
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    table = _open(app_on, demo_db, spec, {}).dataframe[0].value
    row = table[table["Visit (month)"] == 6].iloc[0]  # the default analysis visit
    assert _values(line) == [row["Difference, points"], row["95% CI"], row["p"]]
    assert re.sub(r"\\(.)", r"\1", line) == (
        f"{row['Study']}, month 6: difference **{row['Difference, points']}** · 95% CI **{row['95% CI']}** · "
        f"p **{row['p']}**"
    )


def test_durability_line_is_each_groups_estimates_at_1_2_5_and_10_years(app_on, demo_db, monkeypatch):
    spec = next(p for p in ANALYSIS_PAGES if p.name == "durability")
    query = {"endpoint": "ulcer_healing", "group": "arm"}
    line = _key_line(_open(app_on, demo_db, spec, {**query, "present": "1"}))
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    table = _open(app_on, demo_db, spec, query).dataframe[0].value
    years = ["1 year", "2 years", "5 years", "10 years"]
    assert len(table) == 2
    assert _values(line) == [table.iloc[i][y] for i in range(2) for y in years]
