"""The Target trial page's patient-level export: one row per registry patient of the cohort with the
score, the weight (or matched pair), the arm, the outcome and whether each was analysed and why not;
its R script, run with Rscript on that CSV, prints the page's adjusted estimate and CI (read off the
page, compared whole). Refused below k patients, as the cohort's patient rows are."""

import io
import shutil
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from pts_explorer import exports
from pts_explorer.analytics import propensity as P
from tests.app.test_adjusted_page import _independent_overlap, _like_the_trial, _metrics, _open, _rows

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")

ESTIMATE = {"overlap": "ATO", "iptw": "ATE", "matching": "ATM"}


def _exported(app_on, demo_db, query, tmp_path):
    at = _open(app_on, demo_db, query)
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    rows = at.session_state["_export_items"]["patients"]
    page = at.session_state["_export_page"]
    with zipfile.ZipFile(io.BytesIO(exports.patient_rows(rows, page, 5))) as archive:
        archive.extractall(tmp_path)
        assert sorted(archive.namelist()) == ["README.txt", "reproduce.R", "target_trial_patients.csv"]
    return at, pd.read_csv(tmp_path / "target_trial_patients.csv", keep_default_na=False, na_values=[""])


def _r_prints(tmp_path) -> str:
    command = ["Rscript", "reproduce.R", "target_trial_patients.csv"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({}, "stent - medical"),
        ({"ps_method": "iptw"}, "stent - medical"),
        ({"ps_method": "iptw", "ps_trim": "0.1"}, "stent - medical"),
        ({"ps_covariates": ["age_years", "sex", "center_id"]}, "stent - medical"),
        ({"ps_method": "matching"}, "stent - medical"),
        ({"ps_estimate": "responders"}, "stent - medical"),
        ({"ps_estimate": "ulcer_healing"}, "hazard ratio"),
        ({"ps_estimate": "freedom_from_recurrent_dvt", "ps_trial_eligible": "False"}, "hazard ratio"),
    ],
    ids=[
        "change",
        "iptw",
        "iptw trimmed at 0.1",
        "age, sex and centre",
        "matching",
        "responders",
        "ulcer healing",
        "recurrent dvt, every registry patient",
    ],
)
def test_the_r_script_on_the_exported_csv_prints_the_pages_estimate(app_on, demo_db, tmp_path, query, words):
    at, _ = _exported(app_on, demo_db, query, tmp_path)
    shown = _metrics(at)
    method = query.get("ps_method", "overlap")
    expected = f"{words} {shown[f'Adjusted estimate ({ESTIMATE[method]})']} (95% CI {shown['95% CI (robust)']})"
    assert _r_prints(tmp_path) == expected


def test_the_csv_holds_every_registry_patient_with_the_weight_and_why_each_was_not_analysed(app_on, demo_db, tmp_path):
    at, csv = _exported(app_on, demo_db, {}, tmp_path)
    rows = _rows(demo_db)
    registry, like = rows[rows.design == "observational"], _like_the_trial(rows)
    assert csv.patient_id.tolist() == registry.patient_id.tolist()
    assert csv.arm.tolist() == registry.arm.tolist()
    analysed = like[like.change.notna()]
    reasons = csv.reason.fillna("").value_counts().to_dict()
    assert reasons == {
        "": len(analysed),
        "outside the trial's inclusion criteria": len(registry) - len(like),
        "no Villalta total at baseline and month 6": len(like) - len(analysed),
    }
    assert (csv.analysed == "yes").sum() == len(analysed)
    reg, stent, w = _independent_overlap(analysed)
    yes = csv[csv.analysed == "yes"].set_index("patient_id")
    assert yes.loc[reg.patient_id, "weight"].to_numpy() == pytest.approx(w, abs=1e-9)
    assert (csv[csv.analysed == "no"].weight == 0).all()
    assert yes.change.tolist() == reg.change.tolist()


def test_matching_names_each_pair_by_its_stent_patient(app_on, demo_db, tmp_path):
    _, csv = _exported(app_on, demo_db, {"ps_method": "matching"}, tmp_path)
    matched = csv[csv.pair.notna()]
    assert (matched.weight == 1).all() and (csv[csv.pair.isna()].weight == 0).all()
    pairs = matched.groupby("pair").arm.agg(sorted)
    assert (pairs.map(tuple) == ("medical", "stent")).all()
    stent = matched[matched.arm == "stent"]
    assert (stent.pair == stent.patient_id).all()
    unmatched = (csv.weight == 0) & csv.propensity_score.notna() & csv.change.notna()
    assert (csv[unmatched & (csv.arm == "medical")].reason == "not matched to a stent patient").all()
    # Review 31c finding 2: at most one match per medical patient, so stent - medical can never be matched; the
    # other unmatched are the caliper's. In the matching order (largest score first) the last are those left over.
    scored = csv[csv.propensity_score.notna() & csv.change.notna()]
    n_stent, n_medical = int((scored.arm == "stent").sum()), int((scored.arm == "medical").sum())
    left_over = csv[unmatched & (csv.arm == "stent")].sort_values("propensity_score", ascending=False, kind="stable")
    lost = n_medical - int((matched.arm == "stent").sum())
    assert n_stent > n_medical and lost > 0
    assert left_over.reason.tolist() == ["no match within the caliper"] * lost + [
        f"no medical patient left to match (1:1 without replacement: at most {n_medical} matches)"
    ] * (n_stent - n_medical)


