"""The designs at each visit (analytics.designs) in words: the hover text of the chart's strip and
a caption naming, per curve, the visits whose patients are randomized only, observational only or
pooled."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pts_explorer import escape, vocab
from pts_explorer.analytics import designs
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


@dataclass(frozen=True)
class TrajectoryMarks:
    """A pooled trajectory chart's design marks: the table with each point's designs (column
    `design`, for the hover), the strip under the chart (None when nothing is pooled), its note and
    the words the text alternative adds."""

    table: pd.DataFrame
    strip: pd.DataFrame | None = None
    note: str = ""
    described: str = ""
    words: str = ""  # the designs per visit in Markdown, for a note on a chart drawn from the same patients


def trajectory_marks(
    per_study: pd.DataFrame, design_of: dict[str, str], table: pd.DataFrame, shield: Protection, count: str = "n"
) -> TrajectoryMarks:
    """Marks for a trajectory chart whose arms pool studies of different designs (Trajectories,
    Candidate): per_study is trajectory_summary by study (study_group, arm, visit_month and the
    patients measured in `count`); design_of maps a study to its design."""
    measured = per_study.assign(
        curve="Both arms", study_id=per_study.study_group, design=per_study.study_group.map(design_of)
    )
    measured = measured.assign(n=measured[count])
    per_curve = designs.visit_designs(measured, ["arm"])
    if not per_curve.empty:
        at_point = per_curve.assign(arm=[arm for (arm,) in per_curve.lane])
        table = table.merge(
            at_point.assign(design=point_designs(per_curve))[["arm", "visit_month", "design"]],
            on=["arm", "visit_month"],
            how="left",
        ).fillna({"design": ""})
    lanes = designs.visit_designs(measured, ["curve", "arm"], fold="arm")
    lanes = lanes.iloc[  # stent before medical, then by visit
        sorted(
            range(len(lanes)),
            key=lambda i: (
                list(vocab.ARMS).index(lanes.lane.iat[i][-1]) if len(lanes.lane.iat[i]) > 1 else 0,
                lanes.visit_month.iat[i],
            ),
        )
    ]
    names = {lane: vocab.ARMS[lane[1]] if len(lane) > 1 else lane[0] for lane in set(lanes.lane)}
    note = design_marks_note(lanes, names)
    described = f" Patients at each visit: {visit_design_words(lanes, names, markdown=False)}" if note else ""
    words = visit_design_words(lanes, names) if note else ""
    return TrajectoryMarks(table, design_strip(lanes, names, shield), note, described, words)
