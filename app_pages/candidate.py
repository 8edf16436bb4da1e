"""Candidate: patients like this one. A lesion seen on venography and a clinic visit, matched to the
loaded data's patients of the same anatomy (widened when too few), what happened to them by arm,
and a model-based estimate of the stent's benefit for this profile. Evidence from the data, not advice."""

import pandas as pd
import streamlit as st

from pts_explorer import candidate, charts, config, display, escape, glossary, reproduce, ui, vocab
from pts_explorer.analytics import candidate as estimate
from pts_explorer.analytics import competing, responders, safety, survival, trajectories
from pts_explorer.filters import MAX_MODEL_PATIENTS

cohort = ui.page_header("Patients like this one")
st.caption(
    "Evidence from the loaded data about patients who resemble one candidate, not a recommendation: the choice "
    "of treatment rests with the clinician and the patient."
)
profile, problems, per_arm = ui.candidate_profile()
for problem in problems:
    st.warning(problem, icon=":material/error:")
if profile.empty and ui.presenting():  # a slide saved without a profile: the room cannot type one
    st.info("This slide shows no candidate: it was saved without a profile.", icon=":material/person_search:")
    ui.stop()
if profile.empty:
    st.info(
        "Enter what venography and the clinic show: every field is optional, and the address keeps the profile so "
        "the case can be shared. For example an [occluded common iliac vein with severe PTS]"
        "(/candidate?c_site=common_iliac&c_stenosis=100&c_villalta=17&c_ulcer=yes&c_age=45&c_sex=female), "
        "or a [mild femoral stenosis with mild PTS](/candidate?c_site=femoral&c_stenosis=40&c_villalta=7&c_age=58).",
        icon=":material/person_search:",
    )
    ui.stop()

# Patients like this: exact anatomy at the narrowest widening that holds enough, nearest first.
pool = {**cohort.as_params(), **profile.pool_params()}
levels = ui.query("candidate_levels", pool)
if levels.empty:  # every cohort patient is in the pool: nobody there means an empty cohort
    ui.empty_cohort(cohort)
    ui.stop()
level, enough = estimate.choose_level(levels)
match = ui.query("candidate_match", {**cohort.as_params(), **profile.match_params(level, per_arm)})
shield = ui.protection()
st.subheader(f"Patients like this: {profile.describe()}", anchor=False)
if match.empty:
    st.info(
        "**No patient of the cohort matches this anatomy**, even widened to "
        f"{candidate.LEVELS[max(candidate.LEVELS)]}. Remove a filter in the sidebar or a field of the profile.",
        icon=":material/person_off:",
    )
    ui.stop()
ids = match.patient_id.tolist()
matched = {"matched_ids": ids}
by_arm = match.groupby("arm").size().reindex(list(vocab.ARMS), fill_value=0)
rule = (
    f"Exact match on {candidate.LEVELS[level]}, then up to {per_arm} nearest patients of each arm by a standardized "
    f"distance over {', '.join(profile.distance_fields()) or 'no other field (all of the anatomy group are kept)'} "
    "(each difference divided by its SD among these patients; 1 for each differing category; a missing value counts "
    f"as 1 SD). Matched from the sidebar's cohort ({cohort.describe(escape.markdown)})."
)
if level > 0 or not enough:
    widened = f"widened to {candidate.LEVELS[level]}" if level > 0 else "not widened"
    st.warning(
        f"Fewer than {candidate.MIN_PER_ARM} patients per arm share {candidate.LEVELS[0]}: the match is {widened}."
        + ("" if enough else f" Even so an arm holds fewer than {candidate.MIN_PER_ARM}: read the numbers with care."),
        icon=":material/zoom_out_map:",
    )
one_arm = [arm for arm in vocab.ARMS if by_arm[arm] == 0]
if one_arm:
    st.warning(
        f"**No {vocab.ARMS[one_arm[0]].lower()} patient matches this profile**: what happened to the others is shown, "
        "but nothing compares the arms.",
        icon=":material/warning:",
    )
