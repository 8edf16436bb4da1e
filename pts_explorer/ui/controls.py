"""The analysis controls shared by the Effects, Subgroups and Responders pages."""

from __future__ import annotations

import streamlit as st

from pts_explorer import candidate, glossary, vocab
from pts_explorer.filters import AnalysisSettings, CohortFilter
from pts_explorer.settings import SETTINGS
from pts_explorer.ui import state
from pts_explorer.ui.data import query

REGISTRY_HELP = (
    "Off: randomized patients only, the unconfounded comparison. On: registry patients are added and "
    "the comparison becomes observational."
)


def visit_months(include_registry: bool) -> list[int]:
    """Post-baseline scheduled visits of the studies in the analysis set."""
    studies = query("studies")
    eligible = studies if include_registry else studies[studies.design == "randomized"]
    return sorted({int(m) for months in eligible.visit_months for m in months if m > 0}) or [6]


def analysis_controls(cohort: CohortFilter, with_outcome: bool = True) -> AnalysisSettings:
    """Outcome, visit and analysis-set controls in one row, bound to the URL."""
    cols = st.columns([2, 1.4, 2.2] if with_outcome else [1.4, 2.2], vertical_alignment="bottom")
    outcome = "villalta_total"
    if with_outcome:
        outcome = state.control(
            "outcome",
            cols[0].selectbox,
            "Outcome",
            list(vocab.OUTCOMES),
            format_func=lambda k: vocab.OUTCOMES[k].label,
            help=glossary.outcome_tip(),
        )
    include_registry = state.control(
        "registry", cols[-1].toggle, "Include observational (registry) patients", help=REGISTRY_HELP
    )
    months = visit_months(include_registry)
    visit = state.control(
        "visit", cols[-2].selectbox, "Visit", months, valid=months, format_func=lambda m: f"Month {m}"
    )
    return AnalysisSettings(cohort, outcome, int(visit), randomized_only=not include_registry)


def _optional(options: dict[str, str]) -> dict:
    """Selectbox arguments for an optional choice: nothing chosen until the user picks."""
    return {"index": None, "placeholder": "not given", "format_func": options.get}


def candidate_profile() -> tuple[candidate.Profile, list[str], int]:
    """The Candidate page's form, every field optional and bound to the URL: the profile, what was
    left out of it and why, and the matched patients per arm."""
    before, problems = candidate.from_settings(_profile_values())
    if state.presenting():  # no form on a projector: the profile stands in the page's heading
        return before, problems, int(state.current("c_k"))
    label = f"Profile: {before.describe()}" if not before.empty else "Enter the candidate's profile"
    # Keyed: it stays open or closed as the user left it while the label follows the profile.
    with st.expander(label, expanded=before.empty, key="candidate_form", icon=":material/edit_note:"):
        venography, clinic, person = st.columns(3, gap="large")
        with venography:
            st.markdown("**Venography**")
            state.control("c_site", st.selectbox, "Obstruction site", list(vocab.SITES), **_optional(vocab.SITES))
            left, right = st.columns(2)
            state.control("c_stenosis", left.number_input, "Stenosis, %", step=1, placeholder="0-100")
            state.control("c_grade", right.selectbox, "or grade", list(vocab.GRADES), **_optional(vocab.GRADES))
            left, right = st.columns(2)
            state.control("c_length", left.number_input, "Lesion length, mm", step=1, placeholder="mm")
            state.control("c_side", right.selectbox, "Limb", list(vocab.LIMB_SIDES), **_optional(vocab.LIMB_SIDES))
        with clinic:
            st.markdown("**Clinic**")
            left, right = st.columns(2)
            state.control(
                "c_villalta", left.number_input, "Villalta", step=1, placeholder="0-33", help=glossary.tip("villalta")
            )
            state.control("c_vcss", right.number_input, "VCSS", step=1, placeholder="0-30", help=glossary.tip("vcss"))
            state.control("c_ulcer", st.selectbox, "Open ulcer", list(vocab.YES_NO), **_optional(vocab.YES_NO))
            _villalta_items()
        with person:
            st.markdown("**Patient**")
            left, right = st.columns(2)
            state.control("c_age", left.number_input, "Age, years", step=1, placeholder="18-90")
            state.control("c_sex", right.selectbox, "Sex", list(vocab.SEXES), **_optional(vocab.SEXES))
            left, right = st.columns(2)
            state.control("c_months", left.number_input, "Months since DVT", step=1, placeholder="3 or more")
            per_arm = state.control(
                "c_k",
                right.selectbox,
                "Matched per arm",
                list(candidate.PER_ARM_CHOICES),
                help="How many of the most similar patients of each arm to keep (all tied with the last are kept)",
            )
    profile, problems = candidate.from_settings(_profile_values())
    return profile, problems, int(per_arm)


def _profile_values() -> dict:
    return {key: state.current(key) for key in SETTINGS.settings if key.startswith("c_")}


_ITEM_KEYS = [f"c_item_{item}" for item in vocab.VILLALTA_ITEMS]


def _villalta_items() -> None:
    """The 11 Villalta items, one choice of 0-3 each, bound together to the URL as c_items."""
    current = state.current("c_items") or "x" * len(_ITEM_KEYS)
    drawn = "".join(_item_text(st.session_state.get(key)) for key in _ITEM_KEYS)
    if drawn != current:  # the URL or another page changed the items: the widgets follow
        for key, char in zip(_ITEM_KEYS, current, strict=True):
            st.session_state[key] = None if char == "x" else int(char)
    total = candidate.Profile(items=current).items_total
    label = f"Villalta items (total {total})" if total is not None else "Or score the 11 Villalta items"
    with st.popover(label, width="stretch"):
        for key, item in zip(_ITEM_KEYS, vocab.VILLALTA_ITEMS, strict=True):
            st.segmented_control(
                vocab.VILLALTA_ITEM_LABELS[item.removeprefix("v_")],
                [0, 1, 2, 3],
                key=key,
                on_change=_items_changed,
            )


def _item_text(value: object) -> str:
    return "x" if value is None else str(value)


def _items_changed() -> None:
    items = "".join(_item_text(st.session_state.get(key)) for key in _ITEM_KEYS)
    state.set_value("c_items", None if set(items) == {"x"} else items)
