"""Compare: two cohorts side by side (saved cohorts, named subgroups or the sidebar's filters),
within one arm or both: sizes and overlap, baseline balance, trajectories, change, responders, patency.
Patients in both cohorts are left out of the cohort that also holds others by default (B against the
rest of A, or A only against B only), so no patient counts twice; counted in each, every result says
what they do to it. Each result says where its patients come from (randomized, observational, pooled)."""

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, escape, glossary, reproduce, ui, vocab
from pts_explorer.analytics import compare, designs, responders, survival, trajectories

current = ui.page_header("Compare cohorts")
c1, c2, c3, c4, c5 = st.columns([2.3, 2.3, 1.1, 1.5, 1.4], vertical_alignment="bottom")
a, b = ui.two_cohorts(current, c1, c2)
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
arms = compare.arms_of(arm_choice)
extra = ui.more_cohorts(current, c5, a, b)  # cohorts C and D: three or four cohorts side by side


SMD_HIDDEN_WORDS = (
    " A category's SMD reads hidden where one of its cells (or a cohort's column) is: with the cohorts' sizes it "
    "would give the cells back."
)


def _named(choice: ui.CohortChoice) -> str:
    """A cohort in a few words, for the presenter line: the sidebar's filters, a named subgroup's
    label or a saved cohort's name."""
    if choice.ref == "current":
        return f"the sidebar's filters ({choice.cohort.describe(escape.markdown)})"
    return escape.markdown(choice.label) if choice.saved is None else f"saved {escape.markdown(choice.saved.name)}"


def _plain(choice: ui.CohortChoice) -> str:
    """A cohort in plain words for the exports (an image's caption, the report): what it is and its filters."""
    filters = choice.cohort.describe()
    if choice.ref == "current":
        return f"the sidebar's filters ({filters})"
    return f"{choice.label} ({filters})" if choice.saved is None else f"saved cohort {choice.saved.name} ({filters})"


def _patency_chart(
    km: pd.DataFrame,
    title: str,
    labels: dict[str, str],
    sides: tuple[str, ...],
    hidden: set[tuple[str, str]],
) -> Any:
    """Kaplan-Meier primary patency of each side (km_counts rows, group_value the side), coarsened under
    small-cell protection (display.shown_curves), with the stented patients with a successful procedure of
    each side (not the cohorts' arms). A side whose stent arm's n the line hides (`hidden`: line_hidden) has
    no curve nor count: its stented patients are part of that arm. Returns the curves as drawn, for
    ui.curve_protection's words."""
    shield = ui.protection()
    fits = survival.fit_km(km)
    risk = survival.at_risk(km, survival.ticks_days(float(km.duration_days.max())))
    gone = {side for side in sides if (side, "stent") in hidden}
    drawn = display.shown_curves(survival.curves(fits), km, risk, shield, hidden_groups=gone)  # coarsened
    marks = drawn.read(survival.landmarks(fits, km))
    marks.loc[marks.at_risk.map(shield.too_few), ["estimate", "ci_low", "ci_high"]] = np.nan
    ui.chart(
        drawn.annotate(
            charts.km_figure(drawn.curves, drawn.risk, title, "Primary patency", labels, risk_rounded_to=drawn.k),
            labels,
        ),
        "compare_km",
        drawn.alt(display.summary_curves(marks, labels), labels),
        patients=", ".join(
            f"{shield.count(int(km.n[km.group_value == s].sum()), (s in gone) or None)} {labels[s]}" for s in sides
        )
        + ", stented",
    )
    return drawn


def _left_out_of_the_others(sidebar: str, others: list[str]) -> str:
    """What leaving the shared patients out does when one cohort is the sidebar's filters: every patient who
    meets them is out of the other cohorts' own patients, so those hold only patients who do not (with
    eligibility criteria as filters, the ineligible). First review, finding 5."""
    return (
        f"Cohort {sidebar} is the sidebar's filters, and the patients in more than one cohort are left out: "
        f"{', '.join(f'**{o}**' for o in others)} hold only patients who do **not** meet the sidebar's filters "
        "(set as eligibility criteria, the ineligible ones). Count the patients in more than one cohort in each "
        "to compare the cohorts whole."
    )


