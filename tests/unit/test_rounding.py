"""Numbers on the page round a half away from zero, as they read and as clinical tables (SAS) and
the charts' JavaScript labels round: the review found Responders' text saying 32% (Python's round
half to even) for 13 of 40 responders while the chart's label said 33%."""

import pandas as pd
import pytest

from pts_explorer import display
from pts_explorer.numbers import half_up


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (32.5, 0, "33"),  # half to even would give 32
        (33.5, 0, "34"),
        (2.675, 2, "2.68"),  # the binary double is 2.67499999...; it reads as 2.675
        (0.125, 2, "0.13"),
        (-2.5, 0, "-3"),  # away from zero, as SAS's round()
        (-0.004, 2, "0.00"),  # never -0.00
        (1.2345, 1, "1.2"),
        (float("nan"), 1, display.DASH),
    ],
)
def test_number_rounds_a_half_away_from_zero(value, decimals, shown):
    assert display.number(value, decimals) == shown


def test_percent_of_a_count_ratio_reads_as_the_ratio():
    assert display.percent(13 / 40) == "33%"
    assert display.percent(13 / 40, 1) == "32.5%"
    assert display.percent(1 / 8, 1) == "12.5%"
    assert display.percent(None) == display.DASH


def test_half_up_leaves_other_values_as_round_does():
    for value in (0.1, 1 / 3, 2 / 3, 12.3456, 99.99):
        assert half_up(value, 2) == round(value, 2)


def test_responders_summary_says_what_the_chart_label_says():
    props = pd.DataFrame({"visit_month": [6, 6], "arm": ["stent", "medical"], "proportion": [13 / 40, 7 / 40]})
    assert display.summary_shares(props) == "Share of responders, month 6: stent 33%, medical 18%."
