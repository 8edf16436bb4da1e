"""The MMRM's adjusted effect at every visit, as presented."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import counts, format_p, interval, number


def mmrm_table(table: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    """The MMRM's stent minus medical difference at each visit."""
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Study": table.study_group,
            "Visit (month)": table.visit_month,
            "n stent": counts(table, "n_stent"),
            "n medical": counts(table, "n_medical"),
            f"Difference, {outcome.change_unit}": [number(v, d, signed=True) for v in table.estimate],
            "SE": [number(v, d) for v in table.se],
            "df": [number(v, 1) if np.isfinite(v) else "∞ (Wald z)" for v in table.df],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(table.ci_low, table.ci_high, strict=True)],
            "p": table.p_value.map(format_p),
        }
    )
