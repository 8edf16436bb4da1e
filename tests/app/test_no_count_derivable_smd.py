"""Small cells (fourth review of issue 28): a statistic is an equation on the counts it is computed from, and the
regions of several cohorts' Venn partition are counts too.

1. Table 1's SMD of a category, with the arms' sizes shown, is a function of its cells: an SMD of 0.30 over arms
   of 16 and 15 could only be 4 and 2 (or 12 and 13), which with the drawer's Right (6) gave the hidden limb-side
   cells back. No SMD is shown for a row with a hidden cell: Overview, Compare's Table 1 (two and several
   cohorts) and the Target trial's balance table.
2. Compare with three cohorts, each its own patients: A 240, A∩B 34, A∩C 39 and "A only 170" gave the 3 patients
   in all three (170 − 240 + 34 + 39). No region of the partition of 1..k−1 patients is a linear combination of
   the numbers the page and its sidebar show (the rank test of test_no_count_derivable.py, every count recounted
   here with pandas)."""

import re

import numpy as np
import pandas as pd
import pytest

from pts_explorer import display
from pts_explorer.analytics import propensity as P
from pts_explorer.display import propensity as shown_ps
from pts_explorer.filters import CohortFilter
from pts_explorer.privacy import Protection
from tests.app.test_compare_page import _compare_page, raw  # noqa: F401 (raw: a fixture)
from tests.app.test_no_count_derivable import COLUMNS, COUNTED, LABELS, K, _keeps, _number
from tests.unit.test_trajectory_recompute import _pandas_cohort

SHIELD = Protection(K)


@pytest.fixture
def protected(monkeypatch):
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", str(K))


def _table_one(at) -> pd.DataFrame:
    return next(t.value for t in at.dataframe if "SMD" in t.value.columns and t.value.columns[0] == "Characteristic")


def _rows_with_hidden_cells(table: pd.DataFrame, smd_column: str) -> dict[str, tuple[bool, str]]:
    """Per categorical row: whether one of its level cells reads hidden, and its SMD as shown."""
    out, header = {}, None
    cells = [c for c in table.columns if c not in ("Characteristic", smd_column)]
    for _, r in table.iterrows():
        name = str(r["Characteristic"])
        if name.endswith(", n (%)"):
            header = name
            out[header] = (False, str(r[smd_column]))
        elif name.startswith("    ") and header is not None:
            if any(str(r[c]) == "hidden" for c in cells):
                out[header] = (True, out[header][1])
        else:
            header = None
    return out


def test_the_reviewers_table_one_hides_the_smd_of_a_row_with_hidden_cells(app_on, demo_db, protected):
    # /overview?study=TRIAL&site=femoral&ulcer=no&limb=left&limb=right: Limb side's four cells hidden, SMD 0.30.
    at = app_on(demo_db, {"study": ["TRIAL"], "site": ["femoral"], "ulcer": "no", "limb": ["left", "right"]})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    table = _table_one(at)
    assert list(table.columns) == ["Characteristic", "Stent (n = 16)", "Medical (n = 15)", "SMD"]
    rows = _rows_with_hidden_cells(table, "SMD")
    assert rows["Limb side, n (%)"] == (True, "hidden")
    assert rows["Stenosis grade, n (%)"] == (True, "hidden")  # 0.21 narrowed 50-69% to 4 pairs
    assert rows["Sex, n (%)"] == (False, "0.06")  # every cell shown: the SMD stays
    caption = next(c.value for c in at.caption if c.value.startswith("Continuous: mean (SD)"))
    assert caption == (
        "Continuous: mean (SD); categorical: n (% of arm). SMD: standardized mean difference, stent vs medical "
        "(Yang & Dalton; multi-level for categories); ▲ |SMD| above 0.1, a common flag for imbalance; – not "
        "computable (fewer than 2 patients in an arm). A category's SMD reads hidden where one of its cells is: "
        "with the arms' sizes it would give the cells back."
    )


@pytest.mark.parametrize(
    "query",
    [
        {"center": ["RC05"], "ceap": ["C4b"]},
        {"center": ["TC08"]},
        {"study": ["TRIAL"], "site": ["femoral"]},
        {"center": ["RC11"], "sex": ["female"]},
        {"grade": ["<50%"], "band": ["mild"]},
    ],
)
def test_no_overview_smd_beside_a_hidden_cell(app_on, demo_db, protected, query):
    at = app_on(demo_db, query)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    rows = _rows_with_hidden_cells(_table_one(at), "SMD")
    assert [name for name, (hidden, smd) in rows.items() if hidden and smd not in ("hidden", "–")] == []
    assert any(hidden for hidden, _ in rows.values())  # the cohort has hidden cells


