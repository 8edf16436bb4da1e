"""Small-cell protection: every count in 1..k-1 hidden, and no hidden count recoverable by
subtraction from a shown total (property-based over random tables)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pts_explorer import config
from pts_explorer.privacy import OFF, Protection
from tests.tiers import examples

K5 = Protection(5)
counts = st.integers(min_value=0, max_value=60) | st.integers(min_value=0, max_value=6)


def test_off_shows_everything_and_k_hides_one_to_k_minus_one():
    assert not OFF.active and OFF.count(3) == "3" and OFF.mask([1, 2]) == [False, False]
    assert [K5.small(n) for n in (0, 1, 4, 5, 1000)] == [False, True, True, False, False]
    assert K5.count(4) == "hidden" and K5.count(0) == "0" and K5.count(1234) == "1,234"
    assert K5.count(50, hidden=True) == "hidden"  # a complementary cell reads the same as a small one


def test_one_small_arm_hides_the_other_too():
    assert K5.mask([3, 40]) == [True, True]
    assert K5.mask([3, 0]) == [True, False]  # nothing else to hide: the total (3) is itself hidden
    assert K5.mask([3, 2, 50]) == [True, True, False]  # two hidden already: neither is recoverable


def test_hidden_cells_whose_sum_is_small_hide_one_more():
    """Review 28e, finding 4: TRIAL + IVC, 10 patients, grade options <50% (0), 50-69% (6), 70-99% (hidden),
    Occlusion (hidden): 10 - 6 - 0 = 4 patients had one of the two hidden grades, a count of 1 to 4."""
    assert K5.mask([0, 6, 1, 3]) == [False, True, True, True]
    assert K5.mask([0, 6, 2, 3]) == [False, False, True, True]  # their sum, 5, is no small count


@settings(max_examples=examples(300))
@given(
    st.lists(st.lists(counts, min_size=2, max_size=5), min_size=1, max_size=5).filter(
        lambda t: len({len(r) for r in t}) == 1
    )
)
def test_no_line_of_a_table_keeps_exactly_one_hidden_cell(table):
    hidden = K5.mask_table(table)
    values = np.asarray(table)
    assert hidden[(values > 0) & (values < 5)].all()  # every small count hidden
    assert not hidden[values == 0].any()  # zero identifies nobody
    for line, cells in [*zip(values, hidden, strict=True), *zip(values.T, hidden.T, strict=True)]:
        # One hidden cell is allowed only when every other cell is zero: the line's total is then that
        # cell, which the margins (masked by the same rule where shown) hide as well.
        if cells.sum() == 1:
            assert (line[~cells] == 0).all()
        if (line[~cells] > 0).any():  # the total less the shown cells is the hidden cells' sum: never 1 to 4
            assert not 0 < line[cells].sum() < 5


@settings(max_examples=examples(200))
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from("xyz"), counts), min_size=1, max_size=12))
def test_long_format_lines_and_hidden_totals(rows):
    frame = pd.DataFrame(rows, columns=["variable", "arm", "n"]).drop_duplicates(["variable", "arm"])
    secret = [("A", "x")]  # the total of variable A in arm x is itself hidden
    hidden = K5.mask_frame(frame, "n", [["variable", "arm"]], secret)
    assert hidden[frame.n.between(1, 4)].all()
    for (variable, arm), line in frame.groupby(["variable", "arm"]):
        cells, values = hidden[line.index], line.n
        if (variable, arm) in secret:
            assert cells.any() or (values == 0).all()  # the visible cells must not add up to the hidden total
        elif cells.sum() == 1:
            assert (values[~cells] == 0).all()
        if (variable, arm) not in secret and (values[~cells] > 0).any():
            assert not 0 < values[cells].sum() < 5


def test_statistics_of_small_groups_are_blanked_with_text_to_show():
    table = pd.DataFrame({"n": [3, 30, 0], "mean": [1.0, 2.0, np.nan], "sd": [0.5, 0.6, np.nan]})
    out = K5.protect_stats(table, ["n"], ["mean", "sd"])
    assert out.hidden.tolist() == [True, False, False]
    assert np.isnan(out["mean"][0]) and out["mean"][1] == 2.0
    assert out.n_text.tolist() == ["hidden", "30", "0"]
    assert table["mean"][0] == 1.0  # the input is not changed


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, (5, False)), ({"PTS_PROTECT_SMALL_CELLS": "1"}, (5, True)), ({"PTS_MIN_CELL_COUNT": "11"}, (11, False))],
)
def test_k_comes_from_the_settings_file_and_the_environment(monkeypatch, tmp_path, environment, expected):
    monkeypatch.delenv("PTS_PROTECT_SMALL_CELLS", raising=False)
    monkeypatch.delenv("PTS_MIN_CELL_COUNT", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert config.small_cells() == expected
    settings_file = tmp_path / "pts.toml"
    settings_file.write_text("[privacy]\nmin_cell_count = 10\nprotect_everywhere = true\n")
    monkeypatch.setenv("PTS_CONFIG", str(settings_file))
    k, everywhere = config.small_cells()
    assert k == int(environment.get("PTS_MIN_CELL_COUNT", 10)) and everywhere == (
        environment.get("PTS_PROTECT_SMALL_CELLS", "1") == "1"
    )


def test_complements_and_together_hide_the_other_arm_of_a_visit():
    """The arms' n at a visit add up to its patients: one hidden, the other hidden too (a second count)."""
    shield = Protection(5)
    visits = pd.DataFrame(
        {"study_group": ["All"] * 4, "visit_month": [0, 0, 6, 6], "arm": ["stent", "medical"] * 2, "n": [2, 10, 8, 9]}
    )
    assert shield.complements(visits, "n", ["study_group", "visit_month"]).tolist() == [False, True, False, False]
    rows = pd.DataFrame({"n_stent": [2, 8], "n_medical": [10, 9], "n_stent_text": ["hidden", "8"]})
    rows["n_medical_text"] = ["10", "9"]
    shown = shield.together(rows, ["n_stent", "n_medical"])
    assert shown[["n_stent_text", "n_medical_text"]].values.tolist() == [["hidden", "hidden"], ["8", "9"]]
    assert not Protection(0).complements(visits, "n", ["visit_month"]).any()


def test_the_totals_a_cohort_is_written_against_hide_when_one_to_k_minus_one_were_removed():
    shield = Protection(5)
    assert shield.totals_hidden([1526, 1111], [1529, 1111]) == (True, [True, True])  # 3 removed, all stent
    assert shield.totals_hidden([1000, 1000], [1003, 1010]) == (False, [True, True])  # 13 in all, 3 of one arm
    assert shield.totals_hidden([1000, 1000], [1005, 1000]) == (False, [False, False])  # 5: k, shown
    assert shield.totals_hidden([10, 10], [10, 10]) == (False, [False, False])  # none removed
    assert Protection(0).totals_hidden([1526, 1111], [1529, 1111]) == (False, [False, False])  # off
