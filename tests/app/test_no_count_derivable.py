"""Under small-cell protection no hidden count may be worked out by subtraction from the numbers on the same
screen (issue 28; second review, F1): not within one filter's options only, but across everything a presenter's
slide and its cohort drawer show at once: the slide's n per arm, its key numbers (Table 1's Female per arm on
Overview) and the count beside every option of every filter in the drawer (each counted over the patients the
other filters keep).

Each number is a count of a set of patients, so it is a sum of the counts of the cells the sets cut the
patients into; a hidden count is given away exactly when its cells' indicator is a linear combination of the
shown numbers' (the rank test below, over the cells of the demo data's patients, recounted here with pandas).
Random cohorts of one centre and a few other filters, where small cells abound."""

import json
import random
import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from pts_explorer import vocab
from pts_explorer.config import DUCKDB_CONFIG

K = 5  # presenter mode hides counts 1..K-1
COUNTED = re.compile(r"^(?P<name>.+) \((?P<count>[\d,]+|hidden)\)$")
LINE = re.compile(r" · n = (?P<stent>[\d,]+|hidden) stent, (?P<medical>[\d,]+|hidden) medical")
FEMALE = re.compile(r"Female: stent \*\*(?P<stent>[^*]+)\*\* · medical \*\*(?P<medical>[^*]+)\*\*")
COLUMNS = {  # filter key: the patients' column it restricts
    "study": "study_id",
    "arm": "arm",
    "site": "obstruction_site",
    "grade": "stenosis_grade",
    "band": "baseline_band",
    "sex": "sex",
    "center": "center_id",
    "limb": "limb_side",
    "ceap": "ceap_c",
}
LABELS = {  # an option's label in the drawer: the vocabulary's words, a study "<id> · <design>", a centre its id
    "arm": vocab.ARMS,
    "site": vocab.SITES,
    "grade": vocab.GRADES,
    "band": vocab.BANDS,
    "sex": vocab.SEXES,
    "limb": vocab.LIMB_SIDES,
    "ceap": vocab.CEAP_CLASSES,
}


@pytest.fixture(scope="module")
def people(demo_con) -> pd.DataFrame:
    return demo_con.execute(
        "SELECT p.*, v.pts_band AS baseline_band FROM patients p "
        "LEFT JOIN visits v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()


def _random_cohorts(people: pd.DataFrame, seed: int, n: int) -> list[dict[str, list[str]]]:
    rng = random.Random(seed)
    centres = sorted(people.center_id.unique())
    cohorts = []
    for _ in range(n):
        query = {"center": [rng.choice(centres)]}
        for key in rng.sample(["site", "grade", "band", "sex", "ceap", "limb", "study"], rng.randint(1, 3)):
            values = sorted(people[COLUMNS[key]].dropna().unique())
            query[key] = sorted(rng.sample(values, rng.randint(1, max(1, len(values) - 1))))
        cohorts.append(query)
    return cohorts


def _keeps(people: pd.DataFrame, query: dict[str, list[str]], leave_out: str | None = None) -> pd.Series:
    keep = pd.Series(True, index=people.index)
    for key, values in query.items():
        if key != leave_out:
            keep &= people[COLUMNS[key]].isin(values)
    return keep


def _female(at) -> list[re.Match]:
    """The key numbers' Female per arm, as a reader reads them (Markdown escapes removed)."""
    texts = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown]
    return [found for t in texts if (found := FEMALE.search(t))]


def _number(text: str) -> int | None:
    """A count as shown ("1,234", "5 (50.0%)"), or None where it reads hidden."""
    text = text.strip()
    if text in ("–", "—", "-"):  # Table 1's dash: no patient of the arm has the level
        return 0
    return None if text.startswith("hidden") else int(text.split(" ")[0].replace(",", ""))