def _responders(
    rows: pd.DataFrame,
    labels: dict[str, str],
    title: str,
    counted_words: str,
    heading: Any = st.subheader,
    hidden: set[tuple[str, str]] | None = None,
) -> tuple[int, pd.DataFrame]:
    """Responders at a visit, per cohort and arm, for two cohorts or several: the visit's choice, the heading,
    the shares as key numbers on a slide and as a table (titled "Responders at month <visit>" and `title`), and
    the words on the imputation, the share of the patients due who were seen, and what patients counted in more
    than one cohort do to the shares (`counted_words`, empty where none is). `hidden`: the (cohort, arm) pairs
    whose n the slide's line hides (display.line_hidden), whose shares are hidden too. Returns the visit and
    its rows."""
    shield = ui.protection()
    slide = ui.presenting()  # on a slide: the shares as key numbers under the key chart, and no more
    visit = int(
        ui.control(
            "visit",
            st.selectbox if slide else st.columns([1, 3])[0].selectbox,  # no control (nor its column) on a slide
            "Responders at visit",
            ui.visit_months(True),
            valid=ui.visit_months(True),
            format_func=lambda m: f"Month {m}",
        )
    )
    if not slide:
        heading(
            f"Responders at month {visit}: Villalta improved by {vocab.DEFAULT_THRESHOLD:g}+ points",
            help=glossary.tip("wilson"),
        )
    rates = rows[rows.visit_month == visit]
    shares = display.pair_responder_table(rates, shield, labels, hidden or set())
    ui.key_numbers(  # on a slide: each cohort's share of responders per arm at the visit, as the table shows it
        [
            (
                f"Responders at month {visit}: " * (i == 0) + f"{row['Cohort']}, {row['Arm'].lower()}",
                row["Share (Wilson 95% CI)"],
            )
            for i, row in enumerate(shares.to_dict("records"))
        ]
    )
    if slide:
        return visit, rates
    ui.table(shares, key="compare_responders", title=f"Responders at month {visit}{title}")
    words = [
        "Non-responder imputation: every patient due at the visit (enrolled long enough before the data cut-off, "
        "in a study that schedules it) who was not seen there (lost to follow-up, dead or a missed visit) counts as "
        "not improved, so no share can exceed the share seen (*Seen / due*): where few were seen, the share mostly "
        f"measures who was still followed, not who improved; {responders.PROPORTION_METHOD}."
    ]
    shown_seen = [
        r.seen / r.due
        for r in rates.itertuples()
        if r.due
        and (r.cohort, r.arm) not in (hidden or set())
        and not (shield.small(int(r.seen)) or shield.small(int(r.due) - int(r.seen)) or shield.small(int(r.due)))
    ]
    if shown_seen:
        low, high = (f"{100 * v:.0f}%" for v in (min(shown_seen), max(shown_seen)))
        words.append(
            f"At month {visit}, {low} of the patients due were seen."
            if low == high
            else f"At month {visit}, {low} to {high} of the patients due were seen, by cohort and arm."
        )
    if counted_words:
        words.append(counted_words)
    ui.note(" ".join(words))
    return visit, rates


