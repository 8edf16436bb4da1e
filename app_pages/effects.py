"""Effects: how large is the stent effect once baseline severity (and more) is accounted for."""

import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, escape, glossary, reproduce, ui, vocab
from pts_explorer.analytics import effects

cohort = ui.page_header("Treatment effects")
analysis = ui.analysis_controls(cohort)
params = analysis.as_params()
outcome = vocab.OUTCOMES[analysis.outcome]
month = analysis.visit_month

data = ui.query("analysis_visit", params)
if data.empty:
    ui.no_analysis_data(analysis)
    ui.stop()
# Two analysis sets: the MMRM's (a baseline and at least one later visit) and the ANCOVA's (seen at
# baseline and at the month); the page's n names both, the MMRM's first as its chart comes first.
modelled = ui.query("analysis_long", params)
mmrm_n = modelled.groupby("arm").patient_id.nunique()
ancova_n = data.arm.value_counts()
both = f"{ui.arm_counts(mmrm_n)} in the MMRM; {ui.arm_counts(ancova_n)} seen at month {month} in the ANCOVA"
ui.design_notice(ui.analysis_designs(analysis), remedy="registry", analysed=mmrm_n, counts=both)
ui.analysis_set(
    mmrm_n,
    modelled.study_id,
    f"with a baseline and a later visit (MMRM; ANCOVA at month {month}: {ui.arm_counts(ancova_n)})",
)
shield = ui.protection()
if len(data) >= analysis.max_patients:
    ui.note(f"The models use a stable random sample of {analysis.max_patients:,} patients of this cohort.")

heading, choice = st.columns([3, 2], vertical_alignment="bottom")
heading.subheader("Adjusted effect at every visit (MMRM)", help=glossary.tip("mmrm"))
method = ui.control(
    "mmrm",
    choice.segmented_control,
    "Estimation",
    list(vocab.MMRM_METHODS),
    required=True,
    format_func=vocab.MMRM_METHODS.get,
    help="REML with Satterthwaite degrees of freedom and t-based intervals is what regulatory and published "
    "trial analyses use; ML with Wald z intervals is shown for comparison (its standard errors carry nlme's "
    "N/(N − p) factor, as the R reference reports them).",
)
fits = ui.mmrm_fits(params, method)
tables = [fit.effects.assign(study_group=study) for study, fit in fits.items() if fit is not None]
in_drawer = ui.cohort_by_arm().to_dict() if shield.active else {}  # its hidden arms: their parts read hidden too
hidden_arms = tuple(sorted(display.cohort_hidden_arms(in_drawer, shield)))
failures = ui.mmrm_failures(params, method, shield.k, hidden_arms) if len(tables) < len(fits) else {}
if not tables:
    reasons = "; ".join(f"{study}: {reason}" for study, reason in failures.items())
    st.info(f"The repeated-measures model cannot be fitted: {reasons or 'no patient has a follow-up visit'}.")
else:
    table = shield.protect_stats(
        pd.concat(tables, ignore_index=True),
        ["n_stent", "n_medical"],
        ["estimate", "se", "df", "ci_low", "ci_high", "p_value"],
    )
    table = shield.together(table, ["n_stent", "n_medical"])  # the arms' n add up to the visit's patients
    interval = "Satterthwaite t 95% CI" if method == "reml" else "Wald z 95% CI"
    title = f"Stent − medical change in {outcome.label}, adjusted for baseline, by visit ({interval})"
    figure = charts.arm_difference_figure(table, "estimate", outcome, title)
    per_visit = pd.concat(  # each point's patients, hidden as the table hides them
        [table.assign(arm=arm, n=table[f"n_{arm}"], n_text=table[f"n_{arm}_text"]) for arm in ("stent", "medical")]
    )
    ui.chart(
        figure,
        "mmrm_chart",
        display.summary_differences(table, "estimate", outcome),
        patients=ui.arm_ranges(per_visit, "visit"),
    )
    for study, fit in fits.items():
        study = escape.markdown(study)  # a study id: text, not Markdown
        if fit is None:
            ui.note(f"{study}: the model cannot be fitted: {failures.get(study, 'no estimate')}.")
        else:
            ui.note(f"{study}: {fit.note}", st.caption if fit.covariance == "unstructured" else st.warning)
    shown = display.mmrm_table(table, outcome)
    ui.table(shown, key="mmrm_table", note=ui.dash_note(shield))
    ui.key_numbers(  # on a slide: the adjusted difference at the analysis visit, as the table shows it
        [
            part
            for i, row in shown[shown["Visit (month)"] == month].iterrows()
            for hidden in [bool(table.hidden[i])]  # protection took it: said hidden, not a dash (review 27e, 3)
            for part in (
                (
                    f"{row['Study']}, month {month}: difference",
                    display.said_hidden(row[f"Difference, {outcome.change_unit}"], hidden, shield),
                ),
                ("95% CI", display.said_hidden(row["95% CI"], hidden, shield)),
                ("p", display.said_hidden(row["p"], hidden, shield)),
            )
        ]
    )
    if (p_values := int(table.p_value.notna().sum())) > 1:  # the p-values the table shows, side by side
        ui.note(display.visit_multiplicity_note(p_values))
    ui.note(effects.MMRM_REFERENCE if method == "reml" else effects.MMRM_ML_REFERENCE)
    if method == "ml":
        ui.note(effects.ML_SE_FACTOR)
    study, fit = next((s, f) for s, f in fits.items() if f is not None)
    ui.how_computed(
        "analysis_long",
        params,
        effects.mmrm_method(method),
        reproduce.mmrm(params, config.db_path(), study, method, fit.covariance),
    )

