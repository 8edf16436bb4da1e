"""The cohort filter panel shared by every page, with live counts per arm."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import charts, display, escape, glossary, privacy, vocab
from pts_explorer.filters import OPTION_FIELDS, VOCABULARIES, CohortFilter, more_words
from pts_explorer.settings import COHORT_KEYS, SETTINGS
from pts_explorer.ui import cohorts, state
from pts_explorer.ui.data import query

_COHORT = "_cohort"
# Where the sidebar's first skip link (frame.SKIP_LINKS) takes the keyboard: the next Tab is the cohort's.
FILTERS_ANCHOR = '<div id="cohort-filters" tabindex="-1" aria-label="Cohort filters"></div>'
# The skip link to the filters (ui.frame.SKIP_LINKS) lands on the first filter's control itself, not on the
# anchor: the next Tab from the anchor was the first filter's help icon, whose tooltip covers the page's
# title (third review of issue 28, finding 5). Added once per browser tab; without scripts the anchor stays.
SKIP_SCRIPT = """<script>
(() => {
  if (window.ptsSkipToFilters) return;
  window.ptsSkipToFilters = true;
  const help = '[data-testid="stTooltipIcon"], [data-testid="stTooltipHoverTarget"]';
  const wanted = 'input:not([type="hidden"]), textarea, select, [role="combobox"], button';
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href="#cohort-filters"]');
    const anchor = document.getElementById("cohort-filters");
    if (!link || !anchor) return;
    const first = [...document.querySelectorAll(wanted)].find((el) =>
      (anchor.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) && !el.closest(help)
      && !el.disabled && el.getClientRects().length > 0);
    if (!first) return;
    event.preventDefault();
    first.focus();
  }, true);
  // Each filter's help icon (?) is no Tab stop of its own (fourth review of issue 28: they doubled the Tab
  // presses through the filters): the help is the control's accessible description (the hidden
  // #cohort-filter-help, written by the filter panel), read with the control, and the "Explain the filters"
  // toggle writes it under every filter. The icon still opens its tooltip on hover.
  const describe = () => {
    const texts = document.getElementById("cohort-filter-help");
    if (!texts) return;
    document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stTooltipIcon"] button').forEach((icon) => {
      if (icon.getAttribute("tabindex") !== "-1") icon.setAttribute("tabindex", "-1");
      const label = (icon.getAttribute("aria-label") || "").replace(/^Help for /, "");
      const text = [...texts.children].find((el) => el.dataset.label === label);
      const box = icon.closest('[data-testid="stElementContainer"]');
      if (!text || !box) return;
      box.querySelectorAll(
        'input:not([type="hidden"]), [role="slider"], [role="combobox"], [data-testid="stButtonGroup"] button'
      ).forEach((control) => {
        if (control !== icon && control.getAttribute("aria-describedby") !== text.id) {
          control.setAttribute("aria-describedby", text.id);
        }
      });
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; describe(); });
  }).observe(document.body, {childList: true, subtree: true});
  describe();
})();
</script>"""
_HELPS = "_filter_help_texts"  # this run's (label, help) of the sidebar's filters, for the anchor's hidden texts
EXPLAIN = "filter_help_shown"  # the "Explain the filters" toggle: each filter's help written under it


def _help(label: str, text: str) -> str:
    """A filter's help, kept for the accessible descriptions (help_block) and written under the filter while
    "Explain the filters" is on; returned for the widget's own tooltip."""
    st.session_state.setdefault(_HELPS, []).append((label, text))
    return text


def _explained(label: str) -> None:
    """Under the filter just drawn: its help, while "Explain the filters" is on (keyboard users read it
    there; the help icon is no Tab stop)."""
    if st.session_state.get(EXPLAIN) and not state.presenting():
        for name, text in reversed(st.session_state.get(_HELPS, [])):
            if name == label:
                st.caption(text)
                return


