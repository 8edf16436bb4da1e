"""Chart images: one Chromium per process, kept open between images (pts_explorer.rendering).
Kaleido 1.5 under load once answered "ReferenceError: kaleido_scopes is not defined" (its tab not
ready): the export tries once more then, and only then."""

import time

import plotly.graph_objects as go
import pytest

from pts_explorer import exports, rendering


class JavascriptError(Exception):
    pass


def test_a_tab_not_ready_is_tried_once_more(monkeypatch):
    calls = []

    def flaky(figure, opts):
        calls.append(opts["format"])
        if len(calls) == 1:
            raise JavascriptError("{'description': 'ReferenceError: kaleido_scopes is not defined'}")
        return b"<svg/>"

    monkeypatch.setattr(rendering.CHROMIUM, "render", flaky)
    assert exports.chart_image(go.Figure(), "svg") == b"<svg/>"
    assert calls == ["svg", "svg"]


def test_any_other_failure_is_raised_at_once(monkeypatch):
    calls = []

    def broken(figure, opts):
        calls.append(opts["format"])
        raise JavascriptError("TypeError: something else")

    monkeypatch.setattr(rendering.CHROMIUM, "render", broken)
    with pytest.raises(JavascriptError):
        exports.chart_image(go.Figure(), "png")
    assert calls == ["png"]


def test_images_after_the_first_reuse_one_browser_and_a_failure_starts_a_new_one(monkeypatch):
    """The second image costs a fraction of the first (no new Chromium); a render that fails closes the
    browser, and the next image opens another and renders."""
    kept = rendering.KeptChromium()
    figure = exports.for_export(go.Figure(go.Scatter(x=[1, 2], y=[2, 1]))).to_dict()
    opts = {"format": "svg", "width": 400, "height": 300, "scale": 1}
    try:
        kept.render(figure, opts)
        first = kept._browser
        started = time.perf_counter()
        assert kept.render(figure, opts).startswith(b"<svg")
        assert kept._browser is first and time.perf_counter() - started < 10
        with pytest.raises(Exception):  # noqa: B017 (kaleido's own error type)
            kept.render({"data": "not a list"}, opts)
        assert not kept.is_open
        assert kept.render(figure, opts).startswith(b"<svg") and kept._browser is not first
    finally:
        kept.close()
    assert not kept.is_open
