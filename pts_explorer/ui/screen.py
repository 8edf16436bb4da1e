"""The presenter's screen: how large the browser's viewport is and where the key chart starts on
it, reported by a small component that takes no room, so a slide's key chart fills the screen
under the presenter line and its type scales with the screen (charts/presenter.py states the
sizes). Until the browser has reported, a slide is laid out for 1280x720, as before; the report
costs one more run of the page (and another on a resize)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import charts, escape
from pts_explorer.config import PageSpec
from pts_explorer.ui import state

STYLESHEET = Path(__file__).with_name("screen.css")
KEY = "presenter_screen"  # the component's widget key; screen.css hides it
NUMBERS = "presenter_numbers"  # the key numbers' box, right under the key chart
_STORE = "_presenter_screen"  # {"screen": {width, height}, <page name>: {top, below}, "last": {top, below}}
_RUN = "_presenter_screen_run"  # this run's page and its numbers box
NUMBERS_LINE = "_presenter_key_numbers"  # the key numbers' Markdown as drawn in this run (a talk's export reads it)

# The browser's side. It measures once the run is over (a page half-drawn has its old elements)
# and again on a resize, a quarter second after the last change: the viewport's width and height;
# the key chart's top below the page's top (what stands above it: the presenter line, a notice);
# and what must stay under it on the screen (the key numbers, down to their bottom, and the page's
# bottom padding), once two measures 300 ms apart agree. It reports only what differs by more than
# 2 px from what the page was laid out with (`data.laid`, then its own last report), so a page that
# fits runs once more at most.
# Once the page is final it says so, for the browser tests to wait on: the page's root element gets
# data-pts-laid-for="run <n>" (the run token's text, notices.run_token) when run n has ended and, on a
# slide, the screen it was laid out for is the browser's (no report to make). The attribute is taken
# away while a measure or a report is pending. It changes nothing on the screen (no style reads it).
_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  // Streamlit calls this again for new data without calling the last call's cleanup (only at unmount):
  // the last call's watchers stop here, so only the newest data measures, reports and says the page is final.
  window.ptsScreenStop?.();
  const root = document.documentElement;
  const app = document.querySelector("[data-testid='stApp']");
  const idle = () => !app || app.dataset.testScriptState === "notRunning";
  const token = () => document.querySelector(".st-key-run_token")?.textContent.trim() ?? "";
  const final = () => { root.dataset.ptsLaidFor = token(); };
  const pending = () => { delete root.dataset.ptsLaidFor; };
  // Every run's end (the app's run state changes): a page that is not a slide is final then.
  const runs = new MutationObserver(() => (data.active ? soon() : idle() && final()));
  if (app) runs.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
  if (!data.active) {  // not a slide: nothing to measure
    if (idle()) final();
    window.ptsScreenStop = () => runs.disconnect();
    return window.ptsScreenStop;
  }
  let laid = data.laid || {};
  let seen = "";  // the last measure: a report waits until two measures 300 ms apart agree
  let timer = 0;
  const measure = () => {
    if (!idle()) { timer = setTimeout(measure, 300); return; }
    const size = {width: window.innerWidth, height: window.innerHeight, top: null, below: null};
    const block = document.querySelector("[data-testid='stMainBlockContainer']");
    const chart = data.chart ? document.querySelector(`.st-key-${data.chart}`) : null;
    if (block && chart) {
      const page = block.getBoundingClientRect(), box = chart.getBoundingClientRect();
      const numbers = document.querySelector(".st-key-presenter_numbers");
      const padding = parseFloat(getComputedStyle(block).paddingBottom) || 0;
      // the key numbers' text may reach below their box (Streamlit's Markdown has a negative margin)
      const parts = numbers ? [numbers, ...numbers.querySelectorAll("*")] : [];
      const bottoms = parts.map((e) => e.getBoundingClientRect().bottom);
      size.top = Math.round(box.top - page.top);
      size.below = Math.round(Math.max(box.bottom, ...bottoms) - box.bottom + padding);
    }
    const now = JSON.stringify(size);
    if (now !== seen) { seen = now; timer = setTimeout(measure, 300); return; }
    const moved = Object.keys(size).some((k) => size[k] !== null && !(Math.abs((laid[k] ?? -1e9) - size[k]) <= 2));
    if (moved) { laid = {...laid, ...size}; setStateValue("size", {...size, page: data.page}); } else final();
  };
  const soon = () => { pending(); clearTimeout(timer); timer = setTimeout(measure, 250); };
  // A resize of the window, or of the page's content (a run drew it anew): measure once it is still.
  const observer = new ResizeObserver(soon);
  const block = document.querySelector("[data-testid='stMainBlockContainer']");
  if (block) observer.observe(block);
  window.addEventListener("resize", soon);
  soon();
  window.ptsScreenStop = () => {
    clearTimeout(timer); observer.disconnect(); runs.disconnect(); window.removeEventListener("resize", soon);
  };
  return window.ptsScreenStop;
}
"""

_component = st.components.v2.component("pts_presenter_screen", js=_JS)


