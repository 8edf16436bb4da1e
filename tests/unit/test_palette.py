"""Every chart colour keeps a WCAG contrast of at least 3:1 against the page it is drawn on, in the
light theme and in the dark one (issue 22, item 15). The charts are transparent, so that page is the
theme's background (tests/contrast.py; the browser test reads both backgrounds off the page)."""

import itertools
import math

import pytest

from pts_explorer import charts
from tests.contrast import BACKGROUNDS, MIN_CONTRAST, contrast, luminance, parse

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


def _lab(color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, as the CIE defines it."""
    (r8, g8, b8), _ = parse(color)

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v / 255) for v in (r8, g8, b8))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_the_first_four_group_colours_are_told_apart():
    """Four groups (the stenosis grades, the obstruction sites) are drawn in the first four group
    colours: each pair differs by a CIE76 colour difference of at least 40 (the review found '<50%'
    and 'Occlusion' in a rose-purple and a rose 27 apart, taken for one group)."""
    first = charts.GROUP_COLORS[:4]
    close = {
        (a, b): round(math.dist(_lab(a), _lab(b)), 1)
        for a, b in itertools.combinations(first, 2)
        if math.dist(_lab(a), _lab(b)) < 40
    }
    assert close == {}
    assert math.dist(_lab("#FFFFFF"), _lab("#000000")) == pytest.approx(100.0, abs=0.01)


def test_a_trace_given_no_colour_takes_the_palette_not_the_theme():
    """Streamlit's dark theme would colour such a trace from its own colourway (its purple #6D3FC0
    is 2.69:1 on the dark page); every figure carries the app's palette as its colourway."""
    from pts_explorer.charts.draft import _figure
    from pts_explorer.charts.style import _base_layout

    figure = _base_layout(_figure(), "A title", 300).figure()
    assert tuple(figure.layout.colorway) == charts.GROUP_COLORS
    assert contrast("#6D3FC0", BACKGROUNDS["dark"]) == pytest.approx(2.69, abs=0.005)
