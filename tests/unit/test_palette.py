"""Every chart colour keeps a WCAG contrast of at least 3:1 against the page it is drawn on, in the
light theme and in the dark one (issue 22, item 15). The charts are transparent, so that page is the
theme's background (tests/contrast.py; the browser test reads both backgrounds off the page)."""

import pytest

from pts_explorer import charts
from tests.contrast import BACKGROUNDS, MIN_CONTRAST, contrast, luminance

PALETTE = {
    **{f"arm {k}": v for k, v in charts.ARM_COLORS.items()},
    **{f"group {i}": v for i, v in enumerate(charts.GROUP_COLORS)},
    **{f"band {k}": v for k, v in charts.BAND_COLORS.items()},
    **{f"cohort {k}": v for k, v in charts.COHORT_COLORS.items()},
    "estimate": charts.ESTIMATE_COLOR,
    "reference": charts.REFERENCE_COLOR,
}


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # WebAIM's checker
    # The two colours the issue measured, as it measured them on the two backgrounds.
    assert contrast("#332288", BACKGROUNDS["dark"]) == pytest.approx(1.49, abs=0.005)
    assert contrast("#44AA99", BACKGROUNDS["light"]) == pytest.approx(2.82, abs=0.005)


@pytest.mark.parametrize("theme", list(BACKGROUNDS))
@pytest.mark.parametrize("name", list(PALETTE))
def test_every_chart_colour_has_3_to_1_on_both_themes(name, theme):
    ratio = contrast(PALETTE[name], BACKGROUNDS[theme])
    assert ratio >= MIN_CONTRAST, f"{name} {PALETTE[name]}: {ratio:.2f}:1 on the {theme} theme"


def test_bands_stay_ordered_by_lightness():
    """The order of the PTS bands survives colour-blindness: each is darker than the one before."""
    order = [luminance(charts.BAND_COLORS[b]) for b in ("none", "mild", "moderate", "severe")]
    assert order == sorted(order, reverse=True)


def test_groups_never_take_an_arm_colour_and_are_distinct():
    groups = [c.upper() for c in charts.GROUP_COLORS]
    assert len(set(groups)) == len(groups)
    assert not {c.upper() for c in charts.ARM_COLORS.values()} & {*groups, charts.ESTIMATE_COLOR.upper()}