def plain_help(text: str) -> str:
    """A help text's words without its Markdown (bold, italics, links, hard line breaks)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?<!\w)_([^_]+)_(?!\w)", r"\1", text.replace("**", "").replace("*", ""))
    return re.sub(r"\s+", " ", text).strip()


def help_block(helps: list[tuple[str, str]]) -> str:
    """The filters' help as hidden elements the script makes each control's accessible description."""
    spans = "".join(
        f'<span id="cohort-help-{i}" data-label="{html.escape(label)}">{html.escape(plain_help(text))}</span>'
        for i, (label, text) in enumerate(helps)
    )
    return f'<div id="cohort-filter-help" hidden>{spans}</div>'


COUNTS_HELP = (
    "The number beside each option: the patients the other filters keep who have it (what choosing it alone "
    "would show, and what a click adds or removes)."
)


def _multiselect(key: str, label: str, options: dict[str, str], help_text: str | None, counts: dict[str, str]) -> None:
    state.control(
        key,
        st.multiselect,
        label,
        list(options),
        valid=list(options),
        names={v: options.get(v) or str(v) for v in options},  # the labels without their counts, which change
        format_func=lambda v: _with_count(options.get(v) or str(v), counts.get(v)),
        placeholder="All",
        help=_help(label, f"{help_text}  \n{COUNTS_HELP}" if help_text else COUNTS_HELP),
        # Typed letters match within a label ("TRI": TRIAL, not REGISTRY as the fuzzy default had it), and no
        # "Select 2 matches" entry heads the list: Enter picks the first match, never every study (fourth
        # review of issue 28, finding 5: "TRI" + Enter chose both studies, an unrestricted cohort).
        filter_mode="contains",
        select_all=False,
    )
    _explained(label)


def _with_count(label: str, count: str | None) -> str:
    """ "IVC (4)", "IVC (hidden)": the count as state.COUNT_SUFFIX reads it off a label."""
    return f"{label} ({count})" if count else label


def option_counts(studies: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each filter of OPTION_FIELDS, each option's count as shown beside it: the patients the
    other filters (as they stand this run) keep who have the option; small counts hidden (with their
    complement within the filter, and within its chosen options) where protection is on (_shown)."""
    now = _now(studies)
    found = query("option_counts", now.option_params())
    shield = state.protection()
    options = {"study": list(studies.study_id), "ulcer": list(vocab.ULCER)} | {
        field: list(labels) for field, labels in VOCABULARIES.items()
    }
    shown: dict[str, dict[str, str]] = {}
    for field in OPTION_FIELDS:
        rows = found[found.field == field]
        by_value = dict(zip(rows.value, rows.patients, strict=True))
        chosen = getattr(now, field)
        shown[field] = _shown(shield, options[field], by_value, chosen if isinstance(chosen, tuple) else (chosen,))
    return shown


def _shown(shield: privacy.Protection, values: list[str], by_value: dict, chosen: tuple) -> dict[str, str]:
    """Each option's count as written beside it, small counts hidden where protection is on. Two
    lines of counts add up to a shown total: all the options of a filter (the cohort, when the
    filter chooses nothing) and the chosen ones (the cohort, always: a patient has one value). In
    neither may exactly one count be hidden, or the cohort's total less the others gives it away:
    the smallest other count of the line is hidden too (as privacy.Protection.mask_table does). Where one
    option alone is chosen its count is the cohort's, shown beside the filters: it is shown (unless small)."""
    counts = [int(by_value.get(v, 0)) for v in values]
    hidden = shield.mask(counts)
    lines = [range(len(values)), [i for i, v in enumerate(values) if v in chosen]]
    changed = shield.active
    while changed:  # a count hidden for one line counts as hidden in the other
        changed = False
        for line in lines:
            if sum(hidden[i] for i in line) != 1:
                continue
            others = [(counts[i], i) for i in line if not hidden[i] and counts[i] > 0]
            if others:  # (none: the hidden one is the line's total, hidden itself as a small count)
                hidden[min(others)[1]] = changed = True
    if len(chosen) == 1 and chosen[0] in values:  # the one option chosen counts the cohort, whose count is shown:
        i = values.index(chosen[0])  # showing it adds nothing a reader could subtract (fourth review of issue 28,
        hidden[i] = hidden[i] and shield.small(counts[i])  # finding 7: "Without (hidden)" beside a cohort of 31)
    return {v: shield.count(n, h) for v, n, h in zip(values, counts, hidden, strict=True)}


_MORE_SHOWN = "_more_filters_shown"  # the "More filters" this session added to the panel, restricting or not
MORE_HELP = (
    "Filter by any attribute of the patients: a set of values (centre, limb side, CEAP class) or a range "
    "(stenosis, lesion length, months since DVT, BMI, baseline Villalta or VCSS; inclusive, whole units). A "
    "range left at the data's whole extent restricts nothing; a narrower one leaves out the patients without a "
    "value. Every filter added is in the address, saved cohorts and exports."
)