shield = ui.protection()
if extra:  # three or four cohorts: each its own patients by default, estimates side by side, no pairwise tests
    chosen = {"A": a, "B": b, **extra}
    cohorts = {name: choice.cohort for name, choice in chosen.items()}
    overlaps = compare.overlap_matrix(ui.query, {n: compare.within_arms(c, arms) for n, c in cohorts.items()}, arms)
    row = st.columns([1] * len(chosen) + [2.6], vertical_alignment="bottom")
    apart = True
    if compare.shares_patients(overlaps):
        apart = (
            ui.control(
                "shared",
                row[-1].selectbox,
                "Patients in more than one cohort",
                ["apart", "counted"],
                format_func={"apart": "Left out: each cohort's own patients", "counted": "Counted in each"}.get,
                help="Left out of every cohort they share (no patient counts twice, and the log-rank test holds), "
                "or counted in each cohort (each result then holds for its whole cohort, and no test is made).",
            )
            == "apart"
        )
    several = compare.compare_several(ui.query, cohorts, arms, outcome.column, vocab.DEFAULT_THRESHOLD, apart=apart)
    labels = several.labels
    # The sizes, the overlaps and each side's own patients are sums of the regions of the cohorts' Venn
    # partition: hide what would give a region of 1..k-1 patients away (the patients in all three, ...).
    venn = (
        display.venn_hidden(
            compare.venn_regions(ui.query, cohorts, arms),
            shield,
            apart,
            by_arm_shown=[n for n, choice in chosen.items() if choice.ref == "current"],
        )
        if shield.active and several.shared
        else display.VennHidden()
    )
    if not ui.presenting():
        for col, name in zip(row, several.names, strict=False):
            col.metric(f"Cohort {name}", shield.count(several.sizes[name]), help=chosen[name].about())

    def overlaps_table() -> None:
        """Each cohort's patients and the patients in both of each pair: why a cohort's own patients are few."""
        if ui.presenting():
            return
        st.subheader("Patients in both cohorts, pairwise")
        ui.table(
            display.hide_overlaps(display.overlap_table(several.overlaps, shield), shield, venn.pairs),
            key="several_overlaps",
            title="Patients in both cohorts",
        )

    empty = [n for n in several.names if not several.compared[n]]
    left_out = ""  # on a slide, the cohorts left out, said on the line
    if empty:
        words = []
        for n in empty:
            if not several.sizes[n]:
                words.append(  # its own filters leave no one, or none in the one arm chosen
                    f"Cohort {n} holds no patient"
                    if arm_choice == "both"
                    else f"Cohort {n} holds no {vocab.COMPARE_ARMS[arm_choice].lower()} patient"
                )
            elif apart and labels[n] != n:
                words.append(f"every patient of cohort {n} is also in another cohort, so **{labels[n]}** holds none")
            else:
                words.append(f"no patient of cohort {n} has a baseline {outcome.label}")
        enough = len(several.names) - len(empty) >= 2
        said = "; ".join(words)
        if enough and ui.presenting():  # on a slide: said on the line, not in a box taking the key chart's room
            left_out = f"{said[0].upper()}{said[1:]}: left out"  # (a four-cohort chart stood at 48% of 720 px)
        else:
            st.info(
                said[0].upper()
                + said[1:]
                + (
                    ": left out of the results below."
                    if enough
                    else ": nothing to compare. Choose other cohorts"
                    + (", or count the patients in more than one cohort in each." if apart and several.shared else ".")
                ),
                icon=":material/group_off:",
            )
        if not enough:
            overlaps_table()
            ui.stop()
        several = several.without(empty)
        labels = {n: labels[n] for n in several.names}
    ui.export_cohort("; ".join(f"{name}: {_plain(choice)}" for name, choice in chosen.items()))
    base = several.trajectories[several.trajectories.visit_month == 0]
    at_start = {
        name: {arm: int(base[(base.cohort == name) & (base.arm == arm)].n.sum()) for arm in arms}
        for name in several.names
    }
    # Arms whose n the slide's line hides (small, the other's complement, or hidden in the drawer's count of
    # the sidebar's cohort, which a cohort of the sidebar's filters is part of): their results too.
    in_drawer = ui.cohort_by_arm().to_dict() if shield.active else {}
    hidden = display.line_hidden(
        at_start,
        shield,
        hidden_sides=[n for n in several.names if n in venn.sides],
        cohort_by_arm={n: in_drawer for n in several.names if chosen[n].ref == "current"},
    )
    ui.compared_groups(
        [
            ui.PresentedGroup(
                labels[name],
                at_start[name],
                list(several.designs[name]),  # the studies of the group's patients at baseline
                about=_named(chosen[name]),  # on the group's own line: the slide's line stays a few short lines
                hidden_arms=frozenset(arm for side, arm in hidden if side == name),
            )
            for name in several.names
        ],
        f"patients with a baseline {outcome.label}"
        + ("" if apart or not several.shared else "; patients in more than one cohort count in each"),
        left_out,
    )
    if not several.shared:
        shared_words = "No patient is in more than one cohort."
    elif apart:
        own = ", ".join(
            f"**{labels[n]}** {shield.count(several.compared[n], True if n in venn.sides else None)}"
            for n in several.names
        )
        shared_words = (
            "Patients in more than one cohort are left out of every cohort they are in: each result below is of "
            f"each cohort's own patients ({own} with a baseline value), so no patient counts twice."
        )
    else:
        shared_words = (
            "Patients in more than one cohort count in each: each result holds for its whole cohort, the cohorts' "
            "results move together as far as they share patients, and no test compares them."
        )
    table = shield.protect_stats(several.trajectories, ["n"], ["mean", "sd", "ci_low", "ci_high"])
    table = display.hide_arms(table, shield, hidden)
    ui.chart(
        charts.cohort_pair_figure(table, outcome, change=False, labels=labels),
        "compare_chart",
        f"Mean {outcome.label} at each visit for {', '.join(labels[n] for n in several.names)}, per arm.",
        patients=", ".join(f"{labels[n]} {shield.count(several.compared[n])}" for n in several.names)
        + " with a baseline value",
    )
    if clipped := charts.clipped_intervals(table, outcome):
        ui.note(clipped)
    design_words = "; ".join(
        f"{labels[n]}: {display.design_word(set(several.designs[n].values()))}" for n in several.names
    )
    sidebar = [n for n, choice in chosen.items() if choice.ref == "current"]
    ui.note(
        f"{trajectories.CI_METHOD[0].upper()}{trajectories.CI_METHOD[1:]} at each visit. Where each cohort's patients "
        f"come from: {design_words} (randomized, observational or pooled studies; a pooled or observational cohort's "
        "arms were not assigned at random). "
        + (
            f"The sidebar's filters (the chips under the title) make cohort {' and '.join(sidebar)} only; each other "
            "cohort is its own filters. "
            if sidebar
            else "The sidebar's filters apply to none of these cohorts: each is its own filters. "
        )
        + "  \n".join(f"**{n}**: " + chosen[n].about() for n in several.names)
    )
    apart_from_sidebar = [labels[n] for n in several.names if n not in sidebar and labels[n] != n]
    if (
        apart
        and sidebar
        and sidebar[0] in several.names
        and apart_from_sidebar
        and not chosen[sidebar[0]].cohort.is_unrestricted()
    ):
        ui.note(_left_out_of_the_others(sidebar[0], apart_from_sidebar))
    if ui.presenting():  # a slide: the key chart's numbers, each cohort's responders per arm, end it
        _responders(several.responders, labels, "", "", hidden=hidden)
        ui.end_of_slide()
    overlaps_table()
    if not ui.presenting():
        ui.note(
            "On the diagonal, each cohort's patients (within the arm chosen); elsewhere, the patients in both cohorts "
            "of the row and the column. " + shared_words
        )
    heading = (lambda *_, **__: None) if ui.presenting() else st.subheader  # on a slide: the key chart's numbers
    heading("Baseline of the cohorts", help=glossary.tip("smd"))
    gone = [display.side_name(labels, n) for n in display.sides_hidden(hidden, arms, several.names)]
    ui.table(
        display.hide_side_columns(display.several_table(several.table_one, shield, labels), shield, gone),
        key="compare_table_one",
        rows=len(several.table_one),
        title="Baseline of the cohorts",
    )
    ui.note(
        "Continuous: mean (SD); categorical: n (% of the cohort). Largest SMD: the largest standardized mean "
        f"difference between any two cohorts; {display.SMD_FLAG} above 0.1."
        + (SMD_HIDDEN_WORDS if shield.active else "")
    )
    heading(f"Change in {outcome.label} from baseline, per cohort")
    ui.table(
        display.several_change_table(display.hide_change_rows(several.change, shield, hidden), outcome, shield, labels),
        key="several_change",
        title=f"Change in {outcome.label} from baseline, per cohort",
    )
    k = len(several.names)
    ui.note(
        f"Each cohort's own {trajectories.CI_METHOD} of the change. "
        + (
            f"No test compares the cohorts: with {k} cohorts there would be {k * (k - 1) // 2} pairwise "
            "comparisons; choose two cohorts (no C or D) for the difference between them, with its interval and test."
            if k > 2
            else "No test compares the two left here: choose them as cohorts A and B (no C or D) for the difference "
            "between them, with its interval and test."
        )
    )
    _responders(
        several.responders,
        labels,
        ", per cohort",
        "Each share and interval hold for its cohort; the patients in more than one cohort count in each of their "
        "cohorts' shares, which brings the shares closer."
        if several.shared and not apart
        else "",
        heading,
        hidden,
    )
    heading("Primary patency, per cohort", help=glossary.tip("kaplan_meier"))
    if "stent" not in arms:
        st.info("Patency concerns stented patients: choose both arms or the stent arm.", icon=":material/info:")
        ui.stop()
    km = several.patency
    if km.empty or km.group_value.nunique() < 2:
        st.info("Fewer than two cohorts have a stented patient with a successful procedure.", icon=":material/info:")
        ui.stop()
    drawn = _patency_chart(km, "Primary patency per cohort (Kaplan-Meier)", labels, several.names, hidden)
    if several.shared and not apart:
        ui.note(
            f"{survival.KM_METHOD}. No log-rank test: patients in more than one cohort would count more than once, "
            "and the test assumes each patient once. Leave them out for a test."
        )
    else:
        p = survival.logrank(km)
        ui.note(
            f"{survival.KM_METHOD}; {survival.LOGRANK_METHOD} across the {km.group_value.nunique()} cohorts (whether "
            f"any differs, not which): {display.p_clause(p)}."
        )
    ui.curve_protection(drawn, labels)
    ui.stop()
