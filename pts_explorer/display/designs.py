"""The designs at each visit (analytics.designs) in words: the hover text of the chart's strip and
a caption naming, per curve, the visits whose patients are randomized only, observational only or
pooled."""

from __future__ import annotations

import pandas as pd

from pts_explorer import escape
from pts_explorer.privacy import Protection

KIND_WORDS = {
    "randomized": "randomized only",
    "observational": "observational only",
    "pooled": "pooled randomized and observational",
}


def design_hover(strip: pd.DataFrame, names: dict, shield: Protection) -> list[str]:
    """Per row of visit_designs: "<lane>, month 1: randomized only, n = 95 (TRIAL randomized 95)",
    the counts of the studies hidden as small cells are (they add up to the visit's n); `names`:
    each lane's label."""
    out = []
    for lane, month, kind, n, studies in strip[["lane", "visit_month", "kind", "n", "studies"]].itertuples(index=False):
        counts = [c for *_, c in studies]
        hidden = [True] * len(counts) if shield.small(n) else shield.mask(counts)
        parts = ", ".join(
            f"{study} ({design}) {shield.count(c, h)}" for (study, design, c), h in zip(studies, hidden, strict=True)
        )
        out.append(f"{names[lane]}, month {int(month)}: {KIND_WORDS[kind]}, n = {shield.count(n)} ({parts})")
    return out


def _months(months: list[int]) -> str:
    return ("month " if len(months) == 1 else "months ") + ", ".join(str(m) for m in months)


def visit_design_words(strip: pd.DataFrame, names: dict, markdown: bool = True) -> str:
    """Per lane (Markdown, names bold; plain text without `markdown`): at which visits its patients
    are randomized only, observational only or pooled, and the studies of each; lanes described
    alike are named together."""
    text = escape.markdown if markdown else str
    bold = "**" if markdown else ""
    described: dict[str, list[str]] = {}
    for lane, d in strip.groupby("lane", sort=False):
        parts = []
        for kind in KIND_WORDS:
            rows = d[d.kind == kind].sort_values("visit_month")
            if rows.empty:
                continue
            studies = sorted({s for row in rows.studies for s, *_ in row})
            where = "at every visit" if len(rows) == len(d) else f"at {_months([int(m) for m in rows.visit_month])}"
            parts.append(f"{KIND_WORDS[kind]} {where} ({', '.join(text(s) for s in studies)})")
        described.setdefault("; ".join(parts), []).append(f"{bold}{text(names[lane])}{bold}")
    return " ".join(f"{' and '.join(lanes)}: {text}." for text, lanes in described.items())


def design_strip(strip: pd.DataFrame, names: dict, shield: Protection) -> pd.DataFrame:
    """visit_designs rows as charts.add_design_strip draws them: name, visit_month, kind, hover."""
    return pd.DataFrame(
        {
            "name": [names[lane] for lane in strip.lane],
            "visit_month": strip.visit_month.astype(int).tolist(),
            "kind": strip.kind.tolist(),
            "hover": design_hover(strip, names, shield),
        }
    )


def point_designs(per_curve: pd.DataFrame) -> pd.Series:
    """Per row of visit_designs: the kind in words and its studies, e.g. "randomized only (TRIAL)",
    for the hover of a curve's point."""
    return pd.Series(
        [
            f"{KIND_WORDS[k]} ({', '.join(s for s, *_ in studies)})"
            for k, studies in zip(per_curve.kind, per_curve.studies, strict=True)
        ],
        index=per_curve.index,
        dtype="object",
    )


def design_marks_note(strip: pd.DataFrame, names: dict) -> str:
    """The note under a chart with a strip of design marks (Markdown): what the marks are, where
    each curve's patients come from, and, where the designs change from one visit to the next, that
    a curve can step for that reason; "" when no patient is measured (no marks)."""
    if strip.empty:
        return ""
    changes = any(d.kind.nunique() > 1 for _, d in strip.groupby("lane", sort=False))
    return (
        "Marks under the chart: the designs of the studies whose patients are measured at each visit. "
        + visit_design_words(strip, names)
        + (
            " Where the designs change from one visit to the next, a curve can step because other patients are "
            "measured there, not because time passed."
            if changes
            else ""
        )
    )