def _more_controls(studies: pd.DataFrame) -> None:
    """ "More filters": a choice of attributes, and for each chosen a set or a range control. The
    attributes a link or a saved cohort restricts are shown whatever this session chose."""
    restricted = [k for k in vocab.MORE_FILTERS if state.current(k) not in (None, [], ())]
    shown = set(st.session_state.get(_MORE_SHOWN, [])) | set(restricted)
    if not state.controls_drawn():
        return
    st.session_state["more_filters"] = [k for k in vocab.MORE_FILTERS if k in shown]
    st.multiselect(
        "More filters",
        list(vocab.MORE_FILTERS),
        key="more_filters",
        format_func=lambda k: vocab.MORE_FILTERS[k].label,
        placeholder="Add a filter",
        help=_help("More filters", MORE_HELP),
        on_change=_more_chosen,
    )
    _explained("More filters")
    keys = st.session_state["more_filters"]
    if not keys:
        return
    now = _now(studies)
    sets = [k for k in keys if vocab.MORE_FILTERS[k].kind == "set"]
    counts = _more_option_counts(now) if sets else {}
    spread = query("more_filter_distribution") if len(sets) < len(keys) else None
    for key in keys:
        spec = vocab.MORE_FILTERS[key]
        if spec.kind == "set":
            options = spec.options or {v: v for v in query("centers").center_id}
            _multiselect(key, spec.label, options, spec.help, counts.get(key, {}))
        elif spread is not None:
            rows = spread[spread.field == key]
            values, missing = rows[rows.value.notna()], int(rows.patients[rows.value.isna()].sum())
            if values.empty:
                st.caption(f"{spec.label}: no patient has a value in this data.")
                continue
            low, high = _extent(spec, int(values.value.min()), int(np.ceil(values.top.max())))
            chosen = state.current(spec.key)
            shield = state.protection()
            picked = None if chosen is None else (int(chosen[0]), int(chosen[1]))
            bins = display.more_distribution(values, low, high, picked, shield, missing)
            _range_control(spec, low, high, shield.count(missing, bins.attrs["missing_hidden"]) if missing else "")
            _distribution(spec, bins, shield)


def _more_chosen() -> None:
    """The "More filters" choice changed: an attribute taken out stops restricting."""
    chosen = list(st.session_state.get("more_filters", []))
    for key in vocab.MORE_FILTERS:
        if key not in chosen:
            state.set_value(key, SETTINGS[key].default)
    st.session_state[_MORE_SHOWN] = chosen


def _more_option_counts(now: CohortFilter) -> dict[str, dict[str, str]]:
    """Beside each option of the "More filters" sets, the patients the other filters keep who have it
    (as option_counts), small counts hidden where protection is on."""
    found = query("more_option_counts", now.more_option_params())
    shield = state.protection()
    shown: dict[str, dict[str, str]] = {}
    for key, spec in vocab.MORE_FILTERS.items():
        if spec.kind != "set":
            continue
        rows = found[found.field == key]
        by_value = dict(zip(rows.value, rows.patients, strict=True))
        options = list(spec.options or query("centers").center_id)  # every option, a count of 0 written too
        shown[key] = _shown(shield, options, by_value, dict(now.more).get(key, ()))
    return shown


def _extent(spec: vocab.MoreFilter, low: int, high: int) -> tuple[int, int]:
    """A range slider's extent: the data's, widened to the value a link carries."""
    value = state.current(spec.key)
    chosen = (low, high) if value is None else tuple(value)
    return min(low, chosen[0]), max(high, chosen[1])


def _range_control(spec: vocab.MoreFilter, low: int, high: int, missing: str) -> None:
    """A range slider over its extent (_extent): at the whole extent it restricts nothing, so patients
    without a value stay in. `missing`: how many have none, as shown ("" for none)."""
    value = state.current(spec.key)
    chosen = (low, high) if value is None else tuple(value)
    widget = f"more_range_{spec.key}"
    st.session_state[widget] = chosen
    words = f" {missing} patients have no value: a narrower range leaves them out." if missing else ""
    label = f"{spec.label}, {spec.unit}" if spec.unit else spec.label
    st.slider(
        label,
        low,
        high,
        key=widget,
        on_change=_range_changed,
        args=(spec.key, low, high),
        help=_help(label, spec.help + words),
    )
    _explained(label)


SPREAD_WORDS = "Every patient in the data, not only the cohort's (the other filters do not narrow it), by"