relation = compare.relation_of(compare.overlap(ui.query, a.cohort, b.cohort, arms))
SHARING = {  # the relation of the two cohorts: (left apart, counted in each)
    compare.B_IN_A: ("B against the rest of A", "B against all of A (B's patients on both sides)"),
    compare.A_IN_B: ("A against the rest of B", "A against all of B (A's patients on both sides)"),
    compare.OVERLAP: ("A only against B only", "A against B (patients in both on both sides)"),
}
cols = st.columns([1, 1, 1, 2.4], vertical_alignment="bottom")
apart = True
if relation in SHARING:
    apart = (
        ui.control(
            "shared",
            cols[3].selectbox,
            "Compare",
            ["apart", "counted"],
            format_func=dict(zip(["apart", "counted"], SHARING[relation], strict=True)).get,
            help="Patients in both cohorts: left out of the cohort that also holds others (no patient counts "
            "twice), or counted in each (the intervals and tests below then do not hold as they would; the "
            "page says how beside each result).",
        )
        == "apart"
    )
result = compare.compare_cohorts(
    ui.query, a.cohort, b.cohort, arms, outcome.column, vocab.DEFAULT_THRESHOLD, apart=apart
)
sizes = result.sizes
shared = result.shared
if not ui.presenting():  # on a projector the presenter line states the two groups compared: the chart stays whole
    cols[0].metric("Cohort A", shield.count(int(sizes.in_a.sum())), help=a.about())
    cols[1].metric("Cohort B", shield.count(int(sizes.in_b.sum())), help=b.about())
    cols[2].metric(
        "In both", shield.count(shared), help="Patients who meet both cohorts' filters (within the arm chosen)."
    )