def test_compares_table_one_hides_a_cells_complement_and_the_smd_with_it():
    # Two cohorts: B's sex is 3 women and 40 men. Before, 3 read hidden, 40 and B's size 43 stayed (43 - 40 = 3),
    # and the SMD 1.57 stood beside it.
    pair = pd.DataFrame(
        [
            {"variable": "sex", "level": None, "smd": 1.57},
            {"variable": "sex", "level": "female", "n_a": 50, "share_a": 0.5, "n_b": 3, "share_b": 3 / 43},
            {"variable": "sex", "level": "male", "n_a": 50, "share_a": 0.5, "n_b": 40, "share_b": 40 / 43},
        ]
    )
    table = display.pair_table(pair, SHIELD)
    assert table.values.tolist() == [
        ["Sex, n (%)", "", "", "hidden"],
        ["    Female", "50 (50%)", "hidden", ""],
        ["    Male", "50 (50%)", "hidden", ""],
    ]
    several = pair.rename(columns={"n_a": "n_A", "share_a": "share_A", "n_b": "n_B", "share_b": "share_B"})
    several = several.assign(n_C=[np.nan, 10, 10], share_C=[np.nan, 0.5, 0.5])
    table = display.several_table(several, SHIELD, {"A": "A", "B": "B", "C": "C"})
    assert table.values.tolist() == [
        ["Sex, n (%)", "", "", "", "hidden"],
        ["    Female", "50 (50%)", "hidden", "10 (50%)", ""],
        ["    Male", "50 (50%)", "hidden", "10 (50%)", ""],
    ]


def test_the_target_trials_balance_hides_a_categorys_smd_over_small_cells():
    # 40 stent and 40 medical patients; 3 medical women: the SMD before (with the arms' 40 and 40) gives 3 back.
    data = pd.DataFrame(
        {
            "stent": [True] * 40 + [False] * 40,
            "sex": ["female"] * 20 + ["male"] * 20 + ["female"] * 3 + ["male"] * 37,
            "age_years": np.linspace(30, 70, 80),
        }
    )
    score = P.Score(data=data, covariates=("sex", "age_years"), terms=(), left_out=0)
    ones = np.ones(80)
    balance = pd.DataFrame(
        [
            {"covariate": "sex", "label": "Sex", "in_score": True, "smd_before": 1.0, "smd_after": 0.0},
            {"covariate": "age_years", "label": "Age", "in_score": True, "smd_before": 0.5, "smd_after": 0.0},
        ]
    )
    for matching, after in ((False, "0.000"), (True, "hidden")):
        hidden = P.small_cell_smds(score, ones, K, matching)
        table = shown_ps.balance_table(shown_ps.hide_small_smds(balance, hidden), "after")
        assert table.values.tolist() == [["Sex", "yes", "hidden", after], ["Age", "yes", "0.500 ▲", "0.000"]]
    hidden = P.small_cell_smds(score, ones, 0, True)  # protection off
    assert hidden[["before", "after"]].values.tolist() == [[False, False], [False, False]]


# --- Several cohorts: the Venn partition -------------------------------------------------------------------

SUBGROUPS = {"sub:femoral_only": CohortFilter(site=("femoral",)), "sub:open_ulcer": CohortFilter(ulcer="yes")}
ULCER_LABEL = re.compile(r"^(?P<name>With ulcer|Without) \((?P<count>[\d,]+|hidden)\)$")


def _given_away(facts: list[tuple[np.ndarray, int | None]], targets: list[np.ndarray]) -> list[int]:
    matrix = np.array([m for m, _ in facts] + targets, dtype=float)
    cells = np.unique(matrix, axis=1)
    shown = cells[[i for i, (_, v) in enumerate(facts) if v is not None]]
    rank = np.linalg.matrix_rank(shown)
    away = []
    for j, target in enumerate(cells[len(facts) :]):
        n = int(targets[j].sum())
        if 0 < n < K and np.linalg.matrix_rank(np.vstack([shown, target])) == rank:
            away.append(n)
    return away


