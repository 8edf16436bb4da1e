"""Which study designs the patients measured at each visit come from, per curve ("lane").

Pooled over a randomized trial and an observational registry, a mean curve can step where one
design's visits begin or end (the trial sees patients at months 1 and 3, the registry from month
36 on): other patients are measured, not the same patients later. `visit_designs` says per curve
and visit whether its patients are randomized only, observational only or pooled, with the
patients per study, so a chart can mark it at each visit (charts.designs) and a caption name it
(display.designs). Any page that pools designs along the visits can use it (Compare does)."""

from __future__ import annotations

import pandas as pd

RANDOMIZED, OBSERVATIONAL, POOLED = "randomized", "observational", "pooled"
KINDS = (RANDOMIZED, OBSERVATIONAL, POOLED)
COLUMNS = ["lane", "visit_month", "kind", "n", "studies"]


def _kind(designs: set[str]) -> str:
    if designs == {RANDOMIZED}:
        return RANDOMIZED
    if designs == {OBSERVATIONAL}:
        return OBSERVATIONAL
    return POOLED


def visit_designs(rows: pd.DataFrame, lanes: list[str], fold: str | None = None) -> pd.DataFrame:
    """Per lane and visit: the kind (randomized, observational or pooled), the patients measured
    (n) and their studies (a tuple of (study_id, design, n), by study id).

    rows: the columns `lanes`, visit_month, study_id, design, n (patients measured at the visit from
    that study; rows with n = 0 are ignored). A lane is the values of `lanes` in order; `fold`: one
    of `lanes` dropped from the lane wherever that changes no visit's kind in any lane (e.g. the arm,
    when both arms of a cohort come from the same designs at every visit), kept otherwise.
    Columns: lane (a tuple of the lane values), visit_month, kind, n, studies.
    """
    rows = rows[rows.n > 0]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = list(lanes)
    if fold is not None and fold in keys:
        kept = [k for k in keys if k != fold]
        per_lane = _per_visit(rows, keys)
        folded = per_lane.groupby([*kept, "visit_month"]).kind.nunique()
        if (folded == 1).all():
            keys = kept
    return _per_visit(rows, keys).assign(lane=lambda d: list(zip(*(d[k] for k in keys), strict=True)))[COLUMNS]


def _per_visit(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per lane and visit (sorted), from one grouping of the rows: each visit's studies, in
    study order, with their patients summed (a grouping per visit took 10-15 % of a rerun of the
    pages that mark designs; tests/unit/test_visit_designs.py keeps it as the reference)."""
    cols = [*keys, "visit_month"]
    summed = rows.groupby([*cols, "study_id", "design"], sort=True).n.sum()
    per_group: dict[tuple, list[tuple[str, str, int]]] = {}
    for key, n in zip(summed.index, summed.to_numpy().tolist(), strict=True):
        per_group.setdefault(tuple(key[:-2]), []).append((str(key[-2]), str(key[-1]), int(n)))
    out = []
    for values in rows.groupby(cols, sort=True).size().index:
        values = values if isinstance(values, tuple) else (values,)
        studies = tuple(per_group.get(tuple(values), ()))  # in study order: the grouping sorts by study
        out.append(
            {
                **dict(zip(cols, values, strict=True)),
                "kind": _kind({k for _, k, _ in studies}),
                "n": sum(n for *_, n in studies),
                "studies": studies,
            }
        )
    return pd.DataFrame(out)