def _screen(at, people: pd.DataFrame, query: dict[str, list[str]]) -> list[tuple[pd.Series, int | None]]:
    """Every count the slide and its drawer show: the set of patients it counts, and its value (None: hidden)."""
    cohort = _keeps(people, query)
    facts = []
    [line] = [m.value for m in at.markdown if m.value.startswith("**Overview** · ")]
    n = LINE.search(line)
    for arm in ("stent", "medical"):
        facts.append((cohort & (people.arm == arm), _number(n[arm])))
    for female in _female(at):  # none where the cohort holds no woman
        for arm in ("stent", "medical"):
            facts.append((cohort & (people.arm == arm) & (people.sex == "female"), _number(female[arm])))
    studies = (
        {
            f"{s} · {d}": s
            for s, d in people.groupby("study_id").first().reset_index()[["study_id", "design"]].itertuples(index=False)
        }
        if "design" in people
        else {}
    )
    for box in at.multiselect:
        if box.key not in COLUMNS:
            continue
        others = _keeps(people, query, leave_out=box.key)
        names = {v: k for k, v in LABELS.get(box.key, {}).items()} | studies
        for label in box.options:
            m = COUNTED.match(label)
            assert m, (box.key, label)
            value = names.get(m["name"], m["name"])
            facts.append((others & (people[COLUMNS[box.key]] == value), _number(m["count"])))
    return facts


def _given_away(facts: list[tuple[pd.Series, int | None]]) -> list[int]:
    """The hidden counts that the shown ones give away: a hidden count's indicator over the cells is in the
    span of the shown counts' indicators (rank unchanged when it is added)."""
    matrix = np.array([mask.to_numpy(dtype=float) for mask, _ in facts])
    cells = np.unique(matrix, axis=1)  # patients alike in every set: one cell
    shown = cells[[i for i, (_, v) in enumerate(facts) if v is not None]]
    rank = np.linalg.matrix_rank(shown)
    away = []
    for i, (mask, value) in enumerate(facts):
        small = value is None and 0 < int(mask.sum()) < K
        if small and np.linalg.matrix_rank(np.vstack([shown, cells[i]])) == rank:
            away.append(int(mask.sum()))
    return away


def _overview(app_on, db, query):
    at = app_on(db, {"present": "1", **query})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    return at


def test_the_reviewers_case_hides_female_stent_beside_the_drawers_sex_counts(app_on, demo_db, people):
    # /overview?center=RC05&ceap=C4b&present=1: Female stent 5, medical 2; the drawer says Female (7).
    query = {"center": ["RC05"], "ceap": ["C4b"]}
    cohort = people[_keeps(people, query)]
    female = cohort[cohort.sex == "female"]
    assert (int((female.arm == "stent").sum()), int((female.arm == "medical").sum())) == (5, 2)
    at = _overview(app_on, demo_db, query)
    assert at.multiselect(key="sex").options == ["Female (7)", "Male (6)"]
    [line] = _female(at)
    assert (line["stent"], line["medical"]) == ("hidden", "hidden")


def test_no_hidden_count_follows_from_the_slide_and_its_drawer_on_random_cohorts(app_on, demo_db, people):
    people = people.assign(design=people.study_id.map(dict(zip(*_designs(demo_db), strict=True))))
    leaks, hidden_seen = [], 0
    # The reviewer's cohort first (Female: stent 5 beside the drawer's Female (7) gave medical 2 away), then
    # random ones.
    for query in [{"center": ["RC05"], "ceap": ["C4b"]}, *_random_cohorts(people, seed=2028, n=16)]:
        at = _overview(app_on, demo_db, query)
        facts = _screen(at, people, query)
        hidden_seen += sum(1 for mask, v in facts if v is None and 0 < mask.sum() < K)
        for mask, value in facts:  # every shown count is the independent count
            if value is not None:
                assert value == int(mask.sum()), query
        if away := _given_away(facts):
            leaks.append((query, away))
    assert hidden_seen >= 20  # the cohorts do have small cells to protect
    assert leaks == []


def _designs(db) -> tuple[list[str], list[str]]:
    with duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG) as con:
        rows = con.execute("SELECT study_id, design FROM studies ORDER BY study_id").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


