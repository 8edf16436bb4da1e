"""Presenter mode's sizes (issue 27, item 6): the scale of a screen, the key chart's height, and a
slide's type at 1280x720, 1920x1080 and 3840x2160, as charts/presenter.py states them."""

import pytest

from pts_explorer import charts
from pts_explorer.charts import presenter
from pts_explorer.ui.screen import Screen
from tests.unit.test_charts import _every_chart, _json

# (width, height): (scale, title, axis titles and legend, ticks, smallest row), the table of charts/presenter.py
STATED = {
    (1280, 720): (1.0, 26, 18, 16, 10),
    (1920, 1080): (1.5, 39, 27, 24, 15),
    (3840, 2160): (3.0, 78, 54, 48, 30),
}


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [
        (1280, 720, 1.0),
        (1920, 1080, 1.5),
        (3840, 2160, 3.0),
        (1024, 600, 1.0),  # a small screen: never smaller than at 1280x720
        (7680, 4320, 3.0),  # 8K: at most three times
        (2560, 720, 1.0),  # a wide strip: the height decides
        (1600, 1200, 1.25),  # 4:3: the width decides
    ],
)
def test_the_scale_is_the_smaller_ratio_to_1280x720_kept_between_1_and_3(width, height, scale):
    assert charts.screen_scale(width, height) == pytest.approx(scale)


def test_the_key_chart_takes_the_room_left_and_never_less_than_the_floor():
    assert charts.key_chart_height(1080, 300, 70, 1.5) == 710
    assert charts.key_chart_height(720, 230, 76, 1.0) == 720 - 230 - 76
    assert charts.key_chart_height(400, 300, 40, 1.0) == presenter.MIN_KEY_CHART  # a low window
    assert charts.key_chart_height(800, 700, 40, 2.0) == 2 * presenter.MIN_KEY_CHART


def test_a_screen_lays_out_1280x720_until_measured_and_then_fills():
    assert Screen().scale == 1.0 and Screen().chart_height(True) == charts.PRESENTER_HEIGHT  # as before
    measured = Screen(1920, 1080, top=300, below=70)
    assert measured.chart_height(True) == 710
    assert measured.chart_height(False) == round(1.5 * charts.PRESENTER_HEIGHT)  # another chart: scaled only
    assert Screen(1920, 1080).chart_height(True) == round(1.5 * charts.PRESENTER_HEIGHT)  # its place unknown yet


def test_a_key_chart_with_three_rows_fills_where_its_rows_stay_apart():
    """Review 27e, finding 2: Safety's three rows of numbers at risk held its chart at 500 px at 1280x720 (the
    key numbers below the fold); it fills the room above its key numbers where its rows fit there."""
    measured = Screen(1280, 720, top=179, below=60)
    fills = 720 - 179 - 60
    asked: list[int] = []
    assert measured.chart_height(True, 3, lambda h: asked.append(h) or True) == fills
    assert asked == [fills]  # asked of the height it fills
    assert measured.chart_height(True, 3, lambda h: False) == charts.PRESENTER_HEIGHT  # rows would touch: as before
    assert measured.chart_height(True, 3) == charts.PRESENTER_HEIGHT  # nothing to ask: as before


@pytest.mark.parametrize("screen", list(STATED), ids=[f"{w}x{h}" for w, h in STATED])
def test_every_chart_has_the_stated_type_on_each_screen(screen):
    scale, title, font, ticks, smallest = STATED[screen]
    assert charts.screen_scale(*screen) == scale
    for name, fig in _every_chart().items():
        before = _json(fig)
        big = charts.presenter_figure(fig, 800, scale)
        assert _json(fig) == before, name  # the analyst's figure is left alone
        assert big.layout.title.font.size == title and big.layout.font.size == font, name
        assert big.layout.legend.font.size == font, name
        assert all(axis.tickfont.size == ticks for axis in big.select_xaxes()), name
        assert all(smallest <= axis.tickfont.size <= ticks for axis in big.select_yaxes()), name  # crowded rows
        assert all(a.font.size >= ticks for a in big.layout.annotations), name
        texts = [t.textfont.size for t in big.data if getattr(t, "textfont", None) is not None and t.textfont.size]
        assert all(size >= smallest for size in texts), (name, texts)


def test_a_long_y_title_over_a_short_axis_breaks_at_its_last_comma_on_a_slide():
    """Review 27d, finding 7: above a row of design marks the y title ran down into the rows' labels on a Compare
    slide at 1280x720. Longer than its axis is tall at the slide's type, it is drawn in two lines; else in one."""
    from plotly.subplots import make_subplots

    def slide(height: int) -> str:
        fig = make_subplots(rows=2, cols=1, row_heights=[0.8, 0.2], shared_xaxes=True)
        fig.add_scatter(x=[0, 6], y=[12, 8], row=1, col=1)
        fig.add_scatter(x=[0, 6], y=["A without B", "B"], row=2, col=1)
        fig.update_yaxes(title_text="Villalta total, points (0-33)", row=1, col=1)
        return presenter.presenter_figure(fig, height=height).layout.yaxis.title.text

    assert slide(360) == "Villalta total,<br>points (0-33)"
    assert slide(900) == "Villalta total, points (0-33)"