sizes = ui.query("cohort_size_by_study_arm@matched_cohort", matched)
ui.analysis_set(sizes.groupby("arm").patients.sum(), sizes.study_id, "matched")
# On a projector the presenter line states the matched patients per arm: no metrics, the chart stays whole.
if not ui.presenting():
    cols = st.columns(4)
    cols[0].metric("Matched, stent", shield.count(int(by_arm["stent"])), help=rule)
    cols[1].metric("Matched, medical", shield.count(int(by_arm["medical"])), help=rule)
    cols[2].metric("Median distance", display.number(float(match.distance.median()), 2), help=rule)
    cols[3].metric("Largest distance", display.number(float(match.distance.max()), 2), help=rule)

# What happened to them, by arm: the Villalta trajectory first, then the rest.
outcome = vocab.OUTCOMES["villalta_total"]
summary = ui.query("trajectory_summary@matched_cohort", {**matched, "outcome": outcome.column, "by_study": False})
table = shield.protect_stats(
    trajectories.summary_table(summary, change=False), ["n"], ["mean", "sd", "ci_low", "ci_high"]
)
# Matched from a trial and a registry, a mean curve can step where one design's visits begin or end
# (the trial's months 1 and 3, the registry's from 36 on): as on Trajectories and Compare, a mark
# under the chart at each visit says which designs the patients measured there come from.
marks = display.TrajectoryMarks(table)
if set(sizes.design[sizes.patients > 0]) >= {"randomized", "observational"}:
    per_study = ui.query("trajectory_summary@matched_cohort", {**matched, "outcome": outcome.column, "by_study": True})
    design_of = dict(zip(sizes.study_id, sizes.design, strict=False))
    marks = display.trajectory_marks(per_study, design_of, table, shield)
table, strip, marks_note, described = marks.table, marks.strip, marks.note, marks.described
ui.chart(
    charts.trajectory_figure(table, outcome, change=False, strip=strip),
    "candidate_chart",
    display.summary_trajectory(table, outcome) + described,
    patients=ui.arm_ranges(table.groupby(["arm", "visit_month"], as_index=False).n.sum(), "visit"),
)
st.caption(f"Villalta total of the matched patients at each visit, {trajectories.CI_METHOD}.")
if marks_note:
    ui.note(marks_note)
# Where the matched patients come from and what the match could not honour: under the chart, which
# stays in the first screen at 1280x720.
mix = estimate.design_mix(sizes)
if mix.observational_dominates:
    amount = "Only" if mix.randomized == 0 else f"Mostly ({display.percent(mix.share)})"
    design_line = (
        f"**{amount} observational (registry) patients match**: treatment was chosen by clinicians, so the arms may "
        "differ in ways the match does not capture, and the matched arms' comparison is observational."
    )
    st.warning(design_line, icon=":material/visibility:")
elif mix.observational:
    design_line = (
        f"**{display.percent(mix.share)} of the matched patients come from the registry**, pooled with trial "
        "patients: the matched arms' comparison is not randomized."
    )
    st.info(design_line, icon=":material/visibility:")
else:
    design_line = (
        ":green-badge[:material/balance: Randomized patients only] every matched patient comes from a randomized "
        "trial; the matched arms are still selected by the match, not by the randomization."
    )
    st.markdown(design_line)
ui.record_design(f"matched patients, {mix.label()}", design_line, by_arm)
agreement = estimate.agreement(profile, match)
missed = estimate.unhonoured(agreement, shield.too_few)
if missed:
    st.warning(
        "**The match could not honour every field of the profile**: " + "; ".join(missed) + ". "
        f"A field counts as honoured when at least {100 * estimate.HONOURED_SHARE:.0f}% of each arm's matched "
        "patients agree with the profile on it.",
        icon=":material/rule:",
    )