FUNNEL_ORDER = ["study", "arm", "site", "grade", "band", "sex", "center", "limb", "ceap"]  # the sidebar's order


def test_no_hidden_count_of_the_funnel_follows_from_its_other_rows_and_the_sidebar(
    app_on, demo_db, people, monkeypatch
):
    # Every page protected (PTS_PROTECT_SMALL_CELLS): the funnel, under the sidebar's "x of N patients".
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", str(K))
    leaks, hidden_seen = [], 0
    rng = random.Random(7)
    queries = []
    for _ in range(10):  # many filters, each removing few: small removed counts between large ones
        centre = rng.choice(sorted(people.center_id.unique()))
        kept = people[people.center_id == centre]
        query = {"center": [centre]}
        for key in rng.sample(["site", "grade", "band", "limb", "ceap", "sex"], 4):
            values = kept[COLUMNS[key]].value_counts()
            query[key] = sorted(values.index[: max(1, len(values) - 1)])  # all but the rarest value
            kept = kept[kept[COLUMNS[key]].isin(query[key])]
        queries.append(query)
    for query in queries:
        at = app_on(demo_db, query)
        at.switch_page("app_pages/overview.py").run()
        assert not at.exception, at.exception
        table = next(t.value for t in at.dataframe if list(t.value.columns) == ["Filter", "Patients left", "Removed"])
        steps = [k for k in FUNNEL_ORDER if k in query]
        # Each patient's part: the first step that removes them (0-based), or len(steps): in the cohort.
        part = pd.Series(len(steps), index=people.index)
        for i, key in reversed(list(enumerate(steps))):
            part[~people[COLUMNS[key]].isin(query[key]) & _keeps(people, {k: query[k] for k in steps[:i]})] = i
        facts = [(part >= 0, len(people)), (part == len(steps), None)]  # the sidebar's "x of N"
        [sidebar] = [m.value for m in at.markdown if m.value.endswith(" patients") and " of " in m.value]
        facts[1] = (part == len(steps), _number(sidebar.split(" of ")[0].strip("*")))
        for i, (left, removed) in enumerate(zip(table["Patients left"], table["Removed"], strict=True)):
            facts.append((part >= i, _number(str(left))))
            if i:
                facts.append((part == i - 1, _number(str(removed))))
        hidden_seen += sum(1 for mask, v in facts if v is None and 0 < mask.sum() < K)
        for mask, value in facts:
            if value is not None:
                assert value == int(mask.sum()), query
                assert not 0 < value < K, (query, table.values.tolist())  # no small count shown
        if away := _given_away(facts):
            leaks.append((query, away))
    assert hidden_seen >= 5
    assert leaks == []


def test_a_trajectory_hover_hides_an_arms_n_beside_a_hidden_one(app_on, demo_db, people):
    # Second review, F5: /trajectories?center=TC08&present=1 hid stent (2) and medical (10) in the line, but
    # the hover said "n = 10" for medical at month 0 and the drawer "TC08 (12)": 12 - 10 = 2.
    centre = people[people.center_id == "TC08"]
    assert (int((centre.arm == "stent").sum()), int((centre.arm == "medical").sum())) == (2, 10)
    at = app_on(demo_db, {"center": ["TC08"], "present": "1"})
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception, at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    at_zero = {
        trace["legendgroup"]: [n for month, n, *_ in trace["customdata"] if month == 0]
        for trace in figure["data"]
        if trace.get("customdata") and trace.get("legendgroup") in ("stent", "medical")
    }
    assert at_zero == {"stent": ["hidden"], "medical": ["hidden"]}