if result.empty:
    ui.empty_cohort(compare.within_arms(a.cohort if not int(sizes.in_a.sum()) else b.cohort, arms))
    ui.stop()
if relation == compare.SAME:
    same = f"Cohorts A and B hold the same {shield.count(shared)} patients in this arm choice: nothing to compare."
    st.info(  # on a slide nobody can choose (review 27d, finding 3)
        same if ui.presenting() else f"{same} Choose another cohort for B.", icon=":material/compare_arrows:"
    )
    ui.stop()

labels = result.labels
counted = result.shared_in_results  # some patients count on both sides of the results below
# The sides' patients and those in both add up to the cohorts' sizes (A's is the drawer's and the sidebar's
# count): where one of the three is hidden, all three are, or the others would give it away by subtraction.
sides_hidden = relation != compare.DISJOINT and any(
    shield.small(n) for n in (shared, result.compared["A"], result.compared["B"])
)
n_a, n_b = (shield.count(result.compared[side], sides_hidden or None) for side in ("A", "B"))
shared_text = shield.count(shared, sides_hidden or None)
side_counts = f"{labels['A']} {n_a}, {labels['B']} {n_b} with a baseline value"


def per_side(counts: dict[str, list[int]], who: str) -> str:
    """Each side's patients in a result, in words ("A without B 101 to 1,040, B 31 to 329 per
    visit"): one number where every point has the same, else the smallest and the largest."""
    words = []
    for side in ("A", "B"):
        low, high = (shield.count(int(f(counts[side]))) for f in (min, max)) if counts[side] else ("0", "0")
        words.append(f"{labels[side]} {low}" if low == high else f"{labels[side]} {low} to {high}")
    return f"{', '.join(words)} {who}"


