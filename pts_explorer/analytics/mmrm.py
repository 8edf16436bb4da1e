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
an R installation. Missing visits are handled by grouping patients by their pattern of visits, each
pattern held as the sums of its patients' cross-products (Patterns), so a likelihood evaluation does
not grow with the number of patients.
"""

from __future__ import annotations

import functools
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
    """The patients grouped by the visits they attended (g patterns over k visits), held as the sums
    the likelihood needs, so that an evaluation costs the same for a hundred patients as for twenty
    thousand, with a few array operations over all patterns at once.

    x_i, a patient's design row at visit i, is non-zero only in a few columns (the visit's mean,
    treatment and baseline terms): `columns[i]` are those (q of them, padded with a zero-weight
    column), z_i = x_i[columns[i]]; the sums are over the patients of each pattern."""

    observed: np.ndarray  # g x k: the visits of each pattern
    n: np.ndarray  # g: patients per pattern
    columns: np.ndarray  # k x q: the design columns a visit's row can use
    zz: np.ndarray  # g x k x k x q x q: sum of z_i' z_j
    zy: np.ndarray  # g x k x k x q: sum of z_i' y_j
    yy: np.ndarray  # g x k x k: sum of y_i y_j
    months: list[int]
    names: list[str]
    n_obs: int

    @functools.cached_property
    def pair_mask(self) -> np.ndarray:
        return self.observed[:, :, None] & self.observed[:, None, :]

    def scatter(self, per_visit: np.ndarray) -> np.ndarray:
        """A k x k x q x q array of blocks (visit i's columns by visit j's) summed into p x p."""
        p = len(self.names)
        out = np.zeros((p, p))
        np.add.at(out, (self.columns[:, None, :, None], self.columns[None, :, None, :]), per_visit)
        return out

    def gather(self, matrix: np.ndarray) -> np.ndarray:
        """The k x k x q x q blocks of a p x p matrix."""
        return matrix[self.columns[:, None, :, None], self.columns[None, :, None, :]]

    def residual_products(self, beta: np.ndarray) -> np.ndarray:
        """Sum over each pattern's patients of r_i r_j, r = y - x beta: g x k x k."""
        b = beta[self.columns]  # k x q
        zy_b = np.einsum("gija,ia->gij", self.zy, b)
        return self.yy - zy_b - zy_b.transpose(0, 2, 1) + np.einsum("gijab,ia,jb->gij", self.zz, b, b, optimize=True)


def patterns(long: pd.DataFrame, formula: str = FORMULA) -> Patterns:
    y_frame, x_frame = dmatrices(formula, long, return_type="dataframe")
    months = sorted(int(m) for m in long.visit_month.unique())
    patient, p_index = np.unique(long.patient_id.to_numpy(), return_inverse=True)
    v_index = np.searchsorted(months, long.visit_month.to_numpy())
    n, k = patient.size, len(months)
    design = x_frame.to_numpy()
    used = [np.flatnonzero(np.any(design[v_index == i] != 0, axis=0)) for i in range(k)]
    q = max(1, *(u.size for u in used))
    columns = np.zeros((k, q), dtype=int)
    z = np.zeros((n, k, q))
    y = np.zeros((n, k))
    observed = np.zeros((n, k), dtype=bool)
    for i, cols in enumerate(used):
        columns[i, : cols.size] = cols
        rows = v_index == i
        z[p_index[rows], i, : cols.size] = design[np.ix_(rows, cols)]
    y[p_index, v_index] = y_frame.to_numpy()[:, 0]
    observed[p_index, v_index] = True
    shapes, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    g = shapes.shape[0]
    zz, zy, yy = np.zeros((g, k, k, q, q)), np.zeros((g, k, k, q)), np.zeros((g, k, k))
    for j in range(g):  # once per fit
        zs, ys = z[inverse == j], y[inverse == j]
        zz[j] = np.einsum("nia,njb->ijab", zs, zs, optimize=True)
        zy[j] = np.einsum("nia,nj->ija", zs, ys, optimize=True)
        yy[j] = ys.T @ ys
    counts = np.bincount(inverse, minlength=g)
    return Patterns(shapes, counts, columns, zz, zy, yy, months, list(x_frame.columns), int(observed.sum()))


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