ui.end_of_slide()

st.subheader(f"ANCOVA at month {month}", help=glossary.tip("ancova"))
adjust = ui.control(
    "adjust",
    st.multiselect,
    "Also adjust for",
    list(vocab.ANCOVA_COVARIATES),
    format_func=vocab.ANCOVA_COVARIATES.get,
    help="The baseline value of the outcome is always adjusted for, and the study when patients of several "
    "studies are pooled.",
)
arm_sizes = data.arm.value_counts()
small_arm = any(shield.too_few(arm_sizes.get(arm, 0)) for arm in vocab.ARMS)
if not analysis.randomized_only and not small_arm:
    st.markdown("**Baseline imbalance the adjustment has to handle** (SMD, stent vs medical, analysis set):")
    smd = display.analysis_set_smds(data, list(vocab.ANALYSIS_COLUMNS))
    ui.table(smd, title="Baseline imbalance the adjustment has to handle (SMD, analysis set)")
    st.caption(f"{display.SMD_FLAG} |SMD| above 0.1.")
result = effects.ancova(data, ["study_id", *adjust])
if result is None and effects.estimable(data):
    st.info(
        "The ANCOVA cannot be estimated with these covariates: once patients with a missing covariate are left "
        "out, no residual degree of freedom remains or the treatment term cannot be separated from a covariate. "
        "Adjust for fewer characteristics."
    )
elif result is None:
    st.info("Too few patients to estimate: each arm needs at least 3 patients with both visits.")
elif small_arm:
    st.info(f"Not shown: an arm has fewer than {shield.k} patients with both visits (small cells hidden).")
else:
    shown = {
        "Difference": f"{result.estimate:+.2f}",
        "95% CI": f"{result.ci_low:+.2f} to {result.ci_high:+.2f}",
        "p-value": display.format_p(result.p_value),
        "Patients": f"{result.n_stent:,} / {result.n_medical:,}",
    }
    cols = st.columns(4)
    cols[0].metric("Difference", shown["Difference"], help=f"Stent minus medical change, {outcome.change_unit}")
    cols[1].metric("95% CI", shown["95% CI"])
    cols[2].metric("p-value", shown["p-value"])
    cols[3].metric("Patients", shown["Patients"], help="Stent / medical")
    better = "higher" if outcome.higher_is_better else "lower"
    about = (
        f"Stent minus medical change from baseline, {outcome.change_unit}; model: `{result.formula}`; {better} "
        f"{outcome.label} is better."
    )
    st.caption(about)
    st.caption(effects.complete_cases(month))
    ui.record_result(
        f"ANCOVA at month {month}",
        {("Patients (stent / medical)" if label == "Patients" else label): v for label, v in shown.items()},
        f"{about.replace('`', '')} {effects.complete_cases(month)}",
    )
    ui.how_computed(
        "analysis_visit", params, effects.ANCOVA_METHOD, reproduce.ancova(params, config.db_path(), result.formula)
    )

st.subheader(f"Symptom profile: which Villalta items change by month {month}", help=glossary.tip("villalta"))
profile = ui.query("symptom_profile", params)
if profile.empty:
    st.info(f"No patient was seen at both baseline and month {month}.")
else:
    ui.chart(
        charts.symptom_heatmap(display.protect_profile(profile, shield), month, vocab.VILLALTA_ITEM_LABELS),
        "symptom_heatmap",
        "Heat map of the mean score of each Villalta item, per arm, at baseline and at the visit.",
        patients=ui.arm_ranges(profile, "item"),  # those seen at both visits with the item scored
    )
    ui.note(
        "Mean item score (0 = none to 3 = severe) among patients seen at both visits; the ulcer row "
        "is the share with an open ulcer."
    )
    ui.how_computed(
        "symptom_profile",
        params,
        "means per item and arm, computed in SQL",
        reproduce.table("symptom_profile", params, config.db_path()),
    )