ui.export_cohort(f"A: {_plain(a)}; B: {_plain(b)}")  # the exports' words for the two groups, not the sidebar's
COMPARED = {
    (compare.DISJOINT, True): "No patient is in both cohorts: A against B.",
    (compare.B_IN_A, True): f"Every patient of B is also in A: B ({n_b} with a baseline value) against the rest of A "
    f"(**A without B**, {n_a}), so no patient counts twice.",
    (compare.A_IN_B, True): f"Every patient of A is also in B: A ({n_a} with a baseline value) against the rest of B "
    f"(**B without A**, {n_b}), so no patient counts twice.",
    (compare.OVERLAP, True): f"The {shared_text} patients in both cohorts are left out: **A only** ({n_a} "
    f"with a baseline value) against **B only** ({n_b}), so no patient counts twice.",
}
compared = COMPARED.get(
    (relation, not counted),
    f"The {shield.count(shared)} patients in both cohorts count on both sides: each result below says what that "
    "does to it.",
)
at_baseline = result.trajectories[result.trajectories.visit_month == 0]
baseline_studies = result.designs("trajectories", visit=0)
at_start = {
    side: {arm: int(at_baseline[(at_baseline.cohort == side) & (at_baseline.arm == arm)].n.sum()) for arm in arms}
    for side in ("A", "B")
}
# The arms whose n the slide's line hides: their curves, shares and differences are hidden with it.
# A side drawn from the sidebar's cohort is part of it: an arm whose n the drawer hides is hidden there too.
in_drawer = ui.cohort_by_arm().to_dict() if shield.active else {}
hidden = display.line_hidden(
    at_start,
    shield,
    ("A", "B") if sides_hidden else (),
    {side: in_drawer for side, choice in (("A", a), ("B", b)) if choice.ref == "current"},
)
ui.compared_groups(  # presenter mode: the line above the slide states these two groups, not the sidebar's cohort
    [
        ui.PresentedGroup(
            labels[side],
            at_start[side],
            list(baseline_studies[side]),
            sides_hidden,
            hidden_arms=frozenset(arm for s, arm in hidden if s == side),
        )
        for side in ("A", "B")
    ],
    f"patients with a baseline {outcome.label}"
    + (f"; the {shield.count(shared)} patients in both count on both sides" if counted else ""),
    f"**A**: {_named(a)}; **B**: {_named(b)}",
)
table = shield.protect_stats(result.trajectories, ["n"], ["mean", "sd", "ci_low", "ci_high"])
table = display.hide_arms(table, shield, hidden)
# At each visit, which designs each curve's patients come from: a pooled curve steps where the trial's
# visits (months 1, 3) or the registry's (36 on) begin or end, because other patients are measured.
measured = result.sources[result.sources.result == "trajectories"]
per_curve = designs.visit_designs(measured, ["cohort", "arm"])
if not per_curve.empty:
    at_point = per_curve.assign(cohort=[c for c, _ in per_curve.lane], arm=[m for _, m in per_curve.lane])
    table = table.merge(
        at_point.assign(design=display.point_designs(per_curve))[["cohort", "arm", "visit_month", "design"]],
        on=["cohort", "arm", "visit_month"],
        how="left",
    ).fillna({"design": ""})
