"""Mixed model for repeated measures (MMRM) as trial statisticians fit it.

The marginal model  change ~ visit + treatment x visit + baseline x visit  with an unstructured
covariance of the visits within a patient (nlme::gls with corSymm + varIdent; R package mmrm's
us()), fitted by REML (default) or ML. The variance parameters are optimised by scipy on the
closed-form (restricted) log-likelihood with its analytic gradient; the fixed effects are the GLS
estimates given them. Per-visit treatment contrasts get either Satterthwaite degrees of freedom
and t-based intervals (emmeans' "appx-satterthwaite": the variance of the contrast differentiated
numerically in the variance parameters, whose covariance is the inverse observed information) or
asymptotic Wald z intervals.

No maintained Python library fits this model: statsmodels' MixedLM is a random-effects model
without an unstructured residual covariance or small-sample degrees of freedom, and pymer4 needs
an R installation. Missing visits are handled by grouping patients by their pattern of visits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from patsy import dmatrices
from scipy import optimize, stats

ARM_TERM = "C(arm, Treatment('medical'))[T.stent]"
FORMULA = "change ~ 0 + C(visit_month) + C(visit_month):C(arm, Treatment('medical')) + C(visit_month):baseline"
METHODS = {
    "reml": "REML, Satterthwaite degrees of freedom (t-based 95% CI)",
    "ml": "ML, asymptotic Wald z 95% CI",
}
MIN_PER_ARM = 3


@dataclass
class Patterns:
    """Patients grouped by the visits they attended: design and outcome per group."""

    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (observed visits, X n*o*p, y n*o)
    months: list[int]
    names: list[str]
    n_obs: int


def patterns(long: pd.DataFrame, formula: str = FORMULA) -> Patterns:
    y_frame, x_frame = dmatrices(formula, long, return_type="dataframe")
    months = sorted(int(m) for m in long.visit_month.unique())
    patient, p_index = np.unique(long.patient_id.to_numpy(), return_inverse=True)
    v_index = np.searchsorted(months, long.visit_month.to_numpy())
    n, k, p = patient.size, len(months), x_frame.shape[1]
    y, x = np.zeros((n, k)), np.zeros((n, k, p))
    observed = np.zeros((n, k), dtype=bool)
    y[p_index, v_index] = y_frame.to_numpy()[:, 0]
    x[p_index, v_index] = x_frame.to_numpy()
    observed[p_index, v_index] = True
    shapes, inverse = np.unique(observed, axis=0, return_inverse=True)
    groups = []
    for i, shape in enumerate(shapes):
        rows, visits = np.flatnonzero(inverse.ravel() == i), np.flatnonzero(shape)
        groups.append((visits, x[np.ix_(rows, visits)], y[np.ix_(rows, visits)]))
    return Patterns(groups, months, list(x_frame.columns), int(observed.sum()))


# ----------------------------------------------------------------------------------------------
# Covariance structures: theta (unconstrained) <-> Sigma, and d loglik / d theta from d / d Sigma
# ----------------------------------------------------------------------------------------------


def unstructured(theta: np.ndarray, k: int) -> np.ndarray:
    """Sigma = L L' with L lower triangular, its diagonal on the log scale."""
    lower = np.zeros((k, k))
    lower[np.tril_indices(k)] = theta
    lower[np.diag_indices(k)] = np.exp(np.diag(lower))
    return lower @ lower.T


def _unstructured_gradient(theta: np.ndarray, k: int, grad_sigma: np.ndarray) -> np.ndarray:
    lower = np.zeros((k, k))
    lower[np.tril_indices(k)] = theta
    lower[np.diag_indices(k)] = np.exp(np.diag(lower))
    grad_lower = 2 * grad_sigma @ lower
    grad_lower[np.diag_indices(k)] *= np.diag(lower)
    return grad_lower[np.tril_indices(k)]


def _unstructured_start(sigma: np.ndarray) -> np.ndarray:
    lower = np.linalg.cholesky(sigma)
    lower[np.diag_indices(lower.shape[0])] = np.log(np.diag(lower))
    return lower[np.tril_indices(lower.shape[0])]


