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
    out.loc[small, ["proportion", "ci_low", "ci_high"]] = np.nan
    out["responders_text"] = [shield.label if h else f"{int(x):,}" for x, h in zip(out.responders, small, strict=True)]
    out["n_text"] = out.n.map(shield.count)
    return out


def protect_comparison(comparison: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Stent-versus-medical rows ("x/n" per arm) without the effects of an arm whose responders,
    non-responders or n are too few; such x (and a too-small n) are written <k."""
    if not shield.active or comparison.empty:
        return comparison
    out = comparison.copy()
    hidden = pd.Series(False, index=out.index)
    for arm in ("stent", "medical"):
        texts = []
        for i, cell in out[arm].items():
            x, n = (int(v) for v in cell.split("/"))
            small = shield.small(n) or shield.small(x) or shield.small(n - x)
            hidden[i] = hidden[i] or small
            texts.append(f"{shield.label if small else x}/{shield.count(n)}")
        out[arm] = texts
    effects = ["risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low", "rr_ci_high"]
    out.loc[hidden, effects] = np.nan
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
