"""display.analysed: an analysis set's counts beside the cohort's under small-cell protection (fourth review of
issue 28): a count of part of an arm whose cohort count reads hidden reads hidden too."""

from pts_explorer.display import analysed_counts, cohort_hidden_arms, part_hidden
from pts_explorer.privacy import OFF, Protection

K5 = Protection(5)


def test_an_arm_hidden_in_the_cohort_hides_its_part():
    # RC13 C4b: 19 stent, 2 medical in the drawer (both hidden); 18 stented with a successful procedure
    assert cohort_hidden_arms({"stent": 19, "medical": 2}, K5) == frozenset({"stent", "medical"})
    assert part_hidden({"stent": 18}, {"stent": 19, "medical": 2}, K5) == {"stent": True}
    assert part_hidden({"stent": 18, "medical": 0}, {"stent": 40, "medical": 30}, K5) == {
        "stent": False,
        "medical": False,
    }
    assert part_hidden({"stent": 18, "medical": 2}, {"stent": 40, "medical": 30}, K5) == {
        "stent": True,  # the other's complement (the arms add up)
        "medical": True,
    }
    assert part_hidden({"stent": 2}, {"stent": 19, "medical": 2}, OFF) == {"stent": False}


def test_analysed_and_not_analysed_hide_as_a_line_adding_up_to_the_whole():
    shown = analysed_counts({"stent": 36, "medical": 17}, {"stent": 59, "medical": 29}, [9, 0, 0], K5)
    assert (shown.arms, shown.total, shown.left_out) == ({"stent": "36", "medical": "17"}, "53", ["9", "0", "0"])
    few = analysed_counts({"stent": 36, "medical": 17}, {"stent": 59, "medical": 29}, [3, 0, 0], K5)
    assert (few.total, few.left_out) == ("hidden", ["hidden", "0", "0"])  # 62 - 53 would give the 3
    drawer = analysed_counts({"stent": 15, "medical": 0}, {"stent": 19, "medical": 2}, [6, 0, 0], K5)
    assert (drawer.arms, drawer.total, drawer.left_out) == (
        {"stent": "hidden", "medical": "hidden"},
        "15",
        ["6", "0", "0"],
    )
