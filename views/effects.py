"""Effects: how large is the stent effect once baseline severity (and more) is accounted for."""

import pandas as pd
import streamlit as st

from pts_explorer import charts, config, reproduce, ui, vocab
from pts_explorer.analytics import baseline, effects, trajectories

cohort = ui.current_filter()
st.title("Treatment effects")
st.caption(f"Cohort: {cohort.describe()}")
params = ui.analysis_controls(cohort)
outcome = vocab.OUTCOMES[params["outcome"]]
month = params["visit_month"]
ui.url_multi("adjust", list(effects.COVARIATES))
adjust = st.multiselect("Also adjust for", list(effects.COVARIATES), format_func=effects.COVARIATES.get,
                        key="adjust", help="The baseline value of the outcome is always adjusted for, and the "
                        "study when patients of several studies are pooled.")  # fmt: skip
ui.publish_to_url("adjust", adjust, [])

data = ui.query("analysis_visit", params)
if data.empty:
    ui.no_analysis_data(cohort, params)
    st.stop()

ui.design_notice(ui.analysis_designs(params))
if not params["randomized_only"]:
    st.markdown("**Baseline imbalance the adjustment has to handle** (SMD, stent vs medical, analysis set):")
    smd = baseline.analysis_set_smds(data, ["baseline", *effects.COVARIATES])
    st.dataframe(smd, hide_index=True, column_config={"SMD": st.column_config.NumberColumn(format="%.2f")})
if len(data) >= ui.MAX_MODEL_PATIENTS:
    st.caption(f"The models use a stable random sample of {ui.MAX_MODEL_PATIENTS:,} patients of this cohort.")

st.subheader(f"ANCOVA at month {month}")
result = effects.ancova(data, ["study_id", *adjust])
if result is None:
    st.info("Too few patients to estimate: each arm needs at least 3 patients with both visits.")
else:
    cols = st.columns(4)
    cols[0].metric(f"Adjusted difference, {outcome.unit}", f"{result.estimate:+.2f}",
                   help="Stent minus medical, change from baseline")  # fmt: skip
    cols[1].metric("95% CI", f"{result.ci_low:+.2f} to {result.ci_high:+.2f}")
    cols[2].metric("p-value", trajectories.format_p(result.p_value))
    cols[3].metric("Patients (stent / medical)", f"{result.n_stent} / {result.n_medical}")
    better = "higher" if outcome.higher_is_better else "lower"
    st.caption(f"Model: `{result.formula}`; {better} {outcome.label} is better.")
    ui.how_computed("analysis_visit", params, effects.ANCOVA_METHOD,
                    reproduce.ancova(params, config.db_path(), result.formula))  # fmt: skip

st.subheader("Repeated-measures model over all visits (MMRM)")
fits = ui.mmrm_fits(params)
tables = [fit.effects.assign(study_group=study) for study, fit in fits.items() if fit is not None]
if not tables:
    st.info("Too few patients for the repeated-measures model: each arm needs at least 3 patients.")
else:
    table = pd.concat(tables, ignore_index=True)
    st.plotly_chart(charts.arm_difference_figure(table, "estimate", outcome, f"Adjusted difference in change of "
                                                 f"{outcome.label} by visit (MMRM, 95% CI)"), key="mmrm_chart")  # fmt: skip
    for study, fit in fits.items():
        if fit is None:
            st.caption(f"{study}: too few patients per arm for the model.")
        else:
            (st.caption if fit.covariance == "unstructured" else st.warning)(f"{study}: {fit.note}")
    shown = table.assign(p_value=table.p_value.map(trajectories.format_p))
    st.dataframe(shown[["study_group", "visit_month", "n_stent", "n_medical", "estimate", "ci_low", "ci_high",
                        "p_value"]], hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.2f") for c in
                                ("estimate", "ci_low", "ci_high")})  # fmt: skip
    study, fit = next((s, f) for s, f in fits.items() if f is not None)
    ui.how_computed("analysis_long", params, effects.MMRM_METHOD,
                    reproduce.mmrm(params, config.db_path(), study, fit.covariance))  # fmt: skip

st.subheader(f"Symptom profile: which Villalta items change by month {month}")
profile = ui.query("symptom_profile", params)
if profile.empty:
    st.info(f"No patient was seen at both baseline and month {month}.")
else:
    st.plotly_chart(charts.symptom_heatmap(profile, month, vocab.VILLALTA_ITEM_LABELS), key="symptom_heatmap")
    st.caption("Mean item score (0 = none to 3 = severe) among patients seen at both visits; the ulcer row "
               "is the share with an open ulcer.")  # fmt: skip
    ui.how_computed("symptom_profile", params, "means per item and arm, computed in SQL",
                    reproduce.table("symptom_profile", params, config.db_path()))  # fmt: skip