slide = ui.presenting()  # a slide: the key chart, its key numbers and the cautions on them, no more
if not slide:  # who the matched patients are and what happened to them: the analyst page's
    st.subheader("Who they are", anchor=False)
    st.caption(rule)
    left, right = st.columns([3, 2])
    with left:
        ui.table(
            display.candidate_similarity(profile, ui.query("candidate_baseline@matched_cohort", matched), shield),
            key="candidate_similarity",
            rows=len(display.CANDIDATE_ROWS),
        )
    with right:
        per_study = sizes.pivot_table(index=["study_id", "design"], columns="arm", values="patients", aggfunc="sum")
        per_study = per_study.reindex(columns=list(vocab.ARMS), fill_value=0).fillna(0).astype(int).reset_index()
        shown = per_study.rename(
            columns={"study_id": "Study", "design": "Design", "stent": "Stent", "medical": "Medical"}
        )
        for arm in ("Stent", "Medical"):
            shown[arm] = shown[arm].map(shield.count)
        ui.table(shown, key="candidate_studies")
    if not agreement.empty:
        st.markdown(
            f"**How many matched patients agree with the profile** (honoured: {100 * estimate.HONOURED_SHARE:.0f}% "
            "or more of each arm)"
        )
        ui.table(display.candidate_agreement(agreement, shield), key="candidate_agreement")

    st.subheader("What happened to them", anchor=False, help=glossary.tip("villalta"))
    threshold = vocab.DEFAULT_THRESHOLD
    params = {
        **matched,
        "threshold": float(threshold),
        "randomized_only": False,
        "days_per_month": vocab.DAYS_PER_MONTH,
    }
    agg = ui.query("responders_by_visit@matched_cohort", params)
    rates = [
        responders.proportions(agg, definition, "nri").assign(definition=text)
        for definition, text in (
            ("responders_points", f"Villalta down {threshold}+"),
            ("responders_band", "One band down"),
        )
    ]
    rates_at = [r[r.visit_month.isin([6, 12])] for r in rates]
    st.markdown(f"**Responders at 6 and 12 months** ({responders.PROPORTION_METHOD})")
    ui.table(display.candidate_responders(pd.concat(rates_at), shield), key="candidate_responders")
    st.caption("A patient due at the visit but not seen counts as not improved.")

    by_arm_params = {**matched, "group": "arm", "randomized_only": False}
    left, right = st.columns(2)
    with left:
        counts = ui.query("km_counts@matched_cohort", {**by_arm_params, "endpoint": "ulcer_healing"})
        st.markdown(f"**Ulcer healing** ({competing.CIF_METHOD})")
        if counts.empty:
            st.caption("No matched patient had an open ulcer at baseline.")
        else:
            incidence = competing.cumulative_incidence(counts)
            healed = competing.landmarks(incidence, counts, years=(1, 5))
            # Under protection read off the curve as it would be drawn (display.ShownCurves)
            healed = display.shown_curves(incidence, counts, pd.DataFrame(), shield, incidence=True).read(healed)
            ui.table(display.candidate_landmarks(healed, "Healed (95% CI)", shield), key="candidate_healing")
            st.caption("Matched patients with an open ulcer at baseline; death before healing is a competing event.")
    with right:
        km = ui.query("km_counts@matched_cohort", {**by_arm_params, "endpoint": "primary_patency"})
        st.markdown(f"**Primary patency of the stented** ({survival.KM_METHOD})")
        if km.empty:
            st.caption("No matched patient had a successful stent procedure.")
        else:
            fits = survival.fit_km(km)
            marks = display.shown_curves(survival.curves(fits), km, pd.DataFrame(), shield).read(
                survival.landmarks(fits, km, years=(1, 5))
            )
            ui.table(display.candidate_landmarks(marks, "Patent (95% CI)", shield), key="candidate_patency")

    safety_params = {**matched, "group": "none", "randomized_only": False}
    events = ui.query("safety_events@matched_cohort", safety_params)
    exposure = ui.query("safety_exposure@matched_cohort", safety_params)
    st.markdown(f"**Complications within 30 days of the procedure, stented patients** ({safety.PROPORTION_METHOD})")
    if exposure[exposure.arm == "stent"].empty:
        st.caption("No matched patient was stented.")
    else:
        stented = safety.rates(events, exposure)
        stented = stented[(stented.arm == "stent") & (stented.period == "within 30 days") & (stented.patients_with > 0)]
        if stented.empty:
            st.caption("None recorded among the stented matched patients.")
        else:
            ui.table(display.safety_table(stented, "within 30 days", shield), key="candidate_safety")

# A model-based estimate for this profile, beside the matched patients' own difference.
if not slide:
    st.subheader(
        "Expected Villalta change for this profile, with and without a stent (lower is better)",
        anchor=False,
        help=glossary.tip("ancova"),
    )