lanes = designs.visit_designs(measured, ["cohort", "arm"], fold="arm")
lane_names = {
    lane: ", ".join([labels[lane[0]], *(vocab.ARMS[arm].lower() for arm in lane[1:])]) for lane in set(lanes.lane)
}
lanes = lanes.iloc[  # A before B, stent before medical, then by visit
    sorted(
        range(len(lanes)),
        key=lambda i: (lanes.lane.iat[i][0], [arms.index(a) for a in lanes.lane.iat[i][1:]], lanes.visit_month.iat[i]),
    )
]
design_words = display.visit_design_words(lanes, lane_names)
ui.chart(
    charts.cohort_pair_figure(
        table, outcome, change=False, labels=labels, strip=display.design_strip(lanes, lane_names, shield)
    ),
    "compare_chart",
    f"Mean {outcome.label} at each visit for {labels['A']} and {labels['B']}, per arm."
    + (
        f" Patients at each visit: {display.visit_design_words(lanes, lane_names, markdown=False)}"
        if design_words
        else ""
    ),
    patients=side_counts,
)
if clipped := charts.clipped_intervals(table, outcome):
    ui.note(clipped)
if marks_note := display.design_marks_note(lanes, lane_names):  # no patient measured: nothing to say
    ui.note(marks_note)
notes = [f"**{n}**: " + c.about() for n, c in (("A", a), ("B", b))]
if counted:
    notes.append(
        "Each cohort's means and intervals hold for that cohort; the patients in both count in both curves, so "
        "the curves are closer than those of the patients who differ."
        if relation in (compare.B_IN_A, compare.A_IN_B)
        else "Each cohort's means and intervals hold for that cohort; the patients in both count in both curves."
    )
ui.note("  \n".join([*notes, compared]))
if ui.presenting():  # a slide: the key chart's numbers, each cohort's responders per arm, end it (the line
    _responders(result.responders, labels, "", "", hidden=hidden)  # states each side's design)
    ui.end_of_slide()
ui.cohort_design_notice("Mean trajectories", result.designs("trajectories"), labels, side_counts)

st.subheader(f"Baseline: {labels['A']} against {labels['B']}", help=glossary.tip("smd"))
ui.table(
    display.hide_side_columns(
        display.pair_table(result.table_one, shield, labels),
        shield,
        [display.side_name(labels, side) for side in display.sides_hidden(hidden, arms, ("A", "B"))],
    ),
    key="compare_table_one",
    rows=len(result.table_one),
    title=f"Baseline: {labels['A']} against {labels['B']}",
)
ui.note(
    f"Continuous: mean (SD); categorical: n (% of the cohort). SMD: standardized mean difference, {labels['A']} vs "
    f"{labels['B']}; {display.SMD_FLAG} above 0.1."
    + (" The patients in both count on both sides, which makes the SMDs smaller." if counted else "")
    + (SMD_HIDDEN_WORDS if shield.active else "")
)

st.subheader(f"Change in {outcome.label} from baseline: {labels['A']} minus {labels['B']}", help=glossary.tip("welch"))
difference = shield.protect_stats(
    result.change, ["n_a", "n_b"], ["mean_change_a", "mean_change_b", "diff", "ci_low", "ci_high", "df", "p_value"]
)
difference = display.hide_difference_rows(difference, shield, hidden)  # an arm the line hides, on either side
if difference.empty:
    st.info("No visit after baseline has patients on both sides.", icon=":material/event_busy:")
