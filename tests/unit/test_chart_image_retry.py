"""Kaleido 1.5 under load once answered "ReferenceError: kaleido_scopes is not defined" (its tab not
ready): the export tries once more then, and only then."""

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from pts_explorer import exports


class JavascriptError(Exception):
    pass


def test_a_tab_not_ready_is_tried_once_more(monkeypatch):
    calls = []

    def flaky(figure, format, **options):
        calls.append(format)
        if len(calls) == 1:
            raise JavascriptError("{'description': 'ReferenceError: kaleido_scopes is not defined'}")
        return b"<svg/>"

    monkeypatch.setattr(pio, "to_image", flaky)
    assert exports.chart_image(go.Figure(), "svg") == b"<svg/>"
    assert calls == ["svg", "svg"]


def test_any_other_failure_is_raised_at_once(monkeypatch):
    calls = []

    def broken(figure, format, **options):
        calls.append(format)
        raise JavascriptError("TypeError: something else")

    monkeypatch.setattr(pio, "to_image", broken)
    with pytest.raises(JavascriptError):
        exports.chart_image(go.Figure(), "png")
    assert calls == ["png"]