models, fitted_on = [], None
for month in (6, 12):
    data = ui.query(
        "candidate_model",
        {
            **cohort.as_params(),
            "outcome": outcome.column,
            "visit_month": month,
            "randomized_only": True,
            "max_patients": MAX_MODEL_PATIENTS,
        },
    )
    fitted_on = data.dropna(subset=["baseline", "change"]) if fitted_on is None else fitted_on
    fit = estimate.model_estimate(data, profile, month) if not data.empty else None
    if fit is not None:
        models.append(fit)
if models:  # the headline is the randomized model's: the presenter line names its patients beside the matched
    ui.analysis_set(
        sizes.groupby("arm").patients.sum(),
        sizes.study_id,
        f"matched; the expected change from {shield.count(models[0].n_stent)} stent, "
        f"{shield.count(models[0].n_medical)} medical randomized patients of the lesion group (month "
        f"{models[0].visit_month}, complete-case)",
    )
differences = estimate.matched_differences(summary, (6, 12))
cautions = estimate.extrapolation(profile, fitted_on) if fitted_on is not None and not fitted_on.empty else []
if profile.lesion_group is None:
    cautions.insert(0, "the model needs the obstruction site and the stenosis (or its grade) to place the lesion")
elif not models:
    cautions.insert(0, "too few randomized patients of this lesion group in an arm for a model estimate")
if mix.randomized == 0:
    cautions.append("only observational patients match, so the matched difference is not a randomized comparison")
elif mix.observational_dominates:
    cautions.append(
        f"most matched patients ({display.percent(mix.share)}) come from the registry, so the matched difference is an "
        "observational comparison, not a randomized one"
    )
if ui.query("dataset_info").synthetic.iloc[0]:
    cautions.append("the data are synthetic: generated patients calibrated to published figures, not real people")
if models and not slide:  # on a slide the key numbers say them
    for col, model in zip(st.columns(len(models)), models, strict=True):
        col.metric(
            f"Stent − medical change at month {model.visit_month}",
            f"{display.number(model.diff, 1, signed=True)} points",
            help=f"Expected Villalta change with a stent minus without, for this lesion group: 95% CI "
            f"{display.interval(model.ci_low, model.ci_high, 1)}. Negative: more improvement with a stent.",
        )
    st.caption(estimate.group_difference_note(models[0].lesion_group))
if cautions:
    st.warning("**Read with care:** " + "; ".join(cautions) + ".", icon=":material/warning:")
estimates = display.candidate_estimates(models, differences, mix.label())
ui.table(estimates, key="candidate_estimates")
if len(estimates):  # on a slide: the stent − medical differences at the first visit, as the table shows them
    points = next(c for c in estimates.columns if c.startswith("Points"))
    first = estimates[(estimates["Visit (month)"] == estimates["Visit (month)"].iloc[0])]
    ui.key_numbers(
        [
            part
            for row in first.to_dict("records")
            if "stent − medical" in row["Estimate"]
            for part in ((f"Month {row['Visit (month)']}, {row['Estimate']}", row[points]), ("95% CI", row["95% CI"]))
        ]
    )
ui.end_of_slide()
if models:
    st.caption(estimate.READING)
    st.caption(estimate.model_description(models, profile))
st.caption(
    f"{display.sentence(estimate.MODEL_METHOD)}."
    + (f" Formula: `{models[0].formula}`." if models else "")
    + f" Matched ({mix.label()}): {trajectories.DIFF_METHOD}, stent minus medical mean "
    "change among the matched patients."
)
model_params = {
    m.visit_month: {
        **cohort.as_params(),
        "outcome": outcome.column,
        "visit_month": m.visit_month,
        "randomized_only": True,
        "max_patients": MAX_MODEL_PATIENTS,
    }
    for m in models
}
ui.how_computed(
    "trajectory_summary@matched_cohort",
    {**matched, "outcome": outcome.column, "by_study": False},
    f"matched patients counted per arm; their mean Villalta per visit, {trajectories.CI_METHOD}; "
    f"expected benefit: {estimate.MODEL_METHOD}",
    reproduce.candidate(
        matched,
        {m.visit_month: (model_params[m.visit_month], m.formula, m.profile_row) for m in models},
        estimate.MIN_MODEL_PER_ARM,
        config.db_path(),
    ),
)