def test_fewer_than_k_patients_are_refused():
    rows = exports.PatientRows("p.csv", pd.DataFrame({"patient_id": ["A", "B"]}), "", "")
    page = exports.PageExport("Target trial", "cohort", {}, "demo", True, "fp", "")
    with pytest.raises(exports.TooFewPatients, match="fewer than 5 patients"):
        exports.patient_rows(rows, page, 5)
    assert exports.patient_rows(rows, page, 0)


def test_the_r_script_derives_the_matching_itself_and_prints_the_pages_estimate(app_on, demo_db, tmp_path):
    """reproduce.R for matching matches again from the exported scores (MatchIt's distance-matrix
    path, since MatchIt 4.5.1's standard call ignores the caliper) rather than trusting the exported
    weights: with every scored patient's weight set to 1 and marked analysed, it still prints the page's
    matched estimate, and its comment names the MatchIt bug."""
    at, csv = _exported(app_on, demo_db, {"ps_method": "matching"}, tmp_path)
    shown = _metrics(at)
    scored = csv.propensity_score.notna()
    csv.loc[scored, "weight"] = 1.0
    csv.loc[scored, "analysed"] = "yes"
    csv.to_csv(tmp_path / "target_trial_patients.csv", index=False)
    tile = f"Adjusted estimate ({ESTIMATE['matching']})"
    expected = f"stent - medical {shown[tile]} (95% CI {shown['95% CI (robust)']})"
    assert _r_prints(tmp_path) == expected
    script = (tmp_path / "reproduce.R").read_text()
    assert "kosukeimai/MatchIt#163" in script and "distance = dm" in script


def test_the_csv_carries_the_covariates_and_reproduce_r_refits_the_score_from_them(app_on, demo_db, tmp_path):
    """Review 31c finding 5: reproduce.R started from the exported scores, and the CSV held no covariate, so
    the score model could not be checked. The CSV carries the ten covariates (the centre as the score used it,
    small centres pooled), reproduce.R refits glm on them and stops when its scores are not the CSV's."""
    at, csv = _exported(app_on, demo_db, {"ps_estimate": "ulcer_healing"}, tmp_path)
    rows = _rows(demo_db)
    registry = rows[rows.design == "observational"]
    scored = csv.propensity_score.notna()
    for cov in P.COVARIATES:
        exported, cohort = csv[cov].reset_index(drop=True), registry[cov].reset_index(drop=True)
        if cov == "center_id":  # the score's pooled level where it pooled; the cohort's own centre elsewhere
            exported = exported.where(exported != "(other centres)", cohort)
        if cov in P.CATEGORICAL:
            assert exported.astype(str).tolist() == cohort.astype(str).tolist(), cov
        else:
            assert np.allclose(exported.astype(float), cohort.astype(float), equal_nan=True), cov
    pooled = csv[scored & (csv.center_id != registry.center_id.to_numpy())]
    assert set(pooled.center_id) == {"(other centres)"}  # the ulcer-healing score pools its small centres
    shown = _metrics(at)
    assert _r_prints(tmp_path) == f"hazard ratio {shown['Adjusted estimate (ATO)']} (95% CI {shown['95% CI (robust)']})"
    # a covariate changed: the score refitted in R is no longer the page's, and the script says so and stops
    first = csv.index[scored][0]
    csv.loc[first, "age_years"] = csv.loc[first, "age_years"] + 30
    csv.to_csv(tmp_path / "target_trial_patients.csv", index=False)
    run = subprocess.run(
        ["Rscript", "reproduce.R", "target_trial_patients.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    (message,) = [line for line in run.stderr.splitlines() if line.startswith("Error")]
    p = csv[scored].assign(stent=lambda d: (d.arm == "stent").astype(float))
    terms = " + ".join(f"C({c})" if c in P.CATEGORICAL else c for c in P.COVARIATES)
    refit = smf.glm(f"stent ~ {terms}", p, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    gap = float(np.max(np.abs(refit.fittedvalues.to_numpy() - p.propensity_score.to_numpy())))
    assert message == (
        f"Error: the score refitted here differs from the CSV's propensity_score by up to {gap:.3g} (more than "
        "1e-6): not the page's score model or not its patients"
    )