def _pattern_inverses(data: Patterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pattern's inverse covariance of its visits (zero at the visits it lacks), g x k x k, and
    the log-determinant of its covariance, g."""
    k = sigma.shape[0]
    missing = ~data.observed
    blocks = np.where(data.pair_mask, sigma, 0.0)
    blocks[:, np.arange(k), np.arange(k)] += missing  # 1 on a missing visit's diagonal: det and inverse unchanged
    sign, logdet = np.linalg.slogdet(blocks)
    return np.linalg.inv(blocks) * data.pair_mask, logdet


def _information(data: Patterns, inverses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X' V^-1 X and X' V^-1 y."""
    xtvx = data.scatter(np.einsum("gij,gijab->ijab", inverses, data.zz, optimize=True))
    xtvy = np.zeros(len(data.names))
    np.add.at(xtvy, data.columns, np.einsum("gij,gija->ia", inverses, data.zy, optimize=True))
    return xtvx, xtvy


def loglik(theta: np.ndarray, data: Patterns, structure: Structure, reml: bool) -> tuple[float, np.ndarray]:
    """The (restricted) log-likelihood and its gradient in theta."""
    k = len(data.months)
    sigma = structure.sigma(theta, k)
    inverses, logdet = _pattern_inverses(data, sigma)
    xtvx, xtvy = _information(data, inverses)
    cov_beta = np.linalg.inv(xtvx)
    beta = cov_beta @ xtvy
    outer = data.residual_products(beta)
    value = -0.5 * (float(data.n @ logdet) + float(np.sum(inverses * outer)))
    if reml:
        outer = outer + np.einsum("gijab,ijab->gij", data.zz, data.gather(cov_beta), optimize=True)
    grad_sigma = 0.5 * np.sum(inverses @ outer @ inverses - data.n[:, None, None] * inverses, axis=0)
    n_params = len(data.names) if reml else 0
    value -= 0.5 * (data.n_obs - n_params) * np.log(2 * np.pi)
    if reml:
        value -= 0.5 * np.linalg.slogdet(xtvx)[1]
    return value, structure.gradient(theta, k, grad_sigma)


def _start(data: Patterns) -> np.ndarray:
    """A positive definite moment estimate: OLS residuals, pairwise covariances, shrunk."""
    k = len(data.months)
    xtx = data.scatter(np.einsum("gijab->ijab", data.zz * np.eye(k)[None, :, :, None, None]))
    xty = np.zeros(len(data.names))
    np.add.at(xty, data.columns, np.einsum("giia->ia", data.zy))
    beta = np.linalg.lstsq(xtx, xty, rcond=None)[0]
    sums = data.residual_products(beta).sum(axis=0)
    counts = np.einsum("g,gij->ij", data.n, data.pair_mask.astype(float))
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
        return np.linalg.inv(_information(self.data, _pattern_inverses(self.data, sigma)[0])[0]) * _ml_scale(
            self.data, self.reml
        )

    @functools.cached_property
    def cov_beta_jacobian(self) -> np.ndarray:
        """d cov(beta) / d theta_i by central differences (theta x p x p): computed once, it serves the
        Satterthwaite df of every contrast."""
        return np.stack([_central_difference(self.cov_beta_at, self.theta, i) for i in range(self.theta.size)])

    def contrast(self, weights: np.ndarray, df_method: str = "satterthwaite") -> dict[str, float]:
        """Estimate, SE, df, 95% CI and p of weights' beta; df = inf for "asymptotic"."""
        estimate = float(weights @ self.beta)
        se = float(np.sqrt(weights @ self.cov_beta @ weights))
        return wald(estimate, se, np.inf if df_method == "asymptotic" else satterthwaite_df(self, weights))


def wald(estimate: float, se: float, df: float) -> dict[str, float]:
    """Estimate, SE, df, 95% CI and two-sided p: t with `df` degrees of freedom, or z when df is inf."""
    if np.isinf(df):
        quantile, p = stats.norm.ppf(0.975), 2 * stats.norm.sf(abs(estimate) / se)
    else:
        quantile, p = stats.t.ppf(0.975, df), 2 * stats.t.sf(abs(estimate) / se, df)
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
        hess[:, i] = _central_difference(function, theta, i, step)
    return (hess + hess.T) / 2


def _central_difference(
    function: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, i: int, step: float = 1e-5
) -> np.ndarray:
    e = np.zeros(theta.size)
    e[i] = step * max(1.0, abs(theta[i]))
    return (function(theta + e) - function(theta - e)) / (2 * e[i])


def satterthwaite_df(fit: MmrmFit, weights: np.ndarray) -> float:
    """df = 2 (w' C w)^2 / (g' A g), g the gradient of w' C(theta) w, A the covariance of theta."""
    variance = float(weights @ fit.cov_beta @ weights)
    grad = fit.cov_beta_jacobian @ weights @ weights
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
    xtvx, xtvy = _information(data, _pattern_inverses(data, sigma)[0])
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
