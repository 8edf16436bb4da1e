"""With small-cell protection on (k = 5), no page shows a count from 1 to 4, and no hidden count can
be recovered by subtracting shown counts from a shown total."""

import json
import re

import pytest

from pts_explorer.config import DATA_PAGES
from tests.app.test_pages import _texts

K = 5
COHORTS = {
    "trial IVC (4 stent, 6 medical)": {"study": ["TRIAL"], "site": ["ivc"]},
    "IVC occlusion": {"site": ["ivc"], "grade": ["occlusion"], "registry": ["True"]},
    "men with external iliac obstruction": {"site": ["external_iliac"], "sex": ["male"], "registry": ["True"]},
}
COUNT_HEADER = re.compile(r"^n\b|\(n = |patients|responders|^Rows$|events", re.IGNORECASE)
NUMBER = r"(\d[\d,]*)"


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def counts_in(cell: object) -> list[int]:
    """The counts a table cell shows: '12', '12 of 40 · ...', '12 (30%)', '3 · 1.20 (...)', '3/40'."""
    text = str(cell).strip()
    for pattern in (
        rf"^{NUMBER}$",
        rf"^{NUMBER} of {NUMBER}",
        rf"^{NUMBER} \(\d+%\)$",
        rf"^{NUMBER} ·",
        rf"^{NUMBER}/{NUMBER}$",
    ):
        if m := re.match(pattern, text):
            return [_int(g) for g in m.groups()]
    return []


def shown_counts(at) -> list[tuple[str, int]]:
    """Every count on the page: metrics, count columns of tables, and counts written in charts."""
    found = []
    for metric in (m for m in at.metric if m.label != "Studies"):  # a number of studies counts no patient
        found += [(f"metric {metric.label}", n) for n in counts_in(metric.value)]
    for frame in (df.value for df in at.dataframe):
        for column in frame.columns:
            found += [(f"header {column}", _int(n)) for n in re.findall(rf"\(n = {NUMBER}\)", str(column))]
            if COUNT_HEADER.search(str(column)) or str(column).startswith(("Stent", "Medical")):
                found += [(f"column {column}", n) for cell in frame[column] for n in counts_in(cell)]
    for element in at.get("plotly_chart"):
        figure = json.loads(element.proto.spec)
        for trace in figure["data"]:
            texts = trace.get("text") or []
            flat = [t for row in texts for t in (row if isinstance(row, list) else [row])]
            if trace.get("mode") == "text" or trace.get("type") == "bar":  # numbers at risk, bar labels
                found += [("chart text", n) for t in flat for n in counts_in(t)]
            found += [("heatmap count", _int(n)) for t in flat for n in re.findall(rf"\({NUMBER}\)", str(t))]
            for label in trace.get("y") or []:  # forest plot rows: "(n 12/40)"
                found += [
                    ("forest label", _int(n))
                    for pair in re.findall(r"\(n ([\d,]+)/([\d,]+)\)", str(label))
                    for n in pair
                ]
    text = _texts(at)
    found += [("sidebar", _int(n)) for n in re.findall(rf"\*\*{NUMBER}\*\* of", text)]
    found += [("text n =", _int(n)) for n in re.findall(rf"\bn = {NUMBER}", text)]  # notices, captions
    found += [("text x of n", _int(n)) for pair in re.findall(rf"\b{NUMBER} of {NUMBER} patients", text) for n in pair]
    return found


@pytest.fixture
def protected(monkeypatch):
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", str(K))


@pytest.mark.parametrize("cohort", list(COHORTS))
@pytest.mark.parametrize("page", [p.name for p in DATA_PAGES])
def test_no_page_shows_a_count_below_k(app_on, demo_db, protected, page, cohort):
    at = app_on(demo_db, COHORTS[cohort])
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    small = [(where, n) for where, n in shown_counts(at) if 0 < n < K]
    assert not small, small
    assert "Small cells hidden" in _texts(at) and f"from 1 to {K - 1}" in _texts(at)


def _hidden(cell: object) -> bool:
    return "hidden" in str(cell)


@pytest.mark.parametrize("cohort", list(COHORTS))
def test_no_hidden_count_is_recoverable_by_subtraction(app_on, demo_db, protected, cohort):
    at = app_on(demo_db, COHORTS[cohort])
    at.switch_page("app_pages/overview.py").run()
    # The sidebar and the metrics: two arms adding up to the cohort.
    arms = {m.label: m.value for m in at.metric if m.label in ("Stent", "Medical")}
    assert sum(_hidden(v) for v in arms.values()) != 1, arms
    # Table 1: within each characteristic the levels of an arm add up to the arm's n (header).
    table = at.dataframe[0].value
    arm_columns = [c for c in table.columns if str(c).startswith(("Stent", "Medical"))]
    variable, levels = None, {}
    blocks: list[tuple[str, dict]] = []
    for row in table.itertuples(index=False):
        name = row[0]
        if not name.startswith("    "):
            variable, levels = name, {c: [] for c in arm_columns}
            blocks.append((variable, levels))
            continue
        for column in arm_columns:
            levels[column].append(table.loc[table.iloc[:, 0] == name, column].iloc[0])
    for variable, by_arm in blocks:
        for column, cells in by_arm.items():
            if not cells:
                continue
            hidden = sum(_hidden(c) for c in cells)
            if _hidden(column):  # the arm's n is hidden: the shown levels must not add up to it
                assert hidden >= 1 or all(counts_in(c) == [0] for c in cells), (variable, column, cells)
            else:
                others = [c for c in cells if not _hidden(c)]
                assert hidden != 1 or all(counts_in(c) == [0] for c in others), (variable, column, cells)
    # Subgroups: within each factor, the levels of an arm add up to the arm.
    at.switch_page("app_pages/subgroups.py").run()
    frames = [df.value for df in at.dataframe if "Subgroup" in df.value.columns]
    for frame in frames:
        for column in ("n stent", "n medical"):
            for factor, rows in frame.groupby("Factor"):
                cells = list(rows[column])
                lone = sum(_hidden(c) for c in cells) == 1 and any(counts_in(c) != [0] for c in cells if not _hidden(c))
                assert not lone, (factor, column, cells)


def test_the_detector_sees_small_counts_when_protection_is_off(app_on, demo_db, monkeypatch):
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "0")
    for page in ("overview", "subgroups", "safety"):
        at = app_on(demo_db, COHORTS["trial IVC (4 stent, 6 medical)"])
        at.switch_page(f"app_pages/{page}.py").run()
        assert [n for _, n in shown_counts(at) if 0 < n < K], page
        assert "Small cells hidden" not in _texts(at)