def _distribution(spec: vocab.MoreFilter, bins: pd.DataFrame, shield: privacy.Protection) -> None:
    """The small histogram under a range slider: every patient's value, the chosen range in colour; a
    bin hidden where small cells are protected not drawn (display.more_distribution)."""
    st.plotly_chart(
        charts.distribution_figure(bins, spec.label),
        key=f"more_spread_{spec.key}",
        config={"staticPlot": True, "displayModeBar": False},
        width="stretch",
    )
    # Whose values: every patient's, not the cohort's (unlike the counts beside the options), said under it
    # (second review of issue 28, F6).
    words = f"{SPREAD_WORDS} {spec.label}, the range chosen in colour."
    if bins.hidden.any():
        words += (
            f" Bars of fewer than {shield.k} patients are not drawn, nor a bar that the others and the patients "
            "without a value would give away (small cells protected)."
        )
    st.caption(words)


def _range_changed(key: str, low: int, high: int) -> None:
    """A range slider moved: at the data's whole extent it restricts nothing; an end left at the data's
    extent is open (the filter's bound), so "baseline Villalta 10 or more" stays that on later data."""
    a, b = (int(v) for v in st.session_state[f"more_range_{key}"])
    bounds = vocab.MORE_FILTERS[key].bounds
    if (a, b) == (low, high):
        state.set_value(key, None)
    else:
        state.set_value(key, (bounds[0] if a == low else a, bounds[1] if b == high else b))


def _now(studies: pd.DataFrame) -> CohortFilter:
    return CohortFilter.from_mapping({key: state.current(key) for key in COHORT_KEYS}, studies.study_id.tolist())


def _reset_filters() -> None:
    for key in COHORT_KEYS:
        state.set_value(key, SETTINGS[key].default)


def sidebar_filters(drawer: DeltaGenerator | None = None) -> CohortFilter:
    """Draw the filter panel, and parse the cohort once for this run (pages read cohort()). In
    presenter mode the controls are drawn in `drawer` (the slide line's cohort drawer) under the
    cohort's chips, each of which removes its filter; without a drawer the filters keep their values."""
    studies = query("studies")
    cohorts.unmatched_study_notice(studies.study_id.tolist())  # before the study control drops them
    if state.presenting():
        if drawer is None:
            _filter_controls(studies)
            return _parsed(studies)
        with drawer, state.drawn_in_presenter():
            chips_box = st.container(key="drawer_chips", horizontal=True, gap="small", vertical_alignment="center")
            _filter_controls(studies)
            st.button("Reset filters", on_click=_reset_filters, icon=":material/restart_alt:", key="reset_filters")
        cohort = _parsed(studies)
        with chips_box:
            cohort_caption(cohort)
            chips(cohort)
        return cohort
    with st.sidebar:
        anchor = st.empty()  # the skip link's anchor, and the filters' help once they are drawn
        st.markdown("### Cohort")
        counts_box = st.container(key="cohort_counts")
        st.session_state[_HELPS] = []
        _filter_controls(studies)
        st.toggle(
            "Explain the filters",
            key=EXPLAIN,
            help="Write each filter's help under it (what its help icon shows on hover).",
        )
        st.button("Reset filters", on_click=_reset_filters, icon=":material/restart_alt:", key="reset_filters")
        anchor.html(FILTERS_ANCHOR + help_block(st.session_state[_HELPS]) + SKIP_SCRIPT, unsafe_allow_javascript=True)
        saved_box = st.container()
    cohort = _parsed(studies)
    with counts_box:
        _cohort_counts(cohort)
    with saved_box:
        cohorts.sidebar_panel(cohort)
    return cohort


def _filter_controls(studies: pd.DataFrame) -> None:
    counts = option_counts(studies)
    study_labels = dict(zip(studies.study_id, studies.study_id + " · " + studies.design, strict=True))
    _multiselect("study", "Study", study_labels, glossary.tip("randomized"), counts["study"])
    _multiselect("arm", "Arm", vocab.ARMS, "Stent (with angioplasty), or medical management alone.", counts["arm"])
    _multiselect("site", "Obstruction site", vocab.SITES, glossary.tip("obstruction_site"), counts["site"])
    _multiselect("grade", "Stenosis grade", vocab.GRADES, glossary.tip("stenosis_grade"), counts["grade"])
    _multiselect("band", "Baseline PTS band", vocab.BANDS, glossary.tip("pts_band"), counts["band"])
    _multiselect("sex", "Sex", vocab.SEXES, None, counts["sex"])
    state.control("age", st.slider, "Age, years", vocab.AGE_MIN, vocab.AGE_MAX)
    ulcer_labels = {"yes": "With ulcer", "no": "Without"}
    state.control(
        "ulcer",
        st.segmented_control,
        "Ulcer at baseline",
        list(vocab.ULCER),
        format_func=lambda v: _with_count(ulcer_labels[v], counts["ulcer"].get(v)),
        help=_help(
            "Ulcer at baseline",
            "An open venous ulcer at the month-0 visit (CEAP C6); it puts the PTS band at severe.  \n" + COUNTS_HELP,
        ),
    )
    _explained("Ulcer at baseline")
    _more_controls(studies)