@pytest.mark.parametrize(
    ("sidebar", "others"),
    [
        ({"study": ["TRIAL"]}, {"b": "sub:femoral_only", "c": "sub:open_ulcer"}),  # the reviewer's
        ({"study": ["TRIAL"], "compare_arm": "stent"}, {"b": "sub:femoral_only", "c": "sub:open_ulcer"}),
        ({"sex": ["female"], "center": ["RC05"]}, {"b": "sub:femoral_only", "c": "sub:open_ulcer"}),
    ],
)
def test_no_region_of_several_cohorts_follows_from_the_page_and_its_sidebar(
    app_on,
    demo_db,
    raw,  # noqa: F811
    protected,
    sidebar,
    others,
):
    query = {**sidebar, "a": "current", **others, "shared": "apart"}
    at = _compare_page(app_on, demo_db, query)
    people = raw[0].reset_index(drop=True)
    arm_choice = sidebar.get("compare_arm", "both")
    in_arms = people.arm.isin(["stent", "medical"] if arm_choice == "both" else [arm_choice])
    filters = {k: v for k, v in sidebar.items() if k in COLUMNS}
    members = {"A": _keeps(people, filters) & in_arms}
    for side, ref in others.items():
        chosen = _pandas_cohort(people, SUBGROUPS[ref])
        members[side.upper()] = people.index.isin(chosen.index) & in_arms
    members = {k: np.asarray(v, dtype=bool) for k, v in members.items()}
    names = list(members)
    facts: list[tuple[np.ndarray, int | None]] = []
    sizes = dict((m.label, m.value) for m in at.metric)
    for n in names:
        facts.append((members[n], _number(sizes[f"Cohort {n}"])))
    matrix = next(d.value for d in at.dataframe if "Patients in both" in d.value.columns)
    for x in names:
        for y in names:
            cell = matrix.loc[matrix["Patients in both"] == f"Cohort {x}", f"Cohort {y}"].item()
            facts.append((members[x] & members[y], _number(str(cell))))
    [caption] = [c.value for c in at.caption if "each cohort's own patients (" in c.value]
    for n in names:
        m = re.search(rf"\*\*{n} only\*\* (?P<count>[\d,]+|hidden)", caption)
        alone = members[n] & ~np.logical_or.reduce([members[o] for o in names if o != n])
        facts.append((alone, _number(m["count"])))
    for arm in ("stent", "medical"):  # the sidebar's metrics: cohort A per arm
        if arm.capitalize() in sizes:
            facts.append((np.asarray(_keeps(people, filters) & (people.arm == arm)), _number(sizes[arm.capitalize()])))
    for box in at.multiselect:  # the sidebar's option counts, each over the patients its other filters keep
        if box.key not in COLUMNS:
            continue
        kept = _keeps(people, filters, leave_out=box.key)
        labels = {v: k for k, v in LABELS.get(box.key, {}).items()}
        for label in box.options:
            m = COUNTED.match(label)
            value = labels.get(m["name"], m["name"].split(" · ")[0])
            facts.append((np.asarray(kept & (people[COLUMNS[box.key]] == value)), _number(m["count"])))
    ulcer = at.get("button_group")
    for widget in ulcer:
        for option in widget.proto.options:
            m = ULCER_LABEL.match(option.content)
            if m:
                value = m["name"] == "With ulcer"
                facts.append(
                    (np.asarray(_keeps(people, filters) & (people.baseline_ulcer == value)), _number(m["count"]))
                )
    for mask, value in facts:  # every number shown is the independent count
        if value is not None:
            assert value == int(mask.sum()), (query, value, int(mask.sum()))
    signature = np.stack([members[n] for n in names], axis=1)
    targets = []
    for key in {tuple(s) for s in signature[signature.any(axis=1)]}:
        region = (signature == np.array(key)).all(axis=1)
        targets.append(region)
        targets += [region & (people.arm == arm).to_numpy() for arm in ("stent", "medical")]
    triple = int(np.logical_and.reduce([members[n] for n in names]).sum())
    if query == {**sidebar, "a": "current", **others, "shared": "apart"} and sidebar == {"study": ["TRIAL"]}:
        assert triple == 3  # the reviewer's 3 TRIAL femoral patients with an open ulcer
    assert _given_away(facts, targets) == []


def test_venn_hidden_hides_the_pairs_first():
    # Three cohorts none of which is the sidebar's: hiding the three pairs is enough; no side is hidden.
    regions = pd.DataFrame(
        [
            {"region": r, "arm": "stent", "patients": n}
            for r, n in {("A",): 170, ("B",): 276, ("C",): 266, ("A", "B"): 31, ("A", "C"): 36, ("B", "C"): 44}.items()
        ]
        + [{"region": ("A", "B", "C"), "arm": "stent", "patients": 3}]
    )
    hidden = display.venn_hidden(regions, SHIELD, apart=True)
    assert hidden == display.VennHidden(frozenset({frozenset("AB"), frozenset("AC"), frozenset("BC")}), frozenset())
    assert display.venn_hidden(regions, Protection(0), apart=True) == display.VennHidden()
    # A the sidebar's: its pairs are in the drawer (Femoral (34)), so A's own count hides, and B∩C.
    hidden = display.venn_hidden(regions, SHIELD, apart=True, by_arm_shown=["A"])
    assert hidden == display.VennHidden(frozenset({frozenset("BC")}), frozenset({"A"}))


def test_the_one_option_chosen_shows_the_cohorts_count(app_on, demo_db, protected):
    # Fourth review of issue 28, finding 7: /overview?study=TRIAL&site=femoral&ulcer=no read "Without (hidden)"
    # (the complement of With ulcer's 3), while the cohort's 31, the same patients, stood above it.
    at = app_on(demo_db, {"study": ["TRIAL"], "site": ["femoral"], "ulcer": "no"})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    [ulcer] = [w for w in at.get("button_group") if "Without" in " ".join(o.content for o in w.proto.options)]
    assert [o.content for o in ulcer.proto.options] == ["With ulcer (hidden)", "Without (31)"]
    [line] = [m.value for m in at.sidebar.markdown if m.value.endswith(" patients") and " of " in m.value]
    assert line == "**31** of 2,640 patients"
    assert at.multiselect(key="site").options[-1] == "Femoral (31)"  # chosen alone: the cohort's count too
