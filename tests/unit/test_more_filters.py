""" "More filters" (issue 28, item 2): any patient attribute as a set or a range, in the URL, saved
cohorts, words and SQL. Counts are recounted with pandas from the contract tables, on a copy of a
generated file where a data manager left some BMIs and lesion lengths blank."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from pts_explorer import db, vocab
from pts_explorer.filters import NOBODY, CohortFilter, more_active
from pts_explorer.settings import COHORT_KEYS, SETTINGS
from pts_explorer.workspace import Workspace


@pytest.fixture(scope="module")
def blanks_db(small_db, tmp_path_factory):
    """The small generated file with every seventh patient's BMI and every fifth lesion length blank."""
    path = tmp_path_factory.mktemp("more") / "blanks.duckdb"
    shutil.copy(small_db, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE patients SET bmi = NULL WHERE hash(patient_id) % 7 = 0")
    con.execute("UPDATE patients SET lesion_length_mm = NULL WHERE hash(patient_id) % 5 = 0")
    con.close()
    return path


@pytest.fixture(scope="module")
def people(blanks_db) -> pd.DataFrame:
    con = duckdb.connect(str(blanks_db), read_only=True)
    table = con.execute(
        "SELECT p.*, v.villalta_total AS base_villalta, v.vcss AS base_vcss "
        "FROM patients AS p LEFT JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()
    con.close()
    return table


def _count(people: pd.DataFrame, link: dict[str, list[str]]) -> dict[str, int]:
    """The patients a link keeps, per arm, by hand from its raw strings (a range inclusive, blanks out)."""
    keep = pd.Series(True, index=people.index)
    columns = {"center": "center_id", "limb": "limb_side", "ceap": "ceap_c", "sex": "sex", "site": "obstruction_site"}
    columns |= {"stenosis": "stenosis_pct", "length": "lesion_length_mm", "dvt": "months_since_dvt", "bmi": "bmi"}
    columns |= {"bvillalta": "base_villalta", "bvcss": "base_vcss"}
    derived = {  # a range over a value the patients table holds in other units
        "enrolled": pd.to_datetime(people.enrolled_on).dt.year,  # the calendar year
        "followup": people.last_contact_day / (365.25 / 12),  # months of 30.4375 days: 12.5 is above 12
    }
    for key, raw in link.items():
        column = derived[key] if key in derived else people[columns[key]]
        if key in ("center", "limb", "ceap", "sex", "site"):
            keep &= column.isin(raw)
        else:
            low, high = sorted(int(v) for v in raw)
            keep &= column.notna() & (column >= low) & (column <= high)
    kept = people[keep]
    return {arm: int((kept.arm == arm).sum()) for arm in ("stent", "medical")}


def _cohort(link: dict[str, list[str]]) -> CohortFilter:
    parsed = {key: SETTINGS[key].parse(raw) for key, raw in link.items()}
    return CohortFilter.from_mapping(parsed, [])


LINKS = [
    {"bmi": ["25", "30"]},
    {"length": ["40", "120"], "limb": ["left"]},
    {"bvillalta": ["10", "33"], "bvcss": ["8", "30"]},
    {"ceap": ["C4a", "C4b", "C6"], "dvt": ["3", "24"], "sex": ["female"]},
    {"stenosis": ["70", "100"], "site": ["common_iliac", "common_femoral"], "bmi": ["18", "35"]},
    {"enrolled": ["2016", "2018"], "followup": ["24", "600"]},
    {"followup": ["0", "12"], "limb": ["right"]},  # the patients followed up to a year
]


@pytest.mark.parametrize("link", LINKS)
def test_the_cohort_a_link_keeps_equals_a_count_by_hand(blanks_db, people, link):
    con = db.open_read_only(blanks_db)
    try:
        chosen = _cohort(link)
        counts = db.run_query(con, "cohort_counts", chosen.as_params(), fast=True).set_index("arm").matching
        funnel = db.run_query(con, "cohort_funnel", chosen.funnel_params(), fast=True)
    finally:
        con.close()
    expected = _count(people, link)
    assert {arm: int(counts[arm]) for arm in expected} == expected
    assert int(funnel.patients.iloc[-1]) == sum(expected.values())


def test_random_cohorts_with_more_filters_count_as_by_hand(blanks_db, people):
    rng = np.random.default_rng(28)
    centres = sorted(people.center_id.unique())
    con = db.open_read_only(blanks_db)
    try:
        for _ in range(12):
            link: dict[str, list[str]] = {}
            if rng.random() < 0.5:
                link["center"] = list(rng.choice(centres, size=3, replace=False))
            if rng.random() < 0.5:
                link["ceap"] = list(rng.choice(list(vocab.CEAP_CLASSES), size=2, replace=False))
            ranges = {"bmi": (18, 45), "length": (30, 200), "bvillalta": (0, 25), "followup": (0, 130)}
            for key, (low, high) in ranges.items():
                if rng.random() < 0.5:
                    link[key] = [str(v) for v in sorted(rng.integers(low, high, size=2))]
            counts = db.run_query(con, "cohort_counts", _cohort(link).as_params(), fast=True)
            assert dict(zip(counts.arm, counts.matching, strict=True)) == _count(people, link), link
    finally:
        con.close()


def test_the_options_of_a_set_count_with_that_set_lifted(blanks_db, people):
    link = {"limb": ["left"], "ceap": ["C5"], "bmi": ["20", "40"]}
    con = db.open_read_only(blanks_db)
    try:
        found = db.run_query(con, "more_option_counts", _cohort(link).more_option_params())
    finally:
        con.close()
    limbs = found[found.field == "limb"]
    others = {"ceap": ["C5"], "bmi": ["20", "40"]}
    expected = {side: sum(_count(people, others | {"limb": [side]}).values()) for side in ("left", "right")}
    assert dict(zip(limbs.value, limbs.patients, strict=True)) == {k: v for k, v in expected.items() if v}


def test_a_restricting_more_filter_never_runs_from_the_cells():
    """The cells carry no centre, BMI or baseline VCSS: a statement they restrict runs from the patients."""
    assert not more_active(CohortFilter().as_params())
    assert more_active(CohortFilter(more=(("bmi", (20, 30)),)).as_params())
    prefixed = {f"b_{k}": v for k, v in CohortFilter(more=(("center", ("C1",)),)).as_params().items()}
    assert more_active(prefixed)


def test_urls_words_and_intersections():
    chosen = _cohort({"bmi": ["35", "30"], "center": ["C07", "C02"], "limb": ["up", "left"], "dvt": ["x", "2"]})
    assert chosen.more == (("center", ("C07", "C02")), ("limb", ("left",)), ("bmi", (30, 35)))
    assert chosen.describe() == "Centre C07, C02; Limb side Left; BMI 30-35 kg/m²"
    assert SETTINGS["bvcss"].parse(["-5", "12"]) == (0, 12)  # clipped to the score's bounds
    # Clipped to every value the filter takes, it restricts nothing (not a chip "0-30 points"): second review.
    assert SETTINGS["bvcss"].parse(["-5", "99"]) is None
    other = CohortFilter(more=(("bmi", (33, 40)), ("ceap", ("C3",))))
    both = chosen.intersect(other)
    assert both.more == (("center", ("C07", "C02")), ("limb", ("left",)), ("ceap", ("C3",)), ("bmi", (33, 35)))
    assert chosen.intersect(CohortFilter(more=(("bmi", (36, 40)),))) == NOBODY
    assert chosen.intersect(CohortFilter(more=(("limb", ("right",)),))) == NOBODY


def test_a_saved_cohort_keeps_its_more_filters(tmp_path):
    space = Workspace(tmp_path / "ws.sqlite")
    link = {"bvillalta": ["10", "33"], "center": ["RC01"], "limb": ["left"], "site": ["femoral"]}
    saved = space.save("Villalta 10+, RC01", link, "demo", "fp", {"stent": 3, "medical": 2})
    assert saved.query == link
    parsed = SETTINGS.parse_all(saved.query)
    assert CohortFilter.from_mapping({k: parsed.get(k) for k in COHORT_KEYS}, []) == _cohort(link)


def test_a_ranges_histogram_bins_whole_units_and_hides_small_bars():
    from pts_explorer.display import more_distribution
    from pts_explorer.privacy import Protection

    values = pd.DataFrame({"value": [0, 1, 2, 3, 10, 11, 30, 31, 32, 33], "patients": [5, 1, 7, 2, 3, 9, 4, 4, 20, 1]})
    bins = more_distribution(values, 0, 33, (10, 20), Protection(k=5))
    # 34 whole units in bins of 2 (at most 24 bars): 0-1, 2-3, ..., 32-33
    assert bins.start.tolist() == list(range(0, 34, 2)) and bins.end.tolist() == list(range(1, 34, 2))
    by_start = dict(zip(bins.start, bins.patients, strict=True))
    assert (by_start[0], by_start[2], by_start[10], by_start[30], by_start[32]) == (6, 9, 12, 8, 21)
    assert bins.hidden.sum() == 0
    assert bins[bins.chosen].start.tolist() == [10, 12, 14, 16, 18, 20]
    sparse = more_distribution(values, 0, 11, None, Protection(k=5))  # bins of 1: the counts 1, 2, 3 are small
    assert sparse.patients.tolist() == [5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 9]
    assert sparse.hidden.tolist() == [False, True, False, True, False, False, False, False, False, False, True, False]
    assert sparse.chosen.all()


def test_the_distribution_counts_each_value_once_and_the_blanks_apart(blanks_db, people):
    con = db.open_read_only(blanks_db)
    try:
        spread = db.run_query(con, "more_filter_distribution", {})
    finally:
        con.close()
    for key, column in (("bmi", "bmi"), ("length", "lesion_length_mm"), ("bvcss", "base_vcss")):
        rows = spread[spread.field == key]
        values = people[column].dropna().astype(float)
        by_unit = values.groupby(np.floor(values).astype(int)).size()
        shown = rows[rows.value.notna()]
        assert dict(zip(shown.value.astype(int), shown.patients, strict=True)) == by_unit.to_dict()
        assert int(rows.patients[rows.value.isna()].sum()) == int(people[column].isna().sum())
        assert float(shown.top.max()) == values.max()


def test_no_hidden_bar_of_a_histogram_follows_from_the_others_the_blanks_and_every_patient():
    """The bins and the patients without a value add up to every patient, a total the sidebar shows: a bar
    hidden alone would be that total less the others. On random spreads, no hidden bar (nor the count of
    patients without a value) is a linear combination of the shown counts and the total (rank test)."""
    from pts_explorer.display import more_distribution
    from pts_explorer.privacy import Protection

    rng = np.random.default_rng(28)
    checked = 0
    for _ in range(300):
        units = rng.integers(3, 30)
        patients = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 20], size=units)
        missing = int(rng.choice([0, 0, 1, 3, 7]))
        values = pd.DataFrame({"value": np.arange(units), "patients": patients})
        bins = more_distribution(values, 0, units - 1, None, Protection(k=5), missing)
        counts = [int(patients[s : e + 1].sum()) for s, e in zip(bins.start, bins.end, strict=True)] + [missing]
        hidden = [*bins.hidden.tolist(), bool(bins.attrs.get("missing_hidden", 0 < missing < 5))]
        assert [0 if h else c for c, h in zip(counts, hidden, strict=True)][:-1] == bins.patients.tolist()
        assert all(h for c, h in zip(counts, hidden, strict=True) if 0 < c < 5)
        parts = np.eye(len(counts))
        shown = np.vstack([parts[[i for i, h in enumerate(hidden) if not h]], np.ones(len(counts))])  # + the total
        rank = np.linalg.matrix_rank(shown)
        for i, (c, h) in enumerate(zip(counts, hidden, strict=True)):
            if h and 0 < c < 5:
                checked += 1
                assert np.linalg.matrix_rank(np.vstack([shown, parts[i]])) > rank, (counts, hidden)
    assert checked > 100
