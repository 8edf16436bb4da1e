"""Compare: two cohorts side by side (saved cohorts, named subgroups or the sidebar's filters),
within one arm or both: sizes and overlap, baseline balance, trajectories, change, responders, patency."""

import numpy as np
import streamlit as st

from pts_explorer import charts, config, display, glossary, reproduce, ui, vocab
from pts_explorer.analytics import compare, responders, survival, trajectories

current = ui.page_header("Compare two cohorts")
options = ui.cohort_choices(current)
refs = list(options)

c1, c2, c3, c4 = st.columns([2.4, 2.4, 1.1, 1.5], vertical_alignment="bottom")


def label(ref: str) -> str:
    return options[ref].label if ref in options else f"{ref} (no longer saved)"


ref_a = ui.control("a", c1.selectbox, "Cohort A", refs, valid=refs, format_func=label)
ref_b = ui.control("b", c2.selectbox, "Cohort B", refs, valid=refs, format_func=label)
arm_choice = ui.control(
    "compare_arm",
    c3.selectbox,
    "Arm",
    list(vocab.COMPARE_ARMS),
    format_func=vocab.COMPARE_ARMS.get,
)
outcome_key = ui.control(
    "outcome",
    c4.selectbox,
    "Outcome",
    list(vocab.OUTCOMES),
    format_func=lambda k: vocab.OUTCOMES[k].label,
    help=glossary.outcome_tip(),
)
outcome = vocab.OUTCOMES[outcome_key]
arms = ["stent", "medical"] if arm_choice == "both" else [arm_choice]
a, b = options[ref_a], options[ref_b]
for choice in (a, b):
    if choice.saved is not None and ui.saved_on_other_data(choice.saved):
        ui.saved_on_other_data_notice(choice.saved)
if ref_a == ref_b:
    st.info("Cohort A and cohort B are the same: choose another cohort for B.", icon=":material/compare_arrows:")
    ui.stop()


def _about(choice: ui.CohortChoice) -> str:
    """A cohort's label, filters and note, for its metric's help."""
    return f"{choice.label}: {choice.cohort.describe()}" + (f". {choice.note}" if choice.note else "")


shield = ui.protection()
result = compare.compare_cohorts(ui.query, a.cohort, b.cohort, arms, outcome.column, vocab.DEFAULT_THRESHOLD)
sizes = result.sizes
overlap_note = (
    "Patients in both cohorts are counted in each: the two cohorts are not independent samples, so the "
    "differences' confidence intervals below are too narrow and their p-values too small."
)
cols = st.columns(3)
cols[0].metric("Cohort A", shield.count(int(sizes.in_a.sum())), help=_about(a))
cols[1].metric("Cohort B", shield.count(int(sizes.in_b.sum())), help=_about(b))
cols[2].metric(
    "In both",
    shield.count(int(sizes.in_both.sum())),
    help="Patients who meet both cohorts' filters. " + (overlap_note if int(sizes.in_both.sum()) else ""),
)
if result.empty:
    ui.empty_cohort(compare.within_arms(a.cohort if not int(sizes.in_a.sum()) else b.cohort, arms))
    ui.stop()

labels = {"A": "A", "B": "B"}
table = shield.protect_stats(result.trajectories, ["n"], ["mean", "sd", "ci_low", "ci_high"])
ui.chart(
    charts.cohort_pair_figure(table, outcome, change=False, labels=labels),
    "compare_chart",
    f"Mean {outcome.label} at each visit for cohort A and cohort B, per arm.",
)
notes = [
    f"**{n}**: {c.label} ({c.cohort.describe()})" + (f". {c.note}" if c.note else "") for n, c in (("A", a), ("B", b))
]
st.caption("  \n".join(notes + ([overlap_note] if int(sizes.in_both.sum()) else [])))

st.subheader("Baseline: cohort A against cohort B", help=glossary.tip("smd"))
ui.table(display.pair_table(result.table_one, shield), key="compare_table_one", rows=len(result.table_one))
st.caption(
    "Continuous: mean (SD); categorical: n (% of the cohort). SMD: standardized mean difference, cohort A vs "
    f"cohort B; {display.SMD_FLAG} above 0.1."
)

st.subheader(f"Change in {outcome.label} from baseline: A minus B", help=glossary.tip("welch"))
difference = shield.protect_stats(
    result.change, ["n_a", "n_b"], ["mean_change_a", "mean_change_b", "diff", "ci_low", "ci_high", "df", "p_value"]
)
if difference.empty:
    st.info("No visit after baseline has patients in both cohorts.", icon=":material/event_busy:")
else:
    ui.table(display.pair_difference_table(difference, outcome), key="compare_difference", rows=len(difference))
    st.caption(f"{trajectories.DIFF_METHOD}; cohort A minus cohort B, within each arm.")

visit = int(
    ui.control(
        "visit",
        st.columns([1, 3])[0].selectbox,
        "Responders at visit",
        ui.visit_months(True),
        valid=ui.visit_months(True),
        format_func=lambda m: f"Month {m}",
    )
)
st.subheader(
    f"Responders at month {visit}: Villalta improved by {vocab.DEFAULT_THRESHOLD:g}+ points",
    help=glossary.tip("wilson"),
)
rates = result.responders[result.responders.visit_month == visit]
ui.table(display.pair_responder_table(rates, shield), key="compare_responders")
st.caption(f"Non-responder imputation (due but not seen counts as not improved); {responders.PROPORTION_METHOD}.")

ui.how_computed(
    "trajectory_summary",
    {**a.cohort.as_params(), "outcome": outcome.column, "by_study": False},
    f"patients of each cohort counted per arm; {trajectories.CI_METHOD}; "
    f"A minus B mean change, {trajectories.DIFF_METHOD}",
    reproduce.compare(a.cohort.as_params(), b.cohort.as_params(), arms, outcome.column, config.db_path()),
)

st.subheader("Primary patency: cohort A against cohort B", help=glossary.tip("kaplan_meier"))
if "stent" not in arms:
    st.info("Patency concerns stented patients: choose both arms or the stent arm.", icon=":material/info:")
    ui.stop()
km = result.patency
if km.empty or km.group_value.nunique() < 2:
    st.info("One of the cohorts has no stented patient with a successful procedure.", icon=":material/info:")
    ui.stop()
fits = survival.fit_km(km)
risk = survival.at_risk(km, survival.ticks_days(float(km.duration_days.max())))
shown_risk = risk.apply(lambda column: column.map(shield.count)) if shield.active else risk
marks = survival.landmarks(fits, km)
marks.loc[marks.at_risk.map(shield.too_few), ["estimate", "ci_low", "ci_high"]] = np.nan
p = survival.logrank(km)
ui.chart(
    charts.km_figure(
        display.protect_curves(survival.curves(fits), km, shield),
        shown_risk,
        "Primary patency, cohort A and cohort B (Kaplan-Meier)",
        "Primary patency",
        labels,
    ),
    "compare_km",
    display.summary_curves(marks, labels),
)
st.caption(f"{survival.KM_METHOD}; {survival.LOGRANK_METHOD}: {display.p_clause(p)}.")