def compound_symmetry(theta: np.ndarray, k: int) -> np.ndarray:
    """Sigma = s * (rho J + (1 - rho) I), s = exp(theta0), rho in (-1/(k-1), 1)."""
    low = -1 / (k - 1) if k > 1 else -1.0
    rho = low + (1 - low) / (1 + np.exp(-theta[1]))
    return np.exp(theta[0]) * (rho * np.ones((k, k)) + (1 - rho) * np.eye(k))


def _compound_symmetry_gradient(theta: np.ndarray, k: int, grad_sigma: np.ndarray) -> np.ndarray:
    low = -1 / (k - 1) if k > 1 else -1.0
    sig = 1 / (1 + np.exp(-theta[1]))
    rho = low + (1 - low) * sig
    s = np.exp(theta[0])
    d_s = s * (rho * np.ones((k, k)) + (1 - rho) * np.eye(k))
    d_rho = s * (np.ones((k, k)) - np.eye(k)) * (1 - low) * sig * (1 - sig)
    return np.array([np.sum(grad_sigma * d_s), np.sum(grad_sigma * d_rho)])


@dataclass(frozen=True)
class Structure:
    name: str
    sigma: Callable[[np.ndarray, int], np.ndarray]
    gradient: Callable[[np.ndarray, int, np.ndarray], np.ndarray]


STRUCTURES = {
    "unstructured": Structure("unstructured", unstructured, _unstructured_gradient),
    "compound symmetry": Structure("compound symmetry", compound_symmetry, _compound_symmetry_gradient),
}


# ----------------------------------------------------------------------------------------------
# Likelihood
# ----------------------------------------------------------------------------------------------


