"""Responders, as presented: stent against medical, shares by arm, small cells hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer.display.text import _arms, interval, number
from pts_explorer.privacy import Protection
from pts_explorer.rows import each_row


def protect_shares(shares: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Responder proportions without those whose responders, non-responders or n are too few;
    `responders_text` and `n_text` to show."""
    out = shares.copy()
    small = out.n.map(shield.small) | out.responders.map(shield.small) | (out.n - out.responders).map(shield.small)
    # The arms' n at a visit add up to the patients due (or seen) there, at month 0 the cohort: where one
    # arm's n is hidden, so is the other's, with its share and CI (from which with its responders, or
    # from the Wilson interval alone, its n would follow).
    complement = shield.complements(out, "n", ["visit_month"])
    out.loc[small | complement, ["proportion", "ci_low", "ci_high"]] = np.nan
    out["responders_text"] = [
        shield.label if h else f"{int(x):,}" for x, h in zip(out.responders, small | complement, strict=True)
    ]
    out["n_text"] = [shield.count(n, shield.small(n) or c) for n, c in zip(out.n, complement, strict=True)]
    return out


def protect_comparison(comparison: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Stent-versus-medical rows ("x/n" per arm) without the effects of an arm whose responders,
    non-responders or n are too few; such x (and a too-small n) are written <k."""
    if not shield.active or comparison.empty:
        return comparison
    out = comparison.copy()
    hidden = pd.Series(False, index=out.index)
    cells = {arm: [tuple(int(v) for v in cell.split("/")) for cell in out[arm]] for arm in ("stent", "medical")}
    # the two arms' n add up to the patients of the row: one hidden, the other is too
    n_hidden = [shield.mask([s[1], m[1]]) for s, m in zip(cells["stent"], cells["medical"], strict=True)]
    for a, arm in enumerate(("stent", "medical")):
        texts: list[str] = []
        for row, (i, (x, n)) in enumerate(zip(out.index, cells[arm], strict=True)):
            small = shield.small(n) or shield.small(x) or shield.small(n - x) or n_hidden[row][a]
            hidden[i] = hidden[i] or small
            texts.append(f"{shield.label if small else x}/{shield.count(n, n_hidden[row][a])}")
        out[arm] = texts
    effects = ["risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low", "rr_ci_high"]
    out.loc[hidden, effects] = np.nan
    out["hidden"] = hidden  # where the effects went: a slide says them hidden (display.said_hidden)
    return out


def responder_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Responders per arm, the risk difference (percentage points) and the risk ratio, with CIs."""

    def share(text: str) -> str:
        x, n = text.split("/")
        if not (x.isdigit() and n.replace(",", "").isdigit()):  # a count hidden by small-cell protection
            return f"{x} of {n}"
        return f"{int(x):,} of {int(n):,} ({number(100 * int(x) / int(n), 1)}%)"

    return pd.DataFrame(
        {
            "Visit (month)": comparison.visit_month,
            "Stent responders": comparison.stent.map(share),
            "Medical responders": comparison.medical.map(share),
            "Risk difference, % points": [number(100 * v, 1, signed=True) for v in comparison.risk_difference],
            "95% CI (Newcombe)": [
                interval(100 * lo, 100 * hi, 1)
                for lo, hi in zip(comparison.rd_ci_low, comparison.rd_ci_high, strict=True)
            ],
            "Risk ratio": [number(v, 2) for v in comparison.risk_ratio],
            "95% CI (Katz)": [
                interval(lo, hi, 2) for lo, hi in zip(comparison.rr_ci_low, comparison.rr_ci_high, strict=True)
            ],
        }
    )


def summary_shares(props: pd.DataFrame) -> str:
    parts = [
        f"month {int(month)}: " + _arms({r.arm: f"{number(100 * r.proportion, 0)}%" for r in each_row(d)})
        for month, d in props.groupby("visit_month", sort=True)
    ]
    return "Share of responders, " + "; ".join(parts) + "."
