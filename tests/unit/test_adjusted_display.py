"""The Target trial page's vocabulary agrees with the propensity core, and its words: counts in the
core's messages hidden as the page hides counts, the registry-vs-trial verdict, the balance flags."""

import pandas as pd
import pytest

from pts_explorer import vocab
from pts_explorer.analytics import propensity as P
from pts_explorer.display import propensity as shown
from pts_explorer.privacy import Protection
from pts_explorer.settings import SETTINGS


def test_the_pages_choices_are_the_cores_names():
    assert vocab.PS_COVARIATES == P.COVARIATES
    assert list(vocab.PS_METHODS) == list(P.METHODS)
    assert [k for k in vocab.PS_ESTIMATES if k not in ("change", "responders")] == list(P.ENDPOINTS)
    assert SETTINGS["ps_covariates"].default == list(P.DEFAULT_COVARIATES)
    assert float(vocab.PS_TRIMS[0]) == P.DEFAULT_BOUNDS[0] and 1 - float(vocab.PS_TRIMS[0]) == P.DEFAULT_BOUNDS[1]
    assert float(vocab.PS_CALIPERS[0]) == P.DEFAULT_CALIPER


@pytest.mark.parametrize(
    ("k", "want"),
    [
        (5, "Each arm needs at least 3 registry (observational) patients (stent hidden, medical 40): widen."),
        (0, "Each arm needs at least 3 registry (observational) patients (stent 2, medical 40): widen."),
    ],
)
def test_a_small_count_in_the_cores_message_is_hidden_as_the_page_hides_counts(k, want):
    message = "Each arm needs at least 3 registry (observational) patients (stent 2, medical 40): widen."
    assert shown.problem_text(message, Protection(k)) == want


def test_the_levels_one_arm_has_are_named_with_the_arm():
    rows = pd.DataFrame(
        {
            "design": ["observational"] * 6 + ["randomized"],
            "arm": ["stent", "stent", "medical", "medical", "stent", "medical", "medical"],
            "center_id": ["C1", "C1", "C2", "C2", "C3", "C3", "C1"],  # the trial's C1 medical patient: not counted
            "sex": ["female", "male", "female", "male", "female", "male", "female"],
            "stenosis_grade": ["occlusion", "occlusion", "<50%", "50-69%", "70-99%", "70-99%", "<50%"],
        }
    )
    assert shown.single_arm_levels(rows, ["sex", "center_id", "stenosis_grade"]) == (
        "Study centre: C1 (stent only); Study centre: C2 (medical only); "
        "Stenosis grade: Occlusion (stent only); Stenosis grade: <50%, 50-69% (medical only)"
    )


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (
            -0.04,
            2.11,
            "**No difference shown** between the adjusted registry estimate and the trial's (Registry − trial: "
            "+1.03, 95% CI -0.04 to +2.11): the interval includes 0. That is not evidence that the registry reproduces "
            "the trial: every value in the interval is compatible with these data.",
        ),
        (
            0.12,
            2.25,
            "**The adjusted registry estimate differs from the trial's** beyond chance (Registry − trial: +1.03, "
            "95% CI +0.12 to +2.25): residual confounding, different patients or the different estimand can each "
            "explain it.",
        ),
    ],
)
def test_the_benchmark_says_no_difference_shown_only_where_the_ci_includes_0(low, high, verdict):
    words = shown.benchmark_words(1.03, low, high, 2, "difference", "ATE")
    assert words == (
        f"{verdict} The estimands differ: the registry's is the average treatment effect (ATE) of its own patients, "
        "the trial's the average effect among the patients it randomized."
    )


def test_a_ratio_of_hazard_ratios_is_judged_against_1():
    words = shown.benchmark_words(2.15, 0.69, 6.76, 2, "ratio", "ATO")
    assert words == (
        "**No difference shown** between the adjusted registry estimate and the trial's (Ratio of the hazard ratios, "
        "registry / trial: 2.15, 95% CI 0.69 to 6.76): the interval includes 1. That is not evidence that the "
        "registry reproduces the trial: every value in the interval is compatible with these data. The estimands "
        "differ: the registry's is the average treatment effect in the overlap population (ATO) of its own patients, "
        "the trial's the average effect among the patients it randomized."
    )


def test_an_smd_is_flagged_above_0_1_at_three_decimals():
    assert [shown.smd_text(v) for v in (0.1, 0.1004, -0.104, 0.0999)] == ["0.100", "0.100 ▲", "0.104 ▲", "0.100"]