else:
    row_designs = {}
    for arm, month in zip(difference.arm, difference.visit_month, strict=True):
        found = result.designs("change", [arm], int(month))
        row_designs[(str(arm), int(month))] = (set(found["A"].values()), set(found["B"].values()))
    ui.table(
        display.pair_difference_table(difference, outcome, labels, row_designs),
        key="compare_difference",
        title=f"Change from baseline: {labels['A']} minus {labels['B']}",
        rows=len(difference),
    )
    if not counted:
        overlap_words = "The two sides share no patient, as Welch's interval assumes."
    elif relation in (compare.B_IN_A, compare.A_IN_B):
        inner = "B" if relation == compare.B_IN_A else "A"
        outer = "A" if inner == "B" else "B"
        exact = "the rest of A − B" if inner == "B" else "A − the rest of B"
        overlap_words = (
            f"**{inner}'s patients are also in {outer}**: the difference is diluted (it equals {exact}, times the "
            f"share of {outer}'s patients measured at the visit who are not in {inner}), and Welch's "
            "interval, which assumes independent samples, is too wide and its p too large, because the shared "
            f"patients make the two means move together. Choose *{SHARING[relation][0]}* for the difference "
            "that answers how they differ."
        )
    else:
        overlap_words = (
            "**The patients in both count on both sides**: they enter both means, so the difference is not the "
            "difference between the patients who differ, and Welch's interval, which assumes independent samples, "
            "is too wide and its p too large, because the shared patients make the two means move together. "
            f"Choose *{SHARING[relation][0]}* for groups that share no patient."
        )
    ui.note(
        f"{trajectories.DIFF_METHOD}; {labels['A']} minus {labels['B']}, within each arm. "
        "Patients: the design of the studies each side's patients come from at that visit. " + overlap_words
    )
    by_visit = result.change.groupby("visit_month")[["n_a", "n_b"]].sum()  # each visit's patients, over the arms
    ui.cohort_design_notice(
        "Change from baseline",
        result.designs("change"),
        labels,
        per_side(
            {"A": by_visit.n_a.tolist(), "B": by_visit.n_b.tolist()},
            "per visit with a baseline value and the visit's",
        ),
    )

visit, rates = _responders(
    result.responders,
    labels,
    f": {labels['A']} against {labels['B']}",
    "Each share and interval hold for its cohort; the patients in both count in both shares, which brings the "
    "shares closer, and the two intervals overstate how uncertain the gap between them is."
    if counted
    else "",
    hidden=hidden,
)
ui.cohort_design_notice(
    f"Responders at month {visit}",
    result.designs("responders", visit=visit),
    labels,
    per_side({side: [int(rates[rates.cohort == side].due.sum())] for side in ("A", "B")}, f"due at month {visit}"),
)

ui.how_computed(
    "trajectory_summary",
    {**a.cohort.as_params(), "outcome": outcome.column, "by_study": False},
    f"patients of each cohort counted per arm; {trajectories.CI_METHOD}; "
    f"{labels['A']} minus {labels['B']} mean change, {trajectories.DIFF_METHOD}",
    reproduce.compare(
        a.cohort.as_params(),
        b.cohort.as_params(),
        result.statements("trajectory_summary", {"outcome": outcome.column, "by_study": False}),
        arms,
        outcome.column,
        config.db_path(),
    ),
)

st.subheader(f"Primary patency: {labels['A']} against {labels['B']}", help=glossary.tip("kaplan_meier"))
if "stent" not in arms:
    st.info("Patency concerns stented patients: choose both arms or the stent arm.", icon=":material/info:")
    ui.stop()
km = result.patency
if km.empty or km.group_value.nunique() < 2:
    st.info("One of the cohorts has no stented patient with a successful procedure.", icon=":material/info:")
    ui.stop()
drawn = _patency_chart(
    km, f"Primary patency, {labels['A']} and {labels['B']} (Kaplan-Meier)", labels, ("A", "B"), hidden
)
stented_in_both = int(sizes.loc[sizes.arm == "stent", "in_both"].sum())
if counted and stented_in_both:
    ui.note(
        f"{survival.KM_METHOD}. No log-rank test: the {shield.count(stented_in_both)} stented patients in both "
        "cohorts would count twice, and the test assumes each patient once. Each curve holds for its cohort. "
        f"Choose *{SHARING[relation][0]}* for a test."
    )
else:
    p = survival.logrank(km)
    ui.note(f"{survival.KM_METHOD}; {survival.LOGRANK_METHOD}: {display.p_clause(p)}.")
ui.curve_protection(drawn, labels)
ui.cohort_design_notice(
    "Primary patency",
    result.designs("patency"),
    labels,
    per_side(
        {side: [int(km.n[km.group_value == side].sum())] for side in ("A", "B")},
        "stented with a successful procedure",
    ),
)