@dataclass(frozen=True)
class Screen:
    """The screen a slide is shown on, in CSS px, and where its key chart starts."""

    width: int = charts.presenter.BASE_WIDTH
    height: int = charts.presenter.BASE_HEIGHT
    top: int | None = None  # the key chart's top below the page's top, once measured
    below: int | None = None  # what stays under the key chart on the screen, once measured

    @property
    def scale(self) -> float:
        return charts.screen_scale(self.width, self.height)

    def chart_height(self, key_chart: bool, text_rows: int = 0, rows_fit: Callable[[int], bool] | None = None) -> int:
        """A chart's height on this screen: the key chart fills the room left under what stands
        above it (once measured); any other chart is the 1280x720 height, scaled. A key chart with
        more than two rows of numbers drawn in it (a risk table of five groups) fills it too where
        its rows stay apart there at the smallest type a row gets (`rows_fit` of the height says
        whether they do: charts.presenter.rows_fit), so its key numbers stay on the screen (review
        27e, finding 2: Safety's three rows); where they would not, it keeps the 1280x720 height
        scaled where the screen has it under what stands above: its key numbers then give way,
        below the fold, rather than its rows run together."""
        plain = round(charts.PRESENTER_HEIGHT * self.scale)
        if not key_chart or self.top is None or self.below is None:
            return min(plain, max(round(charts.presenter.MIN_KEY_CHART * self.scale), self.height - 120))
        fills = charts.key_chart_height(self.height, self.top, self.below, self.scale)
        if text_rows > 2 and not (rows_fit is not None and rows_fit(fills)):
            return max(fills, min(plain, self.height - self.top - round(16 * self.scale)))
        return fills


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(_STORE, {})


def _ints(values: Any, *keys: str) -> dict[str, int] | None:
    """The named values of a report as whole px, or None where one is missing or not a number."""
    try:
        return {k: int(values[k]) for k in keys}
    except (KeyError, TypeError, ValueError):
        return None


def _taken(size: Any, page: str) -> None:
    """Keep what the browser reported: the screen for every page, the key chart's place for the page it was
    measured on. The component's last report outlives its page (one widget key on every page): the first run
    of a slide opened again read the place measured on the slide before it as its own, and drew its key chart
    64 px shorter at 1280x720, or cut its key numbers (review 27c, finding 8)."""
    if not isinstance(size, dict):
        return
    store = _store()
    if (screen := _ints(size, "width", "height")) and min(screen.values()) > 0:
        store["screen"] = screen
    if size.get("page") == page and (place := _ints(size, "top", "below")) is not None:
        store[page] = store["last"] = place


def _reported() -> None:
    """The browser reported the window's size: the run it asks for draws the slide again for it
    (ui/state.py keeps the first run's notices for it)."""
    st.session_state[state.SCREEN_RERUN] = True


def mount(spec: PageSpec | None) -> None:
    """The component that reports the screen (hidden; app.css), at the top of every page so that
    leaving presenter mode leaves the page's layout the same shape (a component that went away
    broke Streamlit's redraw: "'setIn' cannot be called on an ElementNode"). It measures only on a
    slide (`spec`, presenter mode), which also gets the screen's style; what it reported is kept
    for this run and the next slides'."""
    if spec is None:
        _component(key=KEY, data={"chart": None, "laid": None, "active": False}, on_size_change=lambda: None)
        # In the place of a slide's screen style (style only: the page's event container), so that leaving
        # presenter mode takes it away before the page's charts are drawn: Streamlit's chart theme takes its
        # type from the rem as the chart is drawn (review 27c, finding 3: 24 px titles at 1920x1080 after Escape).
        st.html("<style>:root { --pts-scale: 1; }</style>")
        st.session_state.pop(_RUN, None)
        return
    store = _store()
    laid = {**store.get("screen", {}), **store.get(spec.name, store.get("last", {}))}
    result = _component(
        key=KEY,
        data={"chart": spec.key_chart, "page": spec.name, "laid": laid or None, "active": True},
        on_size_change=_reported,
    )
    _taken(result.get("size"), spec.name)
    scale = Screen(**store.get("screen", {})).scale  # the scale this run draws the slide's charts at
    st.html(f"<style>{STYLESHEET.read_text()}\n:root {{ --pts-scale: {scale:g}; }}</style>")
    st.session_state[_RUN] = {"page": spec.name, "key_chart": spec.key_chart, "numbers": None}
    st.session_state[NUMBERS_LINE] = None


def current() -> Screen:
    """The screen this run lays a slide out for: 1280x720 until the browser has reported."""
    store = _store()
    run = st.session_state.get(_RUN) or {}
    place = store.get(run.get("page", ""), store.get("last")) if run else None
    return Screen(**store.get("screen", {}), **(place or {}))


def is_key_chart(key: str) -> bool:
    return (st.session_state.get(_RUN) or {}).get("key_chart") == key


def numbers_box() -> None:
    """Right under the key chart: the box its key numbers are written into (numbers())."""
    run = st.session_state.get(_RUN)
    if run is not None:
        run["numbers"] = st.container(key=NUMBERS)


def numbers(parts: list[tuple[str, str]]) -> None:
    """The key numbers of a slide, in one line under its key chart, in the slide's type: what a
    presenter says aloud, e.g. ("Difference at month 6", "-4.25 (-5.22 to -3.27)"). The values are
    the page's table's cells as the table shows them (small cells hidden alike); a part without a
    value is left out. Drawn only on a slide (presenter mode)."""
    run = st.session_state.get(_RUN)
    box: DeltaGenerator | None = run.get("numbers") if run else None
    shown = [(label, value) for label, value in parts if str(value).strip()]
    if box is None or not shown:
        return
    line = " · ".join(f"{escape.markdown(label)} **{escape.markdown(value)}**" for label, value in shown)
    st.session_state[NUMBERS_LINE] = line  # the slide's export writes this line (ui.talk_slides)
    with box:
        st.markdown(line)
