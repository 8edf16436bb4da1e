"""The page elements every table and chart goes through: a presented table (its dashes explained,
the Glossary on its headers), a chart with its text alternative (large in presenter mode), both
recorded for the page's exports; and the iliofemoral veins diagram."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pts_explorer import charts, display, escape, exports, glossary, privacy, vocab
from pts_explorer.filters import VOCABULARIES
from pts_explorer.ui import filter_panel, recorder, screen, state


def table(
    frame: pd.DataFrame,
    key: str | None = None,
    note: str | None = None,
    rows: int | None = None,
    title: str | None = None,
    whole: tuple[str, ...] = (),
    wrap: bool = False,
) -> None:
    """A presented table, with a footnote for its dashes (values that cannot be computed), and the
    Glossary's words on any header that names a method; `rows`: show that many without scrolling;
    `title`: its heading in the page's report (the page's own heading above it; without one, the
    title recorder.TABLE_TITLES gives its key); `whole`: text columns drawn wide enough for their longest
    value and pinned when the table scrolls sideways (names from the data, which the grid's own sizing,
    from the first rows, may cut: "Other centres (16)" under "TC15"); `wrap`: a static table whose long
    cells wrap, every cell whole at any width (a data grid cuts a cell at its column's width), each cell
    and header escaped so that it reads as the text it is (st.table reads Markdown)."""
    help_by_column = {c: glossary.tip(glossary.COLUMN_TERMS[c]) for c in frame.columns if c in glossary.COLUMN_TERMS}
    config = {c: st.column_config.Column(help=text) for c, text in help_by_column.items()}
    for column in whole:
        if column in frame and len(frame):
            longest = max(len(str(v)) for v in [column, *frame[column]])
            config[column] = st.column_config.Column(
                help=help_by_column.get(column), width=min(420, 28 + int(7.6 * longest)), pinned=True
            )
    height: int | Literal["auto"] = 35 * (rows + 1) + 3 if rows else "auto"
    dashes = bool(frame.astype(str).isin([display.DASH]).any().any())
    footnote = f"{display.DASH} {note or display.NOT_COMPUTABLE}."
    recorder.add_table(frame, key, footnote if dashes else note, title)  # the report explains its dashes alike
    if state.presenting():  # on a slide the table is one line of key numbers under the key chart (screen.numbers)
        return
    if wrap:
        shown = frame.astype(str).map(escape.markdown)
        shown.columns = [escape.markdown(str(c)) for c in frame.columns]
        with st.container(key=key):
            st.table(shown, hide_index=True)
    else:
        st.dataframe(frame, hide_index=True, key=key, column_config=config, height=height)
    if dashes:
        st.caption(footnote)


def dash_note(shield: privacy.Protection, why: str = "") -> str:
    """The footnote of a table's dashes when small-cell protection may have made some; `why` says why
    the others are not computable (display.not_computable_why), else NOT_COMPUTABLE's either-or."""
    why = why or display.NOT_COMPUTABLE
    if not shield.active:
        return why
    return f"not shown: fewer than {shield.k} patients (small cells hidden), or {why}"


def arm_counts(by_arm: Mapping[str, int] | pd.Series | None) -> str:
    """Patients per arm in words ("112 stent, 111 medical") of the cohort or of an analysis set drawn from it,
    as this run shows counts: below k hidden, a second arm hidden with it where the arms add up to a shown
    total, and an arm whose count among the cohort reads hidden (display.part_hidden)."""
    shield = state.protection()
    arms = pd.Series({} if by_arm is None else dict(by_arm), dtype=int).reindex(list(vocab.ARMS), fill_value=0)
    hidden = display.part_hidden(
        arms.to_dict(), filter_panel.cohort_by_arm().to_dict() if shield.active else {}, shield
    )
    return ", ".join(f"{shield.count(int(n), hidden[arm])} {vocab.ARMS[arm].lower()}" for arm, n in arms.items())


def arm_ranges(counts: pd.DataFrame, per: str) -> str:
    """Patients per arm in words for a chart whose points have different patients (a visit, an
    item): `counts` has one row per point, arm and n. One number per arm where every point has
    the same, else the smallest and the largest ("100 to 114 stent, 97 to 114 medical per visit");
    counts below k hidden as this run hides them, and so is a count its row's `n_text` hides (the
    complement of a small count, Protection.complements) unless another row shows the same number."""
    shield = state.protection()
    parts, ranged = [], False
    for arm, label in vocab.ARMS.items():
        rows = counts[counts.arm == arm]
        n = rows.n.astype(int)
        texts = rows["n_text"] if "n_text" in rows else n.map(shield.count)
        low, high = (int(n.min()), int(n.max())) if len(n) else (0, 0)
        ranged |= low != high

        def text(value: int, n: pd.Series = n, texts: pd.Series = texts) -> str:
            hidden = shield.small(value) or (len(n) > 0 and bool((texts[n == value] == shield.label).all()))
            return shield.count(value, hidden)

        ends = (text(low), text(high))
        shown = ends[0] if low == high or ends == (shield.label, shield.label) else f"{ends[0]} to {ends[1]}"
        parts.append(f"{shown} {label.lower()}")
    return ", ".join(parts) + (f" per {per}" if ranged else "")


# The cohort filters a click on a chart can set (issue 28, item 3): a trace's `meta` names them, each
# a value for the whole trace or a list with one value (or None) per point: {"arm": "stent",
# "study": ["TRIAL", "REGISTRY"]}.
CLICK_FILTERS = ("study", "arm", "site", "grade", "band", "sex")
_CLICK_TARGETS = "_click_targets_"  # + chart key: the meta of each trace of the chart last drawn


def chart(
    figure: Any,
    key: str,
    summary: str,
    patients: Mapping[str, int] | pd.Series | str | None = None,
    click_filters: bool = False,
) -> None:
    """A chart with its text alternative: the title and a one-line summary, for screen readers;
    large for an audience in presenter mode; collected for the page's exports. `patients`: the
    patients per arm it draws (or those counts in words), when not the analysis set's of the
    page's design statement: its exported image's caption states them. `click_filters`: a click on
    a bar, point or curve sets the filters its trace's `meta` names (CLICK_FILTERS), as the sidebar
    would, so they show as chips and in the address (not on a projector)."""
    key_chart = state.presenting() and screen.is_key_chart(key)
    if state.presenting():  # the key chart fills the slide; every chart's type scales with the screen
        shown_on = screen.current()
        height = shown_on.chart_height(
            key_chart,
            charts.presenter.text_rows(figure),
            lambda h: charts.presenter.rows_fit(figure, h, shown_on.scale),  # its rows apart where it fills
        )
        figure = charts.presenter_figure(figure, height, shown_on.scale)
    # What a click sets stays on the server: the traces' meta (values of the data, such as study ids) is
    # kept for the callback and taken out of the figure the browser and the exports get.
    targets = [dict(getattr(trace, "meta", None) or {}) for trace in figure.data]
    spec = figure.to_plotly_json()
    if any("meta" in trace for trace in spec.get("data", [])):
        for trace in spec["data"]:
            trace.pop("meta", None)
        figure = go.Figure(spec, _validate=False)
    arms = patients if isinstance(patients, str) else "" if patients is None else arm_counts(patients)
    recorder.add_chart(figure, key, summary, arms)
    if click_filters and not state.presenting():
        # A click on the legend would hide a curve (plotly's default) while the cohort, its count and chips
        # stay the same: easily read as a filter (second review of issue 28, F3). It clicks the entry's button.
        figure.update_layout(legend={"itemclick": False, "itemdoubleclick": False})
        st.session_state[_CLICK_TARGETS + key] = targets
        entries = legend_targets(figure, targets)
        drawn = go.Figure(figure)  # the recorded figure (the exports') carries no button numbers
        drawn.update_layout(meta={LEGEND_BUTTONS: legend_buttons_of_traces(figure, targets, entries)})
        st.plotly_chart(drawn, key=key, on_select=lambda: _clicked(key), selection_mode="points")
        _legend_buttons(key, entries)
    else:
        st.plotly_chart(figure, key=key)
    title = figure.layout.title.text or ""
    # The summary names studies and groups (values of the data): text, in HTML inside Markdown.
    text = f"Chart: {escape.html_in_markdown(title)}. {escape.html_in_markdown(summary)}"
    st.markdown(f'<p class="sr-only">{text}</p>', unsafe_allow_html=True)
    if key_chart:  # on a slide, its key numbers right under it (screen.numbers)
        screen.numbers_box()


def click_targets(targets: list[dict[str, Any]], curve: int, index: int) -> dict[str, str]:
    """The filters a click on point `index` of trace `curve` sets: what the trace's meta names for
    the trace or for that point (a point whose value is None sets nothing of that filter)."""
    meta = targets[curve] if 0 <= curve < len(targets) else {}
    found = {}
    for field, value in meta.items():
        if isinstance(value, list | tuple):
            value = value[index] if 0 <= index < len(value) else None
        if _filterable(field, value):
            found[field] = value
    return found


def _filterable(field: str, value: object) -> bool:
    """A value a click can set: of a click filter's vocabulary (a study id is the data's: the cohort filter
    checks it)."""
    known = field == "study" or (isinstance(value, str) and value in VOCABULARIES.get(field, {}))
    return field in CLICK_FILTERS and isinstance(value, str) and bool(value) and known


def _scalars(meta: Mapping[str, Any]) -> dict[str, str]:
    """The filters a trace's meta names for the whole trace (a list names one value per point)."""
    return {field: value for field, value in meta.items() if _filterable(field, value)}


def _legend_groups(figure: Any, targets: list[dict[str, Any]]) -> list[tuple[list[int], dict[str, str]]]:
    """The entries of a chart's legend, in the legend's order: the traces of each entry's group (plotly's
    legendgroup, else the trace's name) and the filters every one of them names for the whole trace."""
    groups: dict[str, list[int]] = {}
    in_legend: list[str] = []
    for i, trace in enumerate(figure.data):
        group = trace.legendgroup or trace.name or f"#{i}"
        groups.setdefault(group, []).append(i)
        if trace.name and trace.showlegend is not False and group not in in_legend:
            in_legend.append(group)
    if figure.layout.showlegend is False:
        return []
    entries = []
    for group in in_legend:
        metas = [_scalars(targets[i]) for i in groups[group] if i < len(targets) and targets[i]]
        first = metas[0] if metas else {}
        entries.append((groups[group], {f: v for f, v in first.items() if all(m.get(f) == v for m in metas)}))
    return entries


def legend_targets(figure: Any, targets: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The filters each entry of a chart's legend stands for, in the legend's order: the filters every
    trace of the entry's group (plotly's legendgroup, else the trace's name) names for the whole trace.
    Streamlit's plotly selection events report points, a box or a lasso, never a legend click (issue 28
    item 3): these are drawn as buttons under the chart, and a click on the legend clicks its entry's
    (LEGEND_CLICKS). An entry whose traces differ (the bands of Trajectories' second chart, drawn per arm)
    stands for no filter; fewer than two distinct entries offer no choice, and none is given."""
    found: list[dict[str, str]] = []
    for _, common in _legend_groups(figure, targets):
        if common and common not in found:
            found.append(common)
    return found if len(found) >= 2 else []


def legend_buttons_of_traces(
    figure: Any, targets: list[dict[str, Any]], entries: list[dict[str, str]]
) -> list[int | None]:
    """For each trace of the chart, the number of the legend button (`entries`, legend_targets) a click on
    its legend entry clicks, or None where its entry has no button."""
    found: list[int | None] = [None] * len(figure.data)
    for traces, common in _legend_groups(figure, targets):
        if common in entries:
            for i in traces:
                found[i] = entries.index(common)
    return found


def _filter_words(filters: Mapping[str, str]) -> str:
    """A legend entry's filters as a button reads (Markdown: a study id is a value of the data)."""
    return ", ".join(
        escape.markdown(value) if field == "study" else VOCABULARIES[field][value] for field, value in filters.items()
    )


# Where a clickable chart's figure (its layout's meta) tells the browser which button each trace's legend
# entry clicks: a list with one button number (or null) per trace, in the traces' order.
LEGEND_BUTTONS = "pts_legend_buttons"

# Streamlit's chart events report no legend click, but plotly.js tells the chart (plotly_legendclick, also
# with the legend's own click turned off): a click on a legend entry clicks that entry's button under the
# chart (_legend_buttons), so both set the filters by one way, the button's. The listener goes on a chart
# at the press that starts the click (pointerdown, before plotly's own mousedown), once per chart however
# often it is drawn again; the second click of a double click is not a second press of the button. Added
# once per browser tab (ui.frame, beside the skip links); without scripts the buttons stay.
LEGEND_CLICKS = """<script>
(() => {
  if (window.ptsLegendClicks) return;
  window.ptsLegendClicks = true;
  const pressed = new WeakMap();  // chart -> when its legend was last clicked (ms)
  const clicked = (event) => {
    const gd = event.node && event.node.closest(".js-plotly-plot");
    const box = gd && gd.closest('[class*="st-key-"]');
    const key = box && [...box.classList].find((c) => c.startsWith("st-key-"));
    const numbers = gd && gd.layout && gd.layout.meta && gd.layout.meta["%LEGEND_BUTTONS%"];
    if (!key || !Array.isArray(numbers)) return;
    const n = numbers[event.curveNumber];
    if (n === null || n === undefined) return false;
    const now = Date.now();
    if (now - (pressed.get(gd) || 0) < 600) return false;
    pressed.set(gd, now);
    const button = document.querySelector(`.${key}_legend_${n} button`);
    if (button) button.click();
    return false;
  };
  document.addEventListener("pointerdown", (event) => {
    const gd = event.target.closest && event.target.closest(".js-plotly-plot");
    if (!gd || typeof gd.on !== "function") return;
    gd.removeListener("plotly_legendclick", clicked);
    gd.on("plotly_legendclick", clicked);
  }, true);
})();
</script>""".replace("%LEGEND_BUTTONS%", LEGEND_BUTTONS)


def _legend_buttons(key: str, entries: list[dict[str, str]]) -> None:
    """One button per legend entry, under its chart: a click sets that entry's filters, as a click on its
    curve or bar does; a click on the entry in the legend clicks it (LEGEND_CLICKS)."""
    if not entries:
        return
    # A filter every entry sets (the stent arm of a stent-only endpoint's curves) is not in the buttons' words,
    # which read as the legend does.
    shared = {f for f, v in entries[0].items() if all(e.get(f) == v for e in entries)}
    with st.container(key=f"{key}_legend_filters", horizontal=True, gap="small", vertical_alignment="center"):
        st.caption("Filter to a legend entry:", width="content")
        for n, filters in enumerate(entries):
            st.button(
                _filter_words({f: v for f, v in filters.items() if f not in shared} or filters),
                key=f"{key}_legend_{n}",
                on_click=_set_filters,
                args=(dict(filters),),
                icon=":material/filter_alt:",
                type="tertiary",
                help="Sets this filter in the sidebar (a chip, and the address), as a click on its curve or bar does.",
            )


def _set_filters(filters: Mapping[str, str]) -> None:
    for field, value in filters.items():
        state.set_value(field, [value])


def _clicked(key: str) -> None:
    """A chart's selection callback: the clicked point's filters replace the sidebar's for those
    fields (a click narrows to what was clicked); the chart is drawn anew on the new cohort."""
    event = st.session_state.get(key)
    points = list(getattr(getattr(event, "selection", None), "points", None) or [])
    if not points:
        return
    point = points[0]
    targets = st.session_state.get(_CLICK_TARGETS + key, [])
    chosen = click_targets(targets, int(point.get("curve_number", -1)), int(point.get("point_index", -1)))
    for field, value in chosen.items():
        state.set_value(field, [value])


VEINS_DIAGRAM = Path(__file__).with_name("iliofemoral_veins.svg")


def veins_diagram() -> None:
    """The iliofemoral veins, with the five segments an obstruction site names."""
    # Markdown, not st.html: st.html's sanitizer drops inline SVG.
    st.markdown(f'<figure class="veins">{VEINS_DIAGRAM.read_text()}</figure>', unsafe_allow_html=True)
    st.caption(
        "The iliofemoral veins from the front. Blue: the five segments an obstruction site names; grey: branches "
        "not recorded as sites; red: the right common iliac artery, which can compress the left common iliac vein."
    )


def curve_protection(drawn: display.ShownCurves, labels: dict[str, str]) -> None:
    """Under a survival or incidence chart drawn with small cells hidden: what was done to its
    curves and numbers at risk, in words (display.ShownCurves), groups named as text."""
    if drawn.k >= 2:
        note(drawn.note(labels, escape.markdown))


def note(text: str, draw: Callable[..., Any] = st.caption, **options: Any) -> None:
    """Words the page shows beside its numbers (Markdown; values of the data through
    escape.markdown), drawn by `draw` (a caption, a warning) and recorded for the report as the
    text they read as."""
    draw(text, **options)
    recorder.add_note(escape.markdown_text(text))


def patient_rows(name: str, frame: pd.DataFrame, r_script: str, readme: str) -> None:
    """The page's analysed patients, one row each, offered in its Export menu (refused below k
    patients where small cells are protected, as the cohort's patient rows are)."""
    recorder.set_patients(exports.PatientRows(name, frame, r_script, readme))