def test_the_reports_funnel_hides_a_small_removed_count_and_what_gives_it_away(app_on, demo_db, people):
    # Second review, F2: /overview?center=RC05&ceap=C4b&bvcss=12&bvcss=30, exported as a report: the funnel
    # read "Baseline VCSS: ≥ 12 points | 10 | 3" (RC05 87 -> C4b 13 -> VCSS 12+ 10: 3 removed).
    at = app_on(demo_db, {"center": ["RC05"], "ceap": ["C4b"], "bvcss": ["12", "30"]})
    at.switch_page("app_pages/overview.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    page = at.session_state["_export_page"]
    [funnel] = [t.frame for t in page.tables if t.key == "overview_funnel"]
    everyone = len(people)
    centre = people[people.center_id == "RC05"]
    ceap = centre[centre.ceap_c == "C4b"]
    assert (len(centre), len(ceap)) == (87, 13)
    assert funnel.values.tolist() == [
        ["All patients", f"{everyone:,}", ""],
        ["Centre: RC05", f"{len(centre):,}", f"{everyone - len(centre):,}"],
        ["CEAP clinical class: C4b", "hidden", "hidden"],  # either would give the 3 away with the rows around
        ["Baseline VCSS: ≥ 12 points", "10", "hidden"],  # 10: the cohort, beside the sidebar's count too
    ]


def _sidebar_counts(at) -> tuple[str, dict[str, tuple[str, str]]]:
    """The sidebar's cohort line ("**2,637** of 2,640 patients") and each arm's count and "of" total."""
    [line] = [m.value for m in at.sidebar.markdown if m.value.endswith(" patients") and " of " in m.value]
    arms = {m.label: (m.value, m.delta) for m in at.sidebar.metric}
    return line, arms


@pytest.mark.parametrize(
    "query",
    [
        {"bmi": ["12", "50"]},  # the demo's three stent patients above BMI 50 are all that is removed
        {"bvillalta": ["0", "26"]},  # three at 27 or 28
        {"stenosis": ["11", "100"]},  # two at 10%
    ],
)
def test_the_sidebars_totals_hide_when_the_filters_remove_one_to_k_minus_one(
    app_on, demo_db, people, monkeypatch, query
):
    # Issue 28, left by review 28b: "2,637 of 2,640 patients" said 3 patients were removed (BMI above 50),
    # a count of 1..k-1 that no page shows; so did each arm's "of 1,529". The totals hide; the cohort's count
    # (every page writes it) stays.
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", str(K))
    base = people
    [(key, (low, high))] = query.items()
    column = {"bmi": "bmi", "stenosis": "stenosis_pct"}.get(key)
    if column is None:  # the month-0 visit's Villalta total
        with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
            values = con.execute("SELECT patient_id, villalta_total FROM visits WHERE visit_month = 0").df()
        base = people.merge(values, on="patient_id", how="left")
        column = "villalta_total"
    # Inclusive whole units (the README: BMI 35.4 is above 35); no value: removed.
    keep = base[column].between(int(low), int(high))
    removed = base[~keep]
    assert 0 < len(removed) < K, len(removed)
    at = app_on(demo_db, query).run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    line, arms = _sidebar_counts(at)
    assert line == f"**{int(keep.sum()):,}** of hidden patients"
    for arm, label in (("stent", "Stent"), ("medical", "Medical")):
        assert arms[label] == (f"{int((keep & (base.arm == arm)).sum()):,}", "of hidden")
    # Nor does the funnel give the removed patients away: its first row (every patient) hides too.
    table = next(t.value for t in at.dataframe if list(t.value.columns) == ["Filter", "Patients left", "Removed"])
    assert table["Patients left"].tolist() == ["hidden", f"{int(keep.sum()):,}"]
    assert table["Removed"].tolist() == ["", "hidden"]


def test_the_sidebars_totals_stay_where_the_filters_remove_none_or_k_or_more(app_on, demo_db, people, monkeypatch):
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", str(K))
    for query, keep in (({}, people.arm.notna()), ({"sex": ["female"]}, people.sex == "female")):
        at = app_on(demo_db, query).run()
        at.switch_page("app_pages/overview.py").run()
        line, arms = _sidebar_counts(at)
        assert line == f"**{int(keep.sum()):,}** of {len(people):,} patients"
        for arm, label in (("stent", "Stent"), ("medical", "Medical")):
            of = int((people.arm == arm).sum())
            assert arms[label] == (f"{int((keep & (people.arm == arm)).sum()):,}", f"of {of:,}")