def _parsed(studies: pd.DataFrame) -> CohortFilter:
    chosen = {key: state.current(key) for key in COHORT_KEYS}
    cohort = CohortFilter.from_mapping(chosen, studies.study_id.tolist())
    st.session_state[_COHORT] = cohort
    return cohort


def cohort() -> CohortFilter:
    """The cohort of this run, parsed once by the filter panel."""
    return st.session_state.get(_COHORT, CohortFilter())


def cohort_by_arm() -> pd.Series:
    """The cohort's patients per arm, as its line and drawer count them (display.part_hidden: a count of
    part of an arm whose count here reads hidden reads hidden too)."""
    sizes = query("cohort_size_by_study_arm", cohort().as_params())
    return sizes.groupby("arm").patients.sum().reindex(list(vocab.ARMS), fill_value=0)


def _cohort_counts(chosen: CohortFilter) -> None:
    counts = query("cohort_counts", chosen.as_params()).set_index("arm").reindex(["stent", "medical"], fill_value=0)
    shield = state.protection()
    hidden = shield.mask(counts.matching.tolist())  # the arms add up to the cohort shown above them
    total, matching = int(counts.total.sum()), int(counts.matching.sum())
    # The totals hide where what the filters removed is 1..k-1: "2,637 of 2,640" would say 3 were removed.
    whole, arms = shield.totals_hidden(counts.matching.tolist(), counts.total.tolist())
    st.markdown(f"**{shield.count(matching)}** of {shield.count(total, whole or None)} patients")
    cols = st.columns(2)
    for col, arm, hide, hide_total in zip(cols, ("stent", "medical"), hidden, arms, strict=True):
        col.metric(
            vocab.ARMS[arm],
            shield.count(counts.matching[arm], hide),
            f"of {shield.count(counts.total[arm], hide_total or None)}",
            delta_color="off",
            delta_arrow="off",
        )


_CHIP_FIELDS = {"arm": vocab.ARMS, "site": vocab.SITES, "grade": vocab.GRADES, "band": vocab.BANDS, "sex": vocab.SEXES}


def active_filters(chosen: CohortFilter) -> list[tuple[str, object, str]]:
    """(key, value, label) of every restriction of the cohort, for one-click removal."""
    chips: list[tuple[str, object, str]] = [("study", s, escape.markdown(s)) for s in chosen.study]  # labels: Markdown
    for key, labels in _CHIP_FIELDS.items():
        prefix = "Baseline band: " if key == "band" else ""
        chips += [(key, v, prefix + labels[v]) for v in getattr(chosen, key)]
    if chosen.age != SETTINGS["age"].default:
        chips.append(("age", chosen.age, f"Age {chosen.age[0]}-{chosen.age[1]}"))
    if chosen.ulcer:
        chips.append(("ulcer", chosen.ulcer, vocab.ULCER[chosen.ulcer]))
    for key, value in chosen.more:
        if vocab.MORE_FILTERS[key].kind == "set":  # one chip per value, a centre's written as text from the data
            chips += [(key, v, more_words(key, (v,), escape.markdown)) for v in value]
        else:
            chips.append((key, value, more_words(key, value)))
    return chips


def cohort_caption(cohort: CohortFilter) -> None:
    """ "Cohort:" before its chips, or "Cohort: all patients" when nothing restricts it."""
    st.caption("Cohort:" if active_filters(cohort) else "Cohort: all patients", width="content")


def chips(cohort: CohortFilter) -> None:
    """The cohort's filters as chips, each removing its own (a button: "Femoral ×")."""
    for key, value, label in active_filters(cohort):
        st.button(
            f"{label} ×",
            key=f"chip_{key}_{value}",
            type="tertiary",
            on_click=remove_filter,
            args=(key, value),
            help=f"Remove the filter: {label}",
        )


def remove_filter(key: str, value: object) -> None:
    """A chip's callback: drop one value of a filter (or reset a range or a single choice)."""
    current = state.current(key)
    if isinstance(current, list):
        state.set_value(key, [v for v in current if v != value])
    else:
        state.set_value(key, SETTINGS[key].default)
