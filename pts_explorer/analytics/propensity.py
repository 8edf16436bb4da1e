"""Registry (observational) evidence adjusted for confounding by a propensity score.

Input: the rows of queries/propensity_rows.sql (one per cohort patient). The score is fitted on the
patients of observational studies only; a randomized study's patients are the benchmark
(`benchmark`), never part of the score.

- Propensity score (PS): P(stent | covariates) by logistic regression (statsmodels GLM, binomial,
  logit link), as R's `glm(stent ~ covariates, family = binomial)`. Categorical covariates enter as
  indicator columns (first level, in sorted order, as reference; the fitted scores do not depend on
  that choice). Patients with a missing covariate are left out of the score and every estimate.
  With more than one observational study in the cohort, the study enters the score too.
- Study centres too small to estimate a centre's own treatment odds (`pool_centres`): a centre with
  fewer than 3 patients of either arm among the patients of the score (most often none of one arm,
  which separates the score: no weight is defined there) joins one level, "other centres"; when that
  level itself has fewer than 3 of an arm, or no other level remains, the centre is left out of the
  score. Either is decided the same way for every outcome and said on the page.
- Weights: overlap weights (default; Li, Morgan & Zaslavsky 2018): 1 - PS for a stent patient, PS
  for a medical one (target: the patients with clinical equipoise). Stabilized inverse probability
  of treatment weights (IPTW, target: the whole observational cohort): P(stent) / PS and
  (1 - P(stent)) / (1 - PS), after trimming: patients whose PS lies outside the chosen bounds are
  left out (weight 0; the score is not refitted) and P(stent) is the stent share among those kept.
  1:1 matching: see `match_nearest`; matched patients weigh 1, others 0 (target: stent patients
  with a match).
- Balance: the standardized mean difference of each of the ten candidate covariates (those left out
  of the score too, and the study when the score uses it) before (unweighted) and after weighting,
  by baseline.smd_continuous / smd_categorical (Yang & Dalton 2012, as tableone) with weighted means,
  shares and variances (as tableone::svyCreateTableOne: survey's svymean and svyvar, the variance
  with the factor n/(n - 1), n the patients of the arm with a positive weight).
  Target |SMD| <= 0.1. Effective sample size per arm (Kish): (sum w)^2 / sum w^2.
- Change from baseline at a visit: the weighted difference in mean change, stent - medical, as
  R's `survey::svyglm(change ~ arm, design = svydesign(ids = ~1, weights = ~w))`: weighted least
  squares with the sandwich (robust) variance times n/(n - 1), t-based 95% CI and p on n - 2
  degrees of freedom (svyglm's residual df).
- Responders (improved by at least 4 points, or as chosen): the weighted shares' difference
  (`weighted_difference` on the 0/1 column, as svyglm's gaussian model) and ratio, as
  `svyglm(responder ~ arm, design, family = quasipoisson())` (`weighted_risk_ratio`).
- Time to event: weighted Kaplan-Meier per arm (lifelines) and the weighted Cox hazard ratio, stent
  vs medical (lifelines, Efron ties), with the robust (sandwich) standard error computed here as R's
  `survival::coxph(Surv(time, event) ~ arm, weights = w, robust = TRUE)` computes it
  (`efron_standard_errors`), Wald z CI. Only endpoints of both arms: patency is defined for stented
  patients alone (the medical arm has no stent), so it has no stent-vs-medical hazard ratio.
- Proportional hazards of the weighted Cox model (`weighted_ph_test`): the Grambsch & Therneau score
  test as R's cox.zph computes it on the weighted fit; p < 0.05 makes the hazard ratio doubtful as
  one number (the page says so and points to the Kaplan-Meier curves).
- E-value (VanderWeele & Ding 2017): how strongly an unmeasured confounder would have to be
  associated with both treatment and outcome (risk-ratio scale) to explain the estimate away, and
  its CI bound nearest the null (1 when the CI includes the null); a responder ratio is a risk
  ratio. A difference in means is turned into a risk ratio by exp(0.91 d), d the difference over
  the outcome's SD; a hazard ratio is used as a risk ratio when the outcome is rare (under 15% with
  the event), otherwise through (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter
from scipy import stats

from pts_explorer import vocab
from pts_explorer.analytics.baseline import smd_categorical, smd_continuous

# The covariates a score may use: column of propensity_rows -> label (written once, in vocab).
COVARIATES = vocab.PS_COVARIATES
CATEGORICAL = frozenset({"obstruction_site", "stenosis_grade", "baseline_ulcer", "sex", "center_id", "study_id"})
DEFAULT_COVARIATES = tuple(COVARIATES)

OVERLAP, IPTW, MATCHING = "overlap", "iptw", "matching"
METHODS = {
    OVERLAP: "Overlap weights",
    IPTW: "Stabilized inverse probability weights, trimmed",
    MATCHING: "1:1 nearest-neighbour matching with a caliper",
}
TARGETS = {
    OVERLAP: "patients in clinical equipoise (overlap population)",
    IPTW: "the observational cohort within the PS bounds (average treatment effect)",
    MATCHING: "stented patients with a match (average effect in the treated)",
}
DEFAULT_BOUNDS = (0.05, 0.95)
DEFAULT_CALIPER = 0.2
BALANCE_TARGET = 0.1
RARE_OUTCOME = 0.15  # below this share with the event, a hazard ratio approximates a risk ratio
DEFAULT_RESPONDER_POINTS = 4  # as the Responders page: an assumption, no validated threshold exists
# The time-to-event endpoints of both arms (patency is defined for stented patients only)
ENDPOINTS = ("ulcer_healing", "freedom_from_recurrent_dvt")
MIN_PER_ARM = 3
MIN_PER_CENTRE_ARM = 3  # a centre with fewer patients of either arm is pooled (pool_centres)
OTHER_CENTRES = "(other centres)"  # the pooled level; the parentheses keep it apart from a centre id

PS_METHOD = "propensity score: logistic regression (GLM, binomial, logit link) of stent on the chosen covariates"
CHANGE_METHOD = (
    "weighted difference in mean change (stent − medical): weighted least squares with a robust (sandwich) "
    "standard error, as survey::svyglm; t-based 95% CI on n − 2 degrees of freedom"
)
COX_METHOD = "weighted Cox model (Efron ties), robust (sandwich) standard error, Wald 95% CI, as survival::coxph"
EVALUE_METHOD = "E-value (VanderWeele & Ding 2017)"


class PropensityProblem(ValueError):
    """The score cannot be estimated; the message says why and what to change."""


@dataclass(frozen=True)
class Score:
    data: pd.DataFrame  # the patients of the score (complete cases), in input order, with `ps` and `stent`
    covariates: tuple[str, ...]  # the columns used (constant ones dropped)
    terms: tuple[str, ...]  # the design's columns after the intercept
    left_out: int  # patients of observational studies left out for a missing covariate
    pooled_centres: tuple[str, ...] = ()  # centres pooled into OTHER_CENTRES (pool_centres), sorted
    centre_left_out: bool = False  # the centre was chosen but left out of the score (pool_centres)


@dataclass(frozen=True)
class Estimate:
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_stent: int
    n_medical: int


def observational(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows.design == "observational"]


def randomized(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows.design == "randomized"]


# The randomized trial's inclusion criteria (data/README.md, "Steps per chunk" 1 and the parameters
# trial_min_stenosis_pct, trial_min_villalta): the one place the app states them. The benchmark restricts
# the registry to them by default so that it compares patients the trial could have enrolled.
TRIAL_MIN_STENOSIS_PCT = 50
TRIAL_MIN_VILLALTA = 10
TRIAL_INCLUSION = (
    f"stenosis of at least {TRIAL_MIN_STENOSIS_PCT}% and a baseline Villalta of at least {TRIAL_MIN_VILLALTA} "
    "or an open ulcer"
)


def trial_eligible(rows: pd.DataFrame) -> pd.Series:
    """True for a patient who meets the trial's inclusion criteria (TRIAL_INCLUSION); a patient
    without a stenosis % or a baseline Villalta and no ulcer is not known to meet them: False."""
    stenosis = rows.stenosis_pct.astype(float) >= TRIAL_MIN_STENOSIS_PCT
    symptoms = (rows.baseline_villalta.astype(float) >= TRIAL_MIN_VILLALTA) | (rows.baseline_ulcer == "yes")
    return (stenosis & symptoms).fillna(False).astype(bool)


def analysed_rows(rows: pd.DataFrame, timed: bool) -> pd.DataFrame:
    """The patients of `rows` an estimate can use: with the outcome at baseline and the visit (`change`),
    or, for an endpoint, eligible for it and at risk (a follow-up time above zero; for ulcer healing an open
    ulcer at baseline). They
    are the target trial's eligible patients, so the score is fitted among them and the weights, the
    balance and the effective sample size are theirs, the patients of the estimate."""
    if timed:  # at risk: a follow-up time above zero (a patient with none is not at risk)
        return rows[rows.duration_days.astype(float) > 0]
    return rows[rows.change.notna()]


def _design(data: pd.DataFrame, covariates: tuple[str, ...]) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {"const": np.ones(len(data))}
    for cov in covariates:
        if cov in CATEGORICAL:
            values = data[cov].astype(str)
            for level in sorted(values.unique())[1:]:
                columns[f"{cov}[{level}]"] = (values == level).to_numpy(float)
        else:
            columns[cov] = data[cov].to_numpy(float)
    return pd.DataFrame(columns, index=data.index)


def pool_centres(centre: pd.Series, stent: pd.Series) -> tuple[pd.Series, tuple[str, ...], bool]:
    """The study centre as the score uses it: each centre with fewer than MIN_PER_CENTRE_ARM patients
    of either arm becomes OTHER_CENTRES. Returns the values, the centres pooled (sorted) and whether
    the centre must be left out of the score instead: the pooled level still has fewer than
    MIN_PER_CENTRE_ARM of an arm, or it is the only level left."""
    text = centre.astype(str)
    counts = pd.crosstab(text, stent.astype(bool)).reindex(columns=[False, True], fill_value=0)
    small = sorted(str(c) for c in counts.index[counts.min(axis=1) < MIN_PER_CENTRE_ARM])
    if not small:
        return text, (), False
    pooled = text.where(~text.isin(small), OTHER_CENTRES)
    other = counts.loc[small].sum()
    left_out = bool(other.min() < MIN_PER_CENTRE_ARM or pooled.nunique() < 2)
    return pooled, tuple(small), left_out


def _logistic_newton(
    x: np.ndarray, y: np.ndarray, tol: float = 1e-12, max_iter: int = 100
) -> tuple[np.ndarray, bool] | None:
    """Fitted probabilities of the logistic regression of y on x by maximum likelihood: Newton-Raphson,
    which for the logit link is R's glm IRLS step for step (beta += (X'WX)^-1 X'(y - mu), W = mu(1 - mu)),
    started as glm starts (mu = (y + 0.5) / 2) and stopped as glm.control(epsilon = tol) stops it:
    |deviance - previous| / (|deviance| + 0.1) < tol. Returns (probabilities, converged), or None when
    X'WX is not positive definite (collinear columns; the caller takes statsmodels' pseudo-inverse path).

    Why not statsmodels here: its IRLS solves each step by least squares through an SVD and checks the
    design's rank by another; on the 1M-patient demo's 20,000-patient sample (11,238 registry patients,
    42 terms) on this 2-core machine under load that was 4.5 s, against well under a second for the
    normal equations. The result is the same maximum (tests/unit/test_propensity_reference.py and
    test_propensity_sets.py: equal to R's glm to 1e-6)."""
    mu = (y + 0.5) / 2
    eta = np.log(mu / (1 - mu))
    beta = None
    deviance_old = np.inf
    for _ in range(max_iter):
        w = mu * (1 - mu)
        z = eta + (y - mu) / w  # the working response
        xtw = x.T * w
        try:
            factor = np.linalg.cholesky(xtw @ x)
        except np.linalg.LinAlgError:
            return None
        beta = np.linalg.solve(factor.T, np.linalg.solve(factor, xtw @ z))
        eta = x @ beta
        mu = 1 / (1 + np.exp(-eta))
        with np.errstate(divide="ignore", invalid="ignore"):
            deviance = -2 * float(np.sum(y * np.log(mu) + (1 - y) * np.log(1 - mu)))
        if not np.isfinite(deviance) or mu.min() <= 0 or mu.max() >= 1:
            return mu, False
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < tol:
            return mu, True
        deviance_old = deviance
    return mu, False


def fit_score(rows: pd.DataFrame, covariates: list[str] | tuple[str, ...] = DEFAULT_COVARIATES) -> Score:
    """The propensity score of the observational patients of `rows` (see the module's docstring).

    Raises PropensityProblem (a message naming the fix) when an arm has fewer than 3 patients, no
    covariate varies, or the score separates the arms (a covariate predicts the treatment exactly).
    The study centre is pooled or left out first (pool_centres), so a centre never separates it."""
    unknown = [c for c in covariates if c not in COVARIATES]
    if unknown:
        raise PropensityProblem(f"Unknown covariate(s) {unknown}: choose among {list(COVARIATES)}.")
    obs = observational(rows)
    chosen = list(covariates)
    if obs.study_id.nunique() > 1:
        chosen.append("study_id")
    complete = obs.dropna(subset=chosen)
    left_out = len(obs) - len(complete)
    n_stent, n_medical = int((complete.arm == "stent").sum()), int((complete.arm == "medical").sum())
    if min(n_stent, n_medical) < MIN_PER_ARM:
        raise PropensityProblem(
            f"Each arm needs at least {MIN_PER_ARM} registry (observational) patients with every chosen covariate "
            f"(stent {n_stent}, medical {n_medical}): widen the cohort or choose fewer covariates."
        )
    pooled: tuple[str, ...] = ()
    centre_left_out = False
    if "center_id" in chosen:
        centre, pooled, centre_left_out = pool_centres(complete.center_id, complete.arm == "stent")
        if centre_left_out:
            chosen.remove("center_id")
            complete = obs.dropna(subset=chosen)  # a patient missing only the centre is back in
            left_out = len(obs) - len(complete)
        else:
            complete = complete.assign(center_id=centre)
    used = tuple(c for c in chosen if complete[c].nunique() > 1)
    if not used:
        raise PropensityProblem("No chosen covariate varies in this cohort: choose other covariates.")
    x = _design(complete, used)
    treated = (complete.arm == "stent").to_numpy(float)
    fitted = _logistic_newton(x.to_numpy(float), treated)
    if fitted is None:  # a design Cholesky cannot solve (collinear columns): statsmodels' pseudo-inverse path
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = sm.GLM(treated, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
            except (np.linalg.LinAlgError, ValueError) as exc:
                raise PropensityProblem(f"The score cannot be fitted ({exc}): choose fewer covariates.") from exc
        fitted = np.asarray(fit.fittedvalues, float), bool(fit.converged)
    ps, converged = fitted
    if not converged or not np.all(np.isfinite(ps)) or ps.min() < 1e-8 or ps.max() > 1 - 1e-8:
        raise PropensityProblem(
            "The score separates the arms: the covariates predict the treatment exactly (a covariate level, such as "
            f"a grade, with patients of one arm only, or too many covariates for the patients: {x.shape[1] - 1} "
            f"terms for {len(complete)} patients), so some patients have no comparable patient in the other arm. "
            "Leave that covariate out, choose fewer covariates or widen the cohort."
        )
    data = complete.assign(ps=ps, stent=treated.astype(bool))
    return Score(data, used, tuple(x.columns[1:]), left_out, pooled, centre_left_out)


# ----------------------------------------------------------------------------------------------
# Weights and matching
# ----------------------------------------------------------------------------------------------


def overlap_weights(stent: np.ndarray, ps: np.ndarray) -> np.ndarray:
    return np.where(stent, 1 - ps, ps)


def iptw_weights(stent: np.ndarray, ps: np.ndarray, bounds: tuple[float, float] = DEFAULT_BOUNDS) -> np.ndarray:
    """Stabilized IPTW; 0 for a patient whose PS lies outside [low, high] (trimmed)."""
    low, high = bounds
    if not 0 <= low < high <= 1:
        raise PropensityProblem(f"PS bounds must satisfy 0 <= low < high <= 1 (got {low}, {high}).")
    kept = (ps >= low) & (ps <= high)
    if not (kept & stent).any() or not (kept & ~stent).any():
        raise PropensityProblem(f"No patient of an arm has a PS between {low} and {high}: widen the bounds.")
    share = stent[kept].mean()
    w = np.where(stent, share / ps, (1 - share) / (1 - ps))
    return np.where(kept, w, 0.0)


def match_nearest(stent: np.ndarray, ps: np.ndarray, caliper: float = DEFAULT_CALIPER) -> np.ndarray:
    """1:1 greedy nearest-neighbour matching on the PS without replacement, with a caliper, as
    MatchIt 4.5 `matchit(..., method = "nearest", distance = "glm", caliper = caliper, std.caliper =
    TRUE)` (estimand ATT, ratio 1, no replacement):

    - distance: the propensity score itself (MatchIt's `distance = "glm"`, link "logit": the fitted
      probabilities, not the linear predictor);
    - order: stent (treated) patients from the largest PS down (`m.order = "largest"`, MatchIt's
      default for a PS distance; ties in the order of the data, as R's `order`);
    - each takes the unmatched medical patient with the nearest PS, if within caliper x SD of the PS
      over all patients of the score (R's `sd`, n - 1); a stent patient with none stays unmatched.
      Equally near medical patients: the first in the data.

    (MatchIt 4.5.1 to 4.5.3 leave the caliper out on this path, kosukeimai/MatchIt#163; the R
    reference, tests/reference/propensity.R, runs MatchIt's distance-matrix path, which applies it.)

    Returns, per patient, the index (row position) of the matched partner, -1 when unmatched.
    The free medical patients are kept in PS order with a skip list, so each search costs about
    log n, not n."""
    if caliper <= 0:
        raise PropensityProblem(f"The caliper must be positive (got {caliper}).")
    width = caliper * float(np.std(ps, ddof=1))
    partner = np.full(len(ps), -1)
    controls = np.flatnonzero(~stent)
    by_ps = controls[np.lexsort((controls, ps[controls]))]  # PS order, data order within equal PS
    values = ps[by_ps]
    m = len(by_ps)
    right = np.arange(m + 1)  # right[i]: the first free position >= i (m: none), path-compressed
    left = np.arange(-1, m)  # left[i + 1]: the last free position <= i (-1: none)

    def free_right(i: int) -> int:
        root = i
        while right[root] != root:
            root = right[root]
        while right[i] != root:
            right[i], i = root, right[i]
        return root

    def free_left(i: int) -> int:
        root = i
        while left[root + 1] != root:
            root = left[root + 1]
        while left[i + 1] != root:
            left[i + 1], i = root, left[i + 1]
        return root

    def first_of_value(pos: int) -> int:
        """The free position holding `values[pos]` that comes first in the data (lowest index)."""
        best, j = pos, free_left(pos - 1) if pos > 0 else -1
        while j >= 0 and values[j] == values[pos]:
            best, j = j, free_left(j - 1) if j > 0 else -1
        k = free_right(pos + 1) if pos + 1 <= m else m
        while k < m and values[k] == values[pos]:
            best = k if by_ps[k] < by_ps[best] else best
            k = free_right(k + 1)
        return best

    order = np.flatnonzero(stent)[np.argsort(-ps[stent], kind="stable")]
    for t in order:
        at = int(np.searchsorted(values, ps[t]))
        above = free_right(at) if at <= m else m
        below = free_left(at - 1) if at > 0 else -1
        candidates = [c for c in (below, above) if 0 <= c < m]
        if not candidates:
            break
        gaps = [abs(values[c] - ps[t]) for c in candidates]
        nearest = min(gaps)
        if nearest > width:
            continue
        tied = [first_of_value(c) for c, g in zip(candidates, gaps, strict=True) if g == nearest]
        pos = min(tied, key=lambda c: by_ps[c])
        control = int(by_ps[pos])
        partner[t], partner[control] = control, t
        right[pos] = pos + 1
        left[pos + 1] = pos - 1
    return partner


NO_CONTROL_LEFT, OUTSIDE_CALIPER = "no_control_left", "outside_caliper"


def unmatched_reasons(stent: np.ndarray, ps: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """Why each stent patient `match_nearest` left unmatched (`partner` < 0) has no match: per patient
    NO_CONTROL_LEFT or OUTSIDE_CALIPER, "" for a matched patient and a medical one.

    1:1 matching without replacement makes at most as many matches as there are medical patients, so
    max(0, stent - medical) stent patients can never be matched, whatever the caliper; the others left
    unmatched are the matches the caliper cost (as many as the medical patients left unused). Per
    patient, the matching order decides (stent patients from the largest score down, as MatchIt's
    greedy `m.order = "largest"`): of the unmatched, the last `stent - medical` in that order are those
    with no medical patient left, the earlier ones those with none within the caliper."""
    reasons = np.full(len(ps), "", dtype=object)
    order = np.flatnonzero(stent)[np.argsort(-ps[stent], kind="stable")]
    unmatched = [int(t) for t in order if partner[t] < 0]
    beyond = min(len(unmatched), max(0, int(stent.sum()) - int((~stent).sum())))
    cut = len(unmatched) - beyond
    for i, t in enumerate(unmatched):
        reasons[t] = OUTSIDE_CALIPER if i < cut else NO_CONTROL_LEFT
    return reasons


def weights(
    score: Score, method: str = OVERLAP, bounds: tuple[float, float] = DEFAULT_BOUNDS, caliper: float = DEFAULT_CALIPER
) -> np.ndarray:
    """Per patient of the score: the weight of `method` (0 = not in the weighted sample)."""
    stent, ps = score.data.stent.to_numpy(), score.data.ps.to_numpy()
    if method == OVERLAP:
        return overlap_weights(stent, ps)
    if method == IPTW:
        return iptw_weights(stent, ps, bounds)
    if method == MATCHING:
        return (match_nearest(stent, ps, caliper) >= 0).astype(float)
    raise PropensityProblem(f"Unknown method {method!r}: choose among {list(METHODS)}.")


# ----------------------------------------------------------------------------------------------
# Balance
# ----------------------------------------------------------------------------------------------


def _weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    """survey's svyvar: sum w (x - mean)^2 / sum w x n / (n - 1), n the units with w > 0."""
    keep = w > 0
    x, w = x[keep], w[keep]
    n = len(x)
    if n < 2:
        return np.nan
    mean = np.average(x, weights=w)
    return float(np.average((x - mean) ** 2, weights=w) * n / (n - 1))


def weighted_smd(values: pd.Series, stent: np.ndarray, w: np.ndarray) -> float:
    """The SMD of one covariate, stent vs medical, under weights w (w = 1: the unweighted SMD)."""
    s, m = stent & (w > 0), ~stent & (w > 0)
    if s.sum() < 2 or m.sum() < 2:
        return np.nan
    if values.name in CATEGORICAL:
        text = values.astype(str).to_numpy()
        levels = sorted(set(text[s | m]))
        if len(levels) < 2:
            return np.nan
        shares = [np.array([w[arm][text[arm] == lvl].sum() for lvl in levels]) / w[arm].sum() for arm in (s, m)]
        return smd_categorical(shares[0], shares[1])
    x = values.to_numpy(float)
    mean_s, mean_m = np.average(x[s], weights=w[s]), np.average(x[m], weights=w[m])
    sd_s, sd_m = np.sqrt(_weighted_var(x[s], w[s])), np.sqrt(_weighted_var(x[m], w[m]))
    return smd_continuous(mean_s, sd_s, mean_m, sd_m)


def balance(score: Score, w: np.ndarray) -> pd.DataFrame:
    """Per candidate covariate (all of COVARIATES, in their order, then the study when the score uses
    it): covariate, label, in_score (whether the score used it), smd_before (unweighted) and
    smd_after (weighted), over the patients of the score who have a value of it. A covariate left out
    of the score is judged too (as cobalt's and MatchIt's `addl` covariates): balance on the score's
    covariates alone says nothing of the confounders it leaves out. The study centre is pooled as the
    score pools it (pool_centres) whether or not the score uses it."""
    stent = score.data.stent.to_numpy()
    ones = np.ones(len(stent))
    rows = []
    extra = tuple(c for c in score.covariates if c not in COVARIATES)  # the study, when several are pooled
    for cov in (*COVARIATES, *extra):
        in_score = cov in score.covariates
        values = score.data[cov]
        known = values.notna().to_numpy()
        if cov == "center_id" and not in_score and known.any():
            values = pool_centres(values[known], pd.Series(stent[known], index=values.index[known]))[0]
        else:
            values = values[known]
        values = values.rename(cov)
        rows.append(
            {
                "covariate": cov,
                "label": COVARIATES.get(cov, "Study"),
                "in_score": in_score,
                "smd_before": weighted_smd(values, stent[known], ones[known]),
                "smd_after": weighted_smd(values, stent[known], w[known]),
            }
        )
    return pd.DataFrame(rows)


def small_cell_smds(score: Score, w: np.ndarray, k: int, weighted_is_count: bool) -> pd.DataFrame:
    """Which |SMD| of `balance` to hide under small-cell protection (k >= 2): a category's SMD before adjustment
    (and after, where the weights are counts: 1:1 matching, `weighted_is_count`) is a function of its levels'
    counts per arm, which with the arms' sizes (shown) an SMD rounded to 3 decimals can give back; so where an
    arm has 1..k-1 patients at a level, that SMD is hidden (fourth review of issue 28, finding 1, as Table 1).
    Rows: covariate, before, after (True: hidden), one per row of balance() (a covariate left out of the score
    too: its SMD is shown over the patients with a value; its levels are counted unpooled, which can only hide
    more)."""
    stent = score.data.stent.to_numpy()
    rows = []
    extra = tuple(c for c in score.covariates if c not in COVARIATES)  # as balance(): the study when pooled
    for cov in (*COVARIATES, *extra):
        if cov not in score.data.columns:  # a score built without it (balance() reads the same columns)
            continue
        hide_before = hide_after = False
        if k >= 2 and cov in CATEGORICAL:
            known = score.data[cov].notna().to_numpy()
            text = score.data[cov].astype(str).to_numpy()
            for weights, which in ((np.ones(len(stent)), "before"), (w, "after")):
                keep = (weights > 0) & known
                counts = pd.crosstab(text[keep], stent[keep]).to_numpy()
                small = bool(((counts > 0) & (counts < k)).any())
                if which == "before":
                    hide_before = small
                else:
                    hide_after = small and weighted_is_count
        rows.append({"covariate": cov, "before": hide_before, "after": hide_after})
    return pd.DataFrame(rows, columns=["covariate", "before", "after"])


def balanced(table: pd.DataFrame, target: float = BALANCE_TARGET) -> bool:
    """Every covariate's |SMD| after within the target (a covariate without one, NaN: not judged)."""
    return bool((table.smd_after.abs().fillna(0) <= target).all())


def effective_sample_size(stent: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Kish's effective sample size per arm: (sum w)^2 / sum w^2."""
    out = {}
    for arm, mask in (("stent", stent), ("medical", ~stent)):
        part = w[mask]
        out[arm] = float(part.sum() ** 2 / (part**2).sum()) if (part > 0).any() else 0.0
    return out


# ----------------------------------------------------------------------------------------------
# Estimates
# ----------------------------------------------------------------------------------------------


def weighted_difference(data: pd.DataFrame, w: np.ndarray, column: str = "change") -> Estimate | None:
    """Stent - medical weighted difference in mean `column` (patients with w > 0 and a value), with
    survey::svyglm's robust SE and t CI; None with fewer than 3 patients in an arm."""
    keep = (w > 0) & data[column].notna().to_numpy()
    stent = data.arm.to_numpy()[keep] == "stent"
    y, wk = data[column].to_numpy(float)[keep], w[keep]
    n_s, n_m = int(stent.sum()), int((~stent).sum())
    if min(n_s, n_m) < MIN_PER_ARM:
        return None
    n = len(y)
    x = np.column_stack([np.ones(n), stent.astype(float)])
    xtw = x.T * wk
    bread = np.linalg.inv(xtw @ x)
    beta = bread @ (xtw @ y)
    scores = x * (wk * (y - x @ beta))[:, None]
    cov = bread @ (scores.T @ scores) @ bread * n / (n - 1)
    est, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    df = n - 2
    t = stats.t.ppf(0.975, df)
    p = float(2 * stats.t.sf(abs(est / se), df))
    return Estimate(est, se, est - t * se, est + t * se, p, n_s, n_m)


def weighted_means(data: pd.DataFrame, w: np.ndarray, column: str = "change") -> dict[str, float]:
    """Weighted mean of `column` per arm (patients with w > 0 and a value)."""
    keep = (w > 0) & data[column].notna().to_numpy()
    out = {}
    for arm in ("stent", "medical"):
        mask = keep & (data.arm.to_numpy() == arm)
        out[arm] = float(np.average(data[column].to_numpy(float)[mask], weights=w[mask])) if mask.any() else np.nan
    return out


def responders(
    data: pd.DataFrame, points: float = DEFAULT_RESPONDER_POINTS, higher_is_better: bool = False
) -> pd.Series:
    """1.0 for a patient whose change improved by at least `points` (a fall for a score where lower is
    better, such as the Villalta), 0.0 otherwise, NaN without a change."""
    change = data.change.astype(float)
    improved = change >= points if higher_is_better else change <= -points
    return improved.astype(float).where(change.notna())


def weighted_risk_ratio(data: pd.DataFrame, w: np.ndarray, column: str = "responder") -> Estimate | None:
    """Stent / medical ratio of the weighted shares of a 0/1 `column` (patients with w > 0 and a
    value), as R's `svyglm(y ~ arm, design, family = quasipoisson())`: log-linear model, sandwich
    variance times n/(n - 1), t-based CI on n - 2 df; estimate and CI on the ratio scale, se of the
    log ratio. None with fewer than 3 patients in an arm or no responder in one."""
    keep = (w > 0) & data[column].notna().to_numpy()
    stent = data.arm.to_numpy()[keep] == "stent"
    y, wk = data[column].to_numpy(float)[keep], w[keep]
    n_s, n_m = int(stent.sum()), int((~stent).sum())
    if min(n_s, n_m) < MIN_PER_ARM or not (y[stent] > 0).any() or not (y[~stent] > 0).any():
        return None
    n = len(y)
    p_s, p_m = np.average(y[stent], weights=wk[stent]), np.average(y[~stent], weights=wk[~stent])
    beta = np.array([np.log(p_m), np.log(p_s) - np.log(p_m)])  # the saturated model's solution
    x = np.column_stack([np.ones(n), stent.astype(float)])
    mu = np.exp(x @ beta)
    bread = np.linalg.inv((x.T * (wk * mu)) @ x)
    scores = x * (wk * (y - mu))[:, None]
    cov = bread @ (scores.T @ scores) @ bread * n / (n - 1)
    est, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
    t = stats.t.ppf(0.975, n - 2)
    p = float(2 * stats.t.sf(abs(est / se), n - 2))
    return Estimate(float(np.exp(est)), se, float(np.exp(est - t * se)), float(np.exp(est + t * se)), p, n_s, n_m)


def _event_rows(data: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    keep = (w > 0) & data.duration_days.notna().to_numpy()
    part = data.loc[keep, ["arm", "duration_days", "observed"]]
    return pd.DataFrame(
        {
            "duration": part.duration_days.to_numpy(float),
            "event": part.observed.astype(bool).to_numpy(int),
            "stent": (part.arm == "stent").to_numpy(int),
            "w": w[keep],
        }
    )


def weighted_km(data: pd.DataFrame, w: np.ndarray) -> dict[str, KaplanMeierFitter]:
    """Weighted Kaplan-Meier per arm (patients eligible for the endpoint, w > 0)."""
    rows = _event_rows(data, w)
    fits = {}
    for arm, flag in (("stent", 1), ("medical", 0)):
        part = rows[rows.stent == flag]
        if len(part):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lifelines warns that non-integer weights are not counts
                fits[arm] = KaplanMeierFitter(label=arm).fit(part.duration, part.event, weights=part.w)
    return fits


def efron_standard_errors(
    duration: np.ndarray, event: np.ndarray, x: np.ndarray, w: np.ndarray, beta: float
) -> tuple[float, float]:
    """Model-based and robust (sandwich) SE of a one-covariate weighted Cox model at `beta`, with
    Efron's handling of tied event times, as R's coxph(..., weights, robust = TRUE) computes them:
    robust variance V^2 sum_j (w_j U_j)^2, V the inverse information and U_j the score residual, in
    which a patient dying at a tied time is at risk with weight 1 - k/d in the k-th of the d
    sub-steps of that time (lifelines' own robust SE leaves that weighting out: it differed from R
    by up to 5e-5 on the demo's 18 tied days).

    Per event time s with deaths D (d of them, mean weight wbar) and the risk set {t >= s}: for
    k = 0..d-1, f = k/d, den_k = S0 - f D0, xbar_k = (S1 - f D1) / den_k, hazard h_k = wbar / den_k
    (S the risk set's sums of w r x^0..2, D the deaths', r = exp(beta x)); information
    sum wbar ((S2 - f D2) / den_k - xbar_k^2); U_j = death_j (x_j - mean_k xbar_k) - r_j sum over
    event times s <= t_j and k of c_jk h_k (x_j - xbar_k), c_jk = 1 - f for a death at s, else 1."""
    order = np.argsort(duration, kind="stable")
    t, e, x, w = duration[order], event[order].astype(bool), x[order].astype(float), w[order]
    r = np.exp(beta * x)
    wr = w * r
    # risk-set sums (time >= s) by reverse cumulative sums over the sorted times
    first = np.searchsorted(t, np.unique(t[e]), side="left")
    tail = [np.cumsum((wr * x**p)[::-1])[::-1] for p in range(3)]
    times = t[first]
    steps = len(times)
    hz, gz = np.zeros(steps), np.zeros(steps)  # sum_k h_k, sum_k h_k xbar_k
    hz_dead, gz_dead, xbar_mean = np.zeros(steps), np.zeros(steps), np.zeros(steps)
    info = 0.0
    ends = np.searchsorted(t, times, side="right")
    for i, (start, end) in enumerate(zip(first, ends, strict=True)):
        dead = start + np.flatnonzero(e[start:end])  # t is sorted: the time's rows are [start, end)
        d = len(dead)
        s0, s1, s2 = (tail[p][start] for p in range(3))
        d0, d1, d2 = wr[dead].sum(), (wr * x)[dead].sum(), (wr * x * x)[dead].sum()
        wbar = w[dead].sum() / d
        for k in range(d):
            f = k / d
            den = s0 - f * d0
            xb = (s1 - f * d1) / den
            h = wbar / den
            info += wbar * ((s2 - f * d2) / den - xb * xb)
            hz[i] += h
            gz[i] += h * xb
            hz_dead[i] += (1 - f) * h
            gz_dead[i] += (1 - f) * h * xb
            xbar_mean[i] += xb / d
    cum_h, cum_g = np.cumsum(hz), np.cumsum(gz)
    last = np.searchsorted(times, t, side="right") - 1  # the last event time <= t_j
    seen = last >= 0
    at_risk_h = np.where(seen, cum_h[np.maximum(last, 0)], 0.0)
    at_risk_g = np.where(seen, cum_g[np.maximum(last, 0)], 0.0)
    # a death at its own time: that time's terms with weight 1 - f instead of 1
    own = np.where(e, last, 0)
    at_risk_h = np.where(e, at_risk_h - hz[own] + hz_dead[own], at_risk_h)
    at_risk_g = np.where(e, at_risk_g - gz[own] + gz_dead[own], at_risk_g)
    u = -r * (x * at_risk_h - at_risk_g) + np.where(e, x - xbar_mean[own], 0.0)
    v = 1 / info
    return float(np.sqrt(v)), float(np.sqrt(v * v * np.sum((w * u) ** 2)))


def weighted_cox(data: pd.DataFrame, w: np.ndarray) -> tuple[Estimate, float] | None:
    """Hazard ratio stent vs medical (estimate and CI on the ratio scale, se of the log HR: the
    robust one of efron_standard_errors) and the share of the analysed patients with the event;
    None with fewer than 3 patients or no event in an arm."""
    rows = _event_rows(data, w)
    n_s, n_m = int(rows.stent.sum()), int((1 - rows.stent).sum())
    if min(n_s, n_m) < MIN_PER_ARM or rows.groupby("stent").event.sum().reindex([0, 1], fill_value=0).min() == 0:
        return None
    fitter = CoxPHFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # converged as tightly as R's coxph (lifelines' default stops up to 1e-5 short in the log HR)
        fit_options = {"precision": 1e-12, "r_precision": 1e-14}
        fitter.fit(rows, "duration", "event", weights_col="w", fit_options=fit_options)
    log_hr = float(fitter.params_["stent"])
    duration, event, stent, w_rows = (rows[c].to_numpy(float) for c in ("duration", "event", "stent", "w"))
    _, se = efron_standard_errors(duration, event, stent, w_rows, log_hr)
    z = stats.norm.ppf(0.975)
    p = float(2 * stats.norm.sf(abs(log_hr / se)))
    low, high = float(np.exp(log_hr - z * se)), float(np.exp(log_hr + z * se))
    hr = Estimate(float(np.exp(log_hr)), se, low, high, p, n_s, n_m)
    return hr, float(rows.event.mean())


PH_DOUBTFUL = 0.05  # a proportional-hazards test p below this: the page says the hazard ratio is doubtful
PH_METHOD = (
    "proportional hazards checked by the Grambsch & Therneau score test on the weighted fit (scaled Schoenfeld "
    "residuals against the Kaplan-Meier time transform), as survival::cox.zph"
)


def weighted_ph_test(data: pd.DataFrame, w: np.ndarray, hr: Estimate) -> tuple[float, float]:
    """Chi-square (1 df) and p of the proportional-hazards test of the weighted Cox model of
    `weighted_cox` (hazard ratio `hr`, same patients and weights): R's cox.zph(coxph(..., weights =
    w, robust = TRUE)) with its default transform "km" (pts_explorer.analytics.ph_test, exact as R's
    survival >= 3.0 computes it, weights included)."""
    from pts_explorer.analytics.ph_test import cox_zph

    rows = _event_rows(data, w)
    x = pd.DataFrame({"stent": rows.stent.to_numpy(float)})
    result = cox_zph(
        rows.duration.to_numpy(), rows.event.to_numpy(), x, np.array([np.log(hr.estimate)]), weights=rows.w.to_numpy()
    )
    row = result.table.loc["stent"]
    return float(row.chisq), float(row.p)


# ----------------------------------------------------------------------------------------------
# E-values and the benchmark
# ----------------------------------------------------------------------------------------------


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio (VanderWeele & Ding 2017): RR + sqrt(RR (RR - 1)), RR taken >= 1."""
    if not np.isfinite(rr) or rr <= 0:
        return np.nan
    rr = 1 / rr if rr < 1 else rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def evalue_interval(rr: float, low: float, high: float) -> tuple[float, float]:
    """E-values of the estimate and of the CI bound nearest the null (1 when the CI includes 1)."""
    if low <= 1 <= high:
        return evalue_rr(rr), 1.0
    return evalue_rr(rr), evalue_rr(low if rr > 1 else high)


def evalue_difference(estimate: Estimate, sd: float) -> tuple[float, float]:
    """E-values of a difference in means: d = difference / sd, RR = exp(0.91 d) for the estimate and
    the CI bounds."""
    rr = [float(np.exp(0.91 * v / sd)) for v in (estimate.estimate, estimate.ci_low, estimate.ci_high)]
    return evalue_interval(*rr)


def hr_to_rr(hr: float, event_share: float) -> float:
    if event_share < RARE_OUTCOME:
        return hr
    return float((1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr)))


def evalue_hazard_ratio(hr: Estimate, event_share: float) -> tuple[float, float]:
    rr = [hr_to_rr(v, event_share) for v in (hr.estimate, hr.ci_low, hr.ci_high)]
    return evalue_interval(*rr)


def pooled_sd(data: pd.DataFrame, column: str = "change") -> float:
    """sqrt((var_stent + var_medical) / 2) of `column` (unweighted, n - 1): the SD of an E-value's d."""
    part = data.dropna(subset=[column])
    var = part.groupby("arm")[column].var()
    return float(np.sqrt((var.get("stent", np.nan) + var.get("medical", np.nan)) / 2))


@dataclass(frozen=True)
class Benchmark:
    registry: Estimate
    trial: Estimate
    difference: float
    se: float
    ci_low: float
    ci_high: float


def trial_estimate(rows: pd.DataFrame, column: str = "change") -> Estimate | None:
    """The randomized estimate: the unweighted difference in mean `column` among the patients of
    randomized studies, with the same robust SE (svyglm with weight 1)."""
    trial = randomized(rows)
    return weighted_difference(trial, np.ones(len(trial)), column)


def benchmark(registry: Estimate, trial: Estimate) -> Benchmark:
    """Adjusted registry minus randomized trial estimate; the samples are independent, so its SE
    is sqrt(se_r^2 + se_t^2), normal 95% CI."""
    diff = registry.estimate - trial.estimate
    se = float(np.hypot(registry.se, trial.se))
    z = stats.norm.ppf(0.975)
    return Benchmark(registry, trial, diff, se, diff - z * se, diff + z * se)


# ----------------------------------------------------------------------------------------------
# The analysed patients, one row each, for a reviewer to recompute the estimate
# ----------------------------------------------------------------------------------------------

PATIENT_COLUMNS = ("patient_id", "study_id", "arm", "propensity_score", "weight", "pair")


def patient_table(
    registry: pd.DataFrame,
    in_criteria: pd.Series | None,
    score: Score,
    w: np.ndarray,
    method: str,
    caliper: float,
    outcome: tuple[str, ...],
    no_outcome: str,
) -> pd.DataFrame:
    """Every registry patient of the cohort, in its order: patient_id, study_id, arm, the propensity
    score and the weight of the estimate (empty / 0 for a patient not in the score), the matched
    pair (matching: the patient_id of the pair's stent patient; else empty), the ten candidate
    covariates (center_id as the score used it: a pooled centre reads OTHER_CENTRES), the `outcome` columns
    (change, responder; or duration_days, observed), `analysed` ("yes" for a patient of the estimate:
    in the score, a positive weight and the outcome) and `reason` for each "no": outside the trial's
    inclusion criteria (`in_criteria` False; None when not restricted), `no_outcome`, a covariate
    missing, trimmed (IPTW), for a stent patient matching left unmatched no medical patient left to
    match or no match within the caliper (unmatched_reasons), or not matched (a medical patient no
    stent patient took)."""
    table = registry.loc[:, ["patient_id", "study_id", "arm", *COVARIATES, *outcome]].copy()
    data = score.data
    if "center_id" in score.covariates:  # the centre as the score used it: a small centre pooled
        table.loc[data.index, "center_id"] = data.center_id.astype(str)
    ps = pd.Series(data.ps.to_numpy(), index=data.index)
    weight = pd.Series(w, index=data.index)
    table["propensity_score"] = ps.reindex(table.index)
    table["weight"] = weight.reindex(table.index).fillna(0.0)
    table["pair"] = ""
    if method == MATCHING:
        partner = match_nearest(data.stent.to_numpy(), data.ps.to_numpy(), caliper)
        ids = data.patient_id.to_numpy()
        pair = [
            "" if p < 0 else (ids[i] if stent else ids[p])
            for i, (p, stent) in enumerate(zip(partner, data.stent.to_numpy(), strict=True))
        ]
        table.loc[data.index, "pair"] = pair
    has_outcome = table[outcome[0]].notna()
    if outcome[0] == "duration_days":  # zero follow-up: not at risk, as analysed_rows
        has_outcome = table.duration_days.astype(float) > 0
    in_score = table.index.isin(data.index)
    reason = pd.Series("", index=table.index, dtype=object)
    if in_criteria is not None:
        outside = ~in_criteria.reindex(table.index).fillna(False).astype(bool)
        reason[outside] = "outside the trial's inclusion criteria"
    free = reason == ""
    reason[free & ~has_outcome] = no_outcome
    free = reason == ""
    reason[free & ~in_score] = "a covariate of the score missing"
    free = reason == ""
    zero = free & in_score & (table.weight == 0)
    if method == MATCHING:
        stent = (table.arm == "stent").to_numpy()
        why = pd.Series(unmatched_reasons(data.stent.to_numpy(), data.ps.to_numpy(), partner), index=data.index)
        why = why.reindex(table.index).fillna("")
        n_medical = int((~data.stent).sum())
        left = f"no medical patient left to match (1:1 without replacement: at most {n_medical} matches)"
        reason[zero & stent & (why == NO_CONTROL_LEFT)] = left
        reason[zero & stent & (why == OUTSIDE_CALIPER)] = "no match within the caliper"
        reason[zero & ~stent] = "not matched to a stent patient"
    else:
        reason[zero] = "score outside the trimming bounds (trimmed)" if method == IPTW else "weight 0"
    table["analysed"] = np.where(reason == "", "yes", "no")
    table["reason"] = reason
    return table.loc[:, [*PATIENT_COLUMNS, *COVARIATES, *outcome, "analysed", "reason"]].reset_index(drop=True)
