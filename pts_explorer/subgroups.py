"""Named subgroups: cohort filters with a name, a label and a reason (subgroups.toml), read once
and checked against the URL settings' allow-lists, so a definition can never carry SQL. They are
conjunctions over the cohort filter's dimensions, so a subgroup within a cohort is again a cohort
filter (the intersection of two filters) and runs through the same queries."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pts_explorer.filters import CohortFilter
from pts_explorer.settings import COHORT_KEYS, SETTINGS

BUILTIN = Path(__file__).with_name("subgroups.toml")
FILTER_KEYS = tuple(k for k in COHORT_KEYS if k != "arm")  # a subgroup never picks an arm
COLUMNS = {
    "study": "study_id",
    "site": "obstruction_site",
    "grade": "stenosis_grade",
    "band": "baseline_band",
    "sex": "sex",
}


class SubgroupError(ValueError):
    """A definition file that cannot be used, with what is wrong in words."""


@dataclass(frozen=True)
class Subgroup:
    name: str
    label: str
    why: str
    query: dict[str, list[str]]  # the definition as URL parameters
    prespecified: str = ""  # where it was named before the data were seen (a protocol or SAP section), if it was

    def members(self, rows: pd.DataFrame) -> pd.Series:
        """Which patient rows (of analysis_visit: obstruction_site, stenosis_grade, baseline_band,
        sex, age_years, baseline_ulcer 'yes'/'no', study_id) are in this subgroup."""
        keep = pd.Series(True, index=rows.index)
        for key, values in self.query.items():
            if key == "age":
                low, high = sorted(int(v) for v in values)
                keep &= rows.age_years.between(low, high)
            elif key == "ulcer":
                keep &= rows.baseline_ulcer == values[-1]
            else:
                keep &= rows[COLUMNS[key]].isin(values)
        return keep

    def within(self, cohort: CohortFilter, studies: list[str]) -> CohortFilter:
        """The patients of `cohort` who are in this subgroup (the intersection of both filters)."""
        own = CohortFilter.from_mapping(SETTINGS.parse_all(self.query), studies)
        return cohort.intersect(own)


def load(path: Path = BUILTIN, extra: Path | None = None) -> list[Subgroup]:
    """The built-in definitions, then an operator's file (same names replace built-ins)."""
    found = {s.name: s for s in _read(path)}
    if extra is not None and extra.is_file():
        found |= {s.name: s for s in _read(extra)}
    return list(found.values())


def _read(path: Path) -> list[Subgroup]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SubgroupError(f"{path.name} is not a readable TOML file: {exc}") from exc
    if data.get("version") != 1 or not isinstance(data.get("subgroup"), list):
        raise SubgroupError(f"{path.name}: expected `version = 1` and [[subgroup]] tables")
    return [_definition(entry, path.name) for entry in data["subgroup"]]


def _definition(entry: dict[str, Any], file: str) -> Subgroup:
    name, label = entry.get("name"), entry.get("label")
    if not (isinstance(name, str) and name.isidentifier() and isinstance(label, str) and label):
        raise SubgroupError(f"{file}: every subgroup needs a `name` (letters, digits, _) and a `label`")
    unknown = set(entry) - {"name", "label", "why", "prespecified", *FILTER_KEYS}
    if unknown:
        raise SubgroupError(
            f"{file}: subgroup {name!r} uses {', '.join(sorted(unknown))}; allowed: {', '.join(FILTER_KEYS)}"
        )
    query: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        if key not in entry:
            continue
        raw = [str(v) for v in (entry[key] if isinstance(entry[key], list) else [entry[key]])]
        setting = SETTINGS[key]
        if setting.encode(setting.parse(raw)) != raw and not (key == "study" and raw):
            raise SubgroupError(f"{file}: subgroup {name!r} has values of `{key}` the app does not know: {raw}")
        query[key] = raw
    if not query:
        raise SubgroupError(f"{file}: subgroup {name!r} restricts nothing")
    prespecified = entry.get("prespecified", "")
    if not isinstance(prespecified, str):
        raise SubgroupError(
            f"{file}: subgroup {name!r}: `prespecified` names where the subgroup was specified before the data were "
            'seen, as text (e.g. prespecified = "SAP v1.0, section 9.4")'
        )
    return Subgroup(name, label, str(entry.get("why", "")), query, prespecified.strip())
