"""analytics.designs.visit_designs on rows written by hand: which designs each curve's patients come
from at each visit, and when the arms of a cohort fold into one lane."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pts_explorer.analytics import designs
from pts_explorer.analytics.designs import visit_designs
from tests.tiers import examples

ROWS = [  # cohort, arm, visit_month, study_id, design, n
    ("A", "stent", 0, "TRIAL", "randomized", 50),
    ("A", "stent", 0, "REG", "observational", 200),
    ("A", "stent", 1, "TRIAL", "randomized", 45),
    ("A", "stent", 36, "REG", "observational", 120),
    ("A", "stent", 36, "TRIAL", "randomized", 0),  # nobody measured: not a source
    ("A", "medical", 0, "TRIAL", "randomized", 48),
    ("A", "medical", 0, "REG", "observational", 90),
    ("A", "medical", 1, "TRIAL", "randomized", 40),
    ("A", "medical", 36, "REG", "observational", 60),
]


def _rows(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["cohort", "arm", "visit_month", "study_id", "design", "n"])


def test_arms_from_the_same_designs_fold_into_one_lane():
    out = visit_designs(_rows(ROWS), ["cohort", "arm"], fold="arm")
    assert out.to_dict("records") == [
        {"lane": ("A",), "visit_month": 0, "kind": "pooled", "n": 388,
         "studies": (("REG", "observational", 290), ("TRIAL", "randomized", 98))},
        {"lane": ("A",), "visit_month": 1, "kind": "randomized", "n": 85, "studies": (("TRIAL", "randomized", 85),)},
        {"lane": ("A",), "visit_month": 36, "kind": "observational", "n": 180,
         "studies": (("REG", "observational", 180),)},
    ]  # fmt: skip


def test_arms_from_other_designs_at_a_visit_keep_a_lane_each():
    rows = [*ROWS, ("A", "medical", 36, "TRIAL", "randomized", 3)]  # medical: pooled at 36, stent not
    out = visit_designs(_rows(rows), ["cohort", "arm"], fold="arm")
    assert sorted(set(out.lane)) == [("A", "medical"), ("A", "stent")]
    at36 = {lane: kind for lane, month, kind in zip(out.lane, out.visit_month, out.kind, strict=True) if month == 36}
    assert at36 == {("A", "medical"): "pooled", ("A", "stent"): "observational"}


def test_no_patient_measured_gives_no_lane():
    assert visit_designs(_rows(ROWS[4:5]), ["cohort", "arm"], fold="arm").empty


def test_the_hover_hides_small_study_counts_and_their_complement():
    from pts_explorer.display.designs import design_hover
    from pts_explorer.privacy import Protection

    rows = [("A", "stent", 0, "TRIAL", "randomized", 3), ("A", "stent", 0, "REG", "observational", 100)]
    strip = visit_designs(_rows(rows), ["cohort", "arm"], fold="arm")
    names = {("A",): "A only"}
    assert design_hover(strip, names, Protection(k=5)) == [
        "A only, month 0: pooled randomized and observational, n = 103 (REG (observational) hidden, TRIAL "
        "(randomized) hidden)"
    ]  # 103 - 100 would give the 3 away
    assert design_hover(strip, names, Protection()) == [
        "A only, month 0: pooled randomized and observational, n = 103 (REG (observational) 100, TRIAL (randomized) 3)"
    ]
    small = visit_designs(_rows(rows[:1]), ["cohort", "arm"], fold="arm")
    assert design_hover(small, names, Protection(k=5)) == [
        "A only, month 0: randomized only, n = hidden (TRIAL (randomized) hidden)"
    ]


# --- one grouping gives what a grouping per visit gave -------------------------------------------


def _per_visit_by_visit(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The reference: analytics.designs._per_visit as it was, one grouping per lane and visit."""
    out = []
    for values, d in rows.groupby([*keys, "visit_month"], sort=True):
        by_study = d.groupby(["study_id", "design"], as_index=False).n.sum().sort_values("study_id")
        studies = tuple((str(s), str(k), int(n)) for s, k, n in by_study.itertuples(index=False))
        out.append(
            {
                **dict(zip([*keys, "visit_month"], values, strict=True)),
                "kind": designs._kind({k for _, k, _ in studies}),
                "n": sum(n for *_, n in studies),
                "studies": studies,
            }
        )
    return pd.DataFrame(out)


STUDY_DESIGNS = {"REG": "observational", "TRIAL": "randomized", "TRIAL2": "randomized", "ZREG": "observational"}
ROW = st.tuples(
    st.sampled_from(["A", "B"]),
    st.sampled_from(["stent", "medical"]),
    st.sampled_from([0, 1, 3, 6, 12, 36, 48]),
    st.sampled_from(sorted(STUDY_DESIGNS)),
    st.integers(0, 300),
)


def _cells(frame: pd.DataFrame) -> list[list[tuple[type, object]]]:
    return [[(type(v), v) for v in row] for row in frame.itertuples(index=False)]


@settings(max_examples=examples(200))
@given(st.lists(ROW, max_size=40), st.sampled_from([["arm"], ["cohort", "arm"], ["cohort"]]))
def test_one_grouping_gives_what_a_grouping_per_visit_gave(rows, keys):
    frame = _rows([(c, a, m, s, STUDY_DESIGNS[s], n) for c, a, m, s, n in rows])
    got, expected = designs._per_visit(frame, keys), _per_visit_by_visit(frame, keys)
    pd.testing.assert_frame_equal(got, expected)
    assert _cells(got) == _cells(expected)  # the same Python types in every cell, tuples of studies alike
    measured = frame[frame.n > 0]
    if not measured.empty and keys == ["cohort", "arm"]:  # as the pages call it: the fold goes the same way
        folded = visit_designs(frame, keys, fold="arm")
        monkey = designs._per_visit
        try:
            designs._per_visit = _per_visit_by_visit
            reference = visit_designs(frame, keys, fold="arm")
        finally:
            designs._per_visit = monkey
        pd.testing.assert_frame_equal(folded, reference)
        assert _cells(folded) == _cells(reference)