def _information(data: Patterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """X' V^-1 X, X' V^-1 y and the inverse covariance blocks of each pattern."""
    p = len(data.names)
    xtvx, xtvy, inverses = np.zeros((p, p)), np.zeros(p), []
    for visits, x, y in data.groups:
        inv = np.linalg.inv(sigma[np.ix_(visits, visits)])
        inverses.append(inv)
        weighted = np.einsum("ij,njq->niq", inv, x)
        xtvx += np.einsum("nip,niq->pq", x, weighted)
        xtvy += np.einsum("niq,ni->q", weighted, y)
    return xtvx, xtvy, inverses


def loglik(theta: np.ndarray, data: Patterns, structure: Structure, reml: bool) -> tuple[float, np.ndarray]:
    """The (restricted) log-likelihood and its gradient in theta."""
    k = len(data.months)
    sigma = structure.sigma(theta, k)
    xtvx, xtvy, inverses = _information(data, sigma)
    cov_beta = np.linalg.inv(xtvx)
    beta = cov_beta @ xtvy
    value, grad_sigma = 0.0, np.zeros((k, k))
    for (visits, x, y), inv in zip(data.groups, inverses, strict=True):
        resid = y - x @ beta
        sign, logdet = np.linalg.slogdet(sigma[np.ix_(visits, visits)])
        value -= 0.5 * (len(resid) * logdet + np.einsum("ni,ij,nj->", resid, inv, resid))
        outer = resid.T @ resid
        if reml:
            outer = outer + np.einsum("nip,pq,njq->ij", x, cov_beta, x)
        grad_sigma[np.ix_(visits, visits)] += 0.5 * (inv @ outer @ inv - len(resid) * inv)
    n_params = len(data.names) if reml else 0
    value -= 0.5 * (data.n_obs - n_params) * np.log(2 * np.pi)
    if reml:
        value -= 0.5 * np.linalg.slogdet(xtvx)[1]
    return value, structure.gradient(theta, k, grad_sigma)


def _start(data: Patterns) -> np.ndarray:
    """A positive definite moment estimate: OLS residuals, pairwise covariances, shrunk."""
    k = len(data.months)
    xtx = sum(np.einsum("nip,niq->pq", x, x) for _, x, _ in data.groups)
    xty = sum(np.einsum("nip,ni->p", x, y) for _, x, y in data.groups)
    beta = np.linalg.lstsq(xtx, xty, rcond=None)[0]
    sums, counts = np.zeros((k, k)), np.zeros((k, k))
    for visits, x, y in data.groups:
        r = y - x @ beta
        sums[np.ix_(visits, visits)] += r.T @ r
        counts[np.ix_(visits, visits)] += len(r)
    cov = sums / np.maximum(counts, 1)
    scale = np.sqrt(np.clip(np.diag(cov), 1e-6, None))
    corr = cov / np.outer(scale, scale)
    corr = 0.9 * corr + 0.1 * np.eye(k)
    corr[np.diag_indices(k)] = 1.0
    return np.outer(scale, scale) * corr


# ----------------------------------------------------------------------------------------------
# Fit and contrasts
# ----------------------------------------------------------------------------------------------


@dataclass
class MmrmFit:
    beta: np.ndarray
    cov_beta: np.ndarray
    theta: np.ndarray
    theta_cov: np.ndarray  # inverse observed information of the variance parameters
    sigma: np.ndarray
    names: list[str]
    months: list[int]
    structure: str
    reml: bool
    converged: bool
    loglik: float
    data: Patterns

    def cov_beta_at(self, theta: np.ndarray) -> np.ndarray:
        sigma = STRUCTURES[self.structure].sigma(theta, len(self.months))
        return np.linalg.inv(_information(self.data, sigma)[0]) * _ml_scale(self.data, self.reml)

    def contrast(self, weights: np.ndarray, df_method: str = "satterthwaite") -> dict[str, float]:
        """Estimate, SE, df, 95% CI and p of weights' beta; df = inf for "asymptotic"."""
        estimate = float(weights @ self.beta)
        variance = float(weights @ self.cov_beta @ weights)
        se = np.sqrt(variance)
        if df_method == "asymptotic":
            df, quantile = np.inf, stats.norm.ppf(0.975)
            p = 2 * stats.norm.sf(abs(estimate) / se)
        else:
            df = satterthwaite_df(self, weights)
            quantile = stats.t.ppf(0.975, df)
            p = 2 * stats.t.sf(abs(estimate) / se, df)
        return {
            "estimate": estimate,
            "se": se,
            "df": df,
            "ci_low": estimate - quantile * se,
            "ci_high": estimate + quantile * se,
            "p_value": float(p),
        }


def _hessian(function: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central differences of an analytic gradient, symmetrised."""
    n = theta.size
    hess = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = step * max(1.0, abs(theta[i]))
        hess[:, i] = (function(theta + e) - function(theta - e)) / (2 * e[i])
    return (hess + hess.T) / 2


def satterthwaite_df(fit: MmrmFit, weights: np.ndarray, step: float = 1e-5) -> float:
    """df = 2 (w' C w)^2 / (g' A g), g the gradient of w' C(theta) w, A the covariance of theta."""
    variance = float(weights @ fit.cov_beta @ weights)
    grad = np.zeros(fit.theta.size)
    for i in range(fit.theta.size):
        e = np.zeros(fit.theta.size)
        e[i] = step * max(1.0, abs(fit.theta[i]))
        up = weights @ fit.cov_beta_at(fit.theta + e) @ weights
        down = weights @ fit.cov_beta_at(fit.theta - e) @ weights
        grad[i] = (up - down) / (2 * e[i])
    return float(2 * variance**2 / (grad @ fit.theta_cov @ grad))


def _ml_scale(data: Patterns, reml: bool) -> float:
    """nlme::gls (the reference) scales the ML fixed-effect covariance by N / (N - p)."""
    return 1.0 if reml else data.n_obs / (data.n_obs - len(data.names))


PER_VISIT_TERMS = 3  # each visit's mean, treatment effect and baseline slope


def _plain_counts(stent: int, medical: int) -> tuple[str, str, str]:
    return f"{stent + medical:,}", f"{stent:,}", f"{medical:,}"


def design_problem(
    long: pd.DataFrame,
    formula: str = FORMULA,
    counts: Callable[[int, int], tuple[str, str, str]] = _plain_counts,
) -> str | None:
    """Why the model's fixed effects cannot be estimated from these data, in words (None: they can):
    a visit where an arm has nobody, a visit with fewer patients than its own terms, or columns of
    the design that are linear combinations of the others. `counts` writes a
    visit's patients (both arms, stent, medical), e.g. with small cells hidden. This module stands
    alone (reproduce bundles copy it): it imports nothing of the app."""
    by_visit = long.groupby(["visit_month", "arm"]).patient_id.nunique().unstack(fill_value=0)
    for month, row in by_visit.iterrows():
        stent, medical = int(row.get("stent", 0)), int(row.get("medical", 0))
        total, shown_stent, shown_medical = counts(stent, medical)
        seen = f"month {month} has {total} patient(s) (stent {shown_stent}, medical {shown_medical})"
        if not stent or not medical:
            return f"{seen}: the stent − medical difference at that visit cannot be estimated"
        if stent + medical < PER_VISIT_TERMS:
            return (
                f"{seen}: its mean, treatment effect and baseline slope need at least {PER_VISIT_TERMS} patients "
                "at that visit"
            )
    _, x = dmatrices(formula, long, return_type="dataframe")
    rank = np.linalg.matrix_rank(x.to_numpy())
    if rank < x.shape[1]:
        # the columns a least-squares basis leaves out are those the others already span
        _, r = np.linalg.qr(x.to_numpy())
        weak = [name for name, d in zip(x.columns, np.abs(np.diag(r)), strict=True) if d < 1e-8 * np.abs(r).max()]
        named = ", ".join(weak[:3]) or "some columns"
        verb = "depends" if len(weak) == 1 else "depend"
        return f"the design matrix is singular (rank {rank} of {x.shape[1]}: {named} {verb} on the other columns)"
    return None


def fit(long: pd.DataFrame, reml: bool = True, structure: str = "unstructured") -> MmrmFit:
    """Fit the MMRM; raises np.linalg.LinAlgError or ValueError when it cannot be estimated."""
    data = patterns(long)
    kind = STRUCTURES[structure]
    start = _start(data)
    if structure == "unstructured":
        theta0 = _unstructured_start(start)
    else:
        theta0 = np.array([np.log(np.mean(np.diag(start))), 0.0])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = loglik(theta, data, kind, reml)
        return -value, -grad

    result = optimize.minimize(objective, theta0, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    theta = result.x
    sigma = kind.sigma(theta, len(data.months))
    xtvx, xtvy, _ = _information(data, sigma)
    cov_beta = np.linalg.inv(xtvx)
    beta = cov_beta @ xtvy
    cov_beta = cov_beta * _ml_scale(data, reml)
    hessian = _hessian(lambda t: loglik(t, data, kind, reml)[1], theta)
    theta_cov = np.linalg.inv(-hessian)
    converged = bool(result.success or np.max(np.abs(result.jac)) < 1e-5) and np.all(np.linalg.eigvalsh(-hessian) > 0)
    return MmrmFit(
        beta,
        cov_beta,
        theta,
        theta_cov,
        sigma,
        data.names,
        data.months,
        structure,
        reml,
        bool(converged),
        -float(result.fun),
        data,
    )


def arm_columns(fit_: MmrmFit) -> dict[int, int]:
    return {m: fit_.names.index(f"C(visit_month)[{m}]:{ARM_TERM}") for m in fit_.months}


def visit_effects(fit_: MmrmFit, long: pd.DataFrame, df_method: str) -> pd.DataFrame:
    """Stent minus medical difference in change at each visit, with n per arm."""
    rows = []
    for month, j in arm_columns(fit_).items():
        weights = np.zeros(len(fit_.names))
        weights[j] = 1.0
        arms = long[long.visit_month == month].arm.value_counts()
        rows.append(
            {
                "visit_month": month,
                **fit_.contrast(weights, df_method),
                "n_stent": int(arms.get("stent", 0)),
                "n_medical": int(arms.get("medical", 0)),
            }
        )
    return pd.DataFrame(rows)
