"""The shared cohort filter: from URL/widget values to bound SQL parameters."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from pts_explorer import vocab

LIST_FIELDS = ("study", "arm", "site", "grade", "band", "sex")
OPTION_FIELDS = (*LIST_FIELDS, "ulcer")  # the filters whose options show their patients (option_counts)
# The cohort funnel's order: the sidebar's, then each of "More filters" in the registry's order.
FUNNEL_FIELDS = (*LIST_FIELDS, "age", "ulcer", *vocab.MORE_FILTERS)
LIFTED_AGE = (vocab.AGE_MIN, vocab.AGE_MAX)
VOCABULARIES = {
    "arm": vocab.ARMS,
    "site": vocab.SITES,
    "grade": vocab.GRADES,
    "band": vocab.BANDS,
    "sex": vocab.SEXES,
}


def _known(values: Iterable[str] | str | None, allowed: Iterable[str]) -> tuple[str, ...]:
    """Values that are in the allow-list, deduplicated, in the allow-list's order."""
    if values is None:
        return ()
    chosen = {values} if isinstance(values, str) else set(values)
    return tuple(v for v in allowed if v in chosen)


def _age_range(value: object) -> tuple[int, int]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return vocab.AGE_MIN, vocab.AGE_MAX
    try:
        low, high = sorted(int(float(v)) for v in value)
    except (TypeError, ValueError):
        return vocab.AGE_MIN, vocab.AGE_MAX
    return max(low, vocab.AGE_MIN), min(high, vocab.AGE_MAX)


def _more_value(spec: vocab.MoreFilter, value: object) -> tuple | None:
    """A "More filters" value from URL or widget values: a set's known values (any text for a set of the
    data's own values, bound as a parameter, never written into SQL), or a range's two integers within
    the filter's bounds; None when it restricts nothing or is not one."""
    if spec.kind == "set":
        if value is None:
            return None
        chosen = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else []
        texts = [str(v) for v in chosen if isinstance(v, str) and 0 < len(v) <= 200 and "\x00" not in v]
        known = _known(texts, spec.options) if spec.options is not None else tuple(dict.fromkeys(texts))
        return known or None
    if isinstance(value, str) or not isinstance(value, Iterable):
        return None
    try:
        low, high = sorted(int(float(v)) for v in value)
    except (TypeError, ValueError):
        return None
    low, high = max(low, spec.bounds[0]), min(high, spec.bounds[1])
    if (low, high) == spec.bounds:  # every value the filter takes: no restriction, not a chip "3-1200 months"
        return None
    return (low, high) if low <= high else None


def more_from_mapping(values: Mapping[str, object]) -> tuple[tuple[str, tuple], ...]:
    """The "More filters" a mapping of URL or widget values restricts, in vocab.MORE_FILTERS' order."""
    found = ((key, _more_value(spec, values.get(key))) for key, spec in vocab.MORE_FILTERS.items())
    return tuple((key, value) for key, value in found if value is not None)


def more_active(params: Mapping[str, object]) -> bool:
    """Whether bound query parameters (any prefix) restrict by a "More filters" attribute: such a
    statement cannot run from the pre-aggregated cells, which do not carry those columns."""
    names = {name for spec in vocab.MORE_FILTERS.values() for name in spec.params()}
    for key, value in params.items():
        if (key in names or key.partition("_")[2] in names) and value not in (None, [], ()):
            return True
    return False


@dataclass(frozen=True)
class CohortFilter:
    """A cohort selection. An empty tuple means no restriction on that field."""

    study: tuple[str, ...] = ()
    arm: tuple[str, ...] = ()
    site: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    band: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age: tuple[int, int] = (vocab.AGE_MIN, vocab.AGE_MAX)
    ulcer: str | None = None
    # The "More filters" that restrict (vocab.MORE_FILTERS): (key, values) for a set, (key, (min, max)) for
    # a range, in the registry's order.
    more: tuple[tuple[str, tuple], ...] = ()

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], studies: Iterable[str]) -> CohortFilter:
        """Build from URL or widget values; unknown values are dropped, never passed on."""
        known = {"study": _known(values.get("study"), studies)}  # type: ignore[arg-type]
        for field, allowed in VOCABULARIES.items():
            known[field] = _known(values.get(field), allowed)  # type: ignore[arg-type]
        ulcer = values.get("ulcer")
        ulcer = ulcer[-1] if isinstance(ulcer, list | tuple) and ulcer else ulcer
        age = values.get("age")
        return cls(
            **known,
            age=_age_range(age) if age is not None else (vocab.AGE_MIN, vocab.AGE_MAX),
            ulcer=ulcer if ulcer in vocab.ULCER else None,
            more=more_from_mapping(values),
        )

    def more_value(self, key: str) -> tuple | None:
        """A "More filters" attribute's restriction, None when it has none."""
        return dict(self.more).get(key)

    def as_params(self) -> dict[str, object]:
        """Parameters for queries/shared/cohort.sql (lists bind as DuckDB VARCHAR[])."""
        params: dict[str, object] = {f: list(getattr(self, f)) for f in LIST_FIELDS}
        params.update(age_min=self.age[0], age_max=self.age[1], ulcer=self.ulcer)
        for key, spec in vocab.MORE_FILTERS.items():
            value = self.more_value(key)
            if spec.kind == "set":
                params[key] = list(value or ())
            else:
                params |= dict(zip(spec.params(), value or (None, None), strict=True))
        return params

    def option_params(self) -> dict[str, object]:
        """Parameters for queries/option_counts.sql: for each filter of OPTION_FIELDS, this cohort's
        parameters with that one filter lifted, prefixed o<field>_ (cohort_filter(o<field>_))."""
        params: dict[str, object] = {}
        for field in OPTION_FIELDS:
            lifted = replace(self, ulcer=None) if field == "ulcer" else replace(self, **{field: ()})  # type: ignore[arg-type]
            params |= {f"o{field}_{key}": value for key, value in lifted.as_params().items()}
        return params

    def more_option_params(self) -> dict[str, object]:
        """Parameters for queries/more_option_counts.sql: for each "More filters" set, this cohort's
        parameters with that one filter lifted, prefixed o<key>_."""
        params: dict[str, object] = {}
        for key, spec in vocab.MORE_FILTERS.items():
            if spec.kind == "set":
                lifted = replace(self, more=tuple((k, v) for k, v in self.more if k != key))
                params |= {f"o{key}_{name}": value for name, value in lifted.as_params().items()}
        return params

    def funnel_params(self) -> dict[str, object]:
        """Parameters for queries/cohort_funnel.sql: step k (1..len(FUNNEL_FIELDS)) is this cohort's
        filters of FUNNEL_FIELDS[:k], the later ones lifted, prefixed f<k>_ (cohort_filter(f<k>_))."""
        params: dict[str, object] = {}
        for k in range(1, len(FUNNEL_FIELDS) + 1):
            params |= {f"f{k}_{key}": value for key, value in self.lifted(FUNNEL_FIELDS[k:]).as_params().items()}
        return params

    def lifted(self, fields: Iterable[str]) -> CohortFilter:
        """This cohort with the filters `fields` (FUNNEL_FIELDS names) restricting nothing."""
        fields = set(fields)
        changes: dict[str, object] = {
            f: (None if f == "ulcer" else LIFTED_AGE if f == "age" else ())
            for f in fields
            if f not in vocab.MORE_FILTERS
        }
        more = tuple((k, v) for k, v in self.more if k not in fields)
        return replace(self, **changes, more=more)  # type: ignore[arg-type]

    def restricts(self, field: str) -> bool:
        """Whether the filter `field` (a FUNNEL_FIELDS name) restricts this cohort."""
        if field in vocab.MORE_FILTERS:
            return self.more_value(field) is not None
        return bool(getattr(self, field) != getattr(CohortFilter(), field))

    def funnel_steps(self) -> list[tuple[int, str]]:
        """(step, field) of each filter that restricts this cohort, in the funnel's order: the step
        of queries/cohort_funnel.sql whose count is the cohort after that filter."""
        return [(k, field) for k, field in enumerate(FUNNEL_FIELDS, start=1) if self.restricts(field)]

    def is_unrestricted(self) -> bool:
        return self == CohortFilter()

    @property
    def is_nobody(self) -> bool:
        """A filter that no patient can meet (two filters that exclude each other)."""
        return self.age[0] > self.age[1]

    def intersect(self, other: CohortFilter) -> CohortFilter:
        """The patients in both cohorts: each field's allowed values in both."""
        fields: dict[str, tuple[str, ...]] = {}
        for field in LIST_FIELDS:
            mine, theirs = getattr(self, field), getattr(other, field)
            both = tuple(v for v in mine if v in theirs) if mine and theirs else (mine or theirs)
            if mine and theirs and not both:
                return NOBODY
            fields[field] = both
        low, high = max(self.age[0], other.age[0]), min(self.age[1], other.age[1])
        if low > high or (self.ulcer and other.ulcer and self.ulcer != other.ulcer):
            return NOBODY
        more = []
        for key, spec in vocab.MORE_FILTERS.items():
            mine, theirs = self.more_value(key), other.more_value(key)
            if mine is None or theirs is None:
                both = mine if theirs is None else theirs
            elif spec.kind == "set":
                both = tuple(v for v in mine if v in theirs)
            else:
                both = (max(mine[0], theirs[0]), min(mine[1], theirs[1]))
                both = both if both[0] <= both[1] else ()
            if both == ():
                return NOBODY
            if both is not None:
                more.append((key, both))
        return CohortFilter(**fields, age=(low, high), ulcer=self.ulcer or other.ulcer, more=tuple(more))

    def describe(self, study_text: Callable[[str], str] = str) -> str:
        """One line a presenter can read aloud, e.g. 'Common iliac; 70-99%, Occlusion; age 18-59'.
        study_text: how a study id (text from the data) is written, e.g. escaped for Markdown."""
        parts = []
        if self.study:
            parts.append(", ".join(study_text(s) for s in self.study))
        for field, vocabulary in VOCABULARIES.items():
            chosen = getattr(self, field)
            if chosen:
                parts.append(", ".join(vocab.label(vocabulary, v) for v in chosen))
        if self.age != (vocab.AGE_MIN, vocab.AGE_MAX):
            parts.append(f"age {self.age[0]}-{self.age[1]}")
        if self.ulcer:
            parts.append(vocab.ULCER[self.ulcer].lower())
        parts += [more_words(key, value, study_text) for key, value in self.more]
        if self.is_nobody:
            return "Nobody (the filters exclude each other)"
        return "; ".join(parts) if parts else "All patients"

    def changes_from(self, stored: CohortFilter, study_text: Callable[[str], str] = str) -> str:
        """What differs from the `stored` cohort, as a presenter would say it: "Common iliac removed,
        Stent added, age 40-59" ("" when nothing does). study_text as in describe."""
        said: list[str] = []

        def values(field: str, words: Callable[[str], str]) -> None:
            before, after = getattr(stored, field), getattr(self, field)
            if gone := [words(v) for v in before if v not in after]:
                said.append(f"{', '.join(gone)} removed")
            if new := [words(v) for v in after if v not in before]:
                said.append(f"{', '.join(new)} added")

        values("study", study_text)
        for field, vocabulary in VOCABULARIES.items():
            values(field, functools.partial(vocab.label, vocabulary))
        if self.age != stored.age:
            everyone = self.age == (vocab.AGE_MIN, vocab.AGE_MAX)
            said.append("any age" if everyone else f"age {self.age[0]}-{self.age[1]}")
        if self.ulcer != stored.ulcer:
            said.append(
                vocab.ULCER[self.ulcer].lower() if self.ulcer else f"{vocab.ULCER[str(stored.ulcer)].lower()} removed"
            )
        before_more, after_more = dict(stored.more), dict(self.more)
        for key in vocab.MORE_FILTERS:
            if before_more.get(key) == after_more.get(key):
                continue
            if key in after_more:
                said.append(more_words(key, after_more[key], study_text))
            else:
                said.append(f"{vocab.MORE_FILTERS[key].label} removed")
        return ", ".join(said)


def more_words(key: str, value: tuple, text: Callable[[str], str] = str) -> str:
    """A "More filters" restriction in words: "Centre C07, C12", "BMI 30-35 kg/m²", "Baseline Villalta
    ≥ 10 points" (a range open at the filter's bound). text: how a value of the data (a centre) is
    written, e.g. escaped for Markdown."""
    spec = vocab.MORE_FILTERS[key]
    if spec.kind == "set":
        values = (vocab.label(spec.options, v) if spec.options else text(v) for v in value)
        return f"{spec.label} {', '.join(values)}"
    unit = f" {spec.unit}" if spec.unit else ""
    low, high = value
    if high >= spec.bounds[1] and low > spec.bounds[0]:  # open above: "Baseline Villalta ≥ 10 points"
        return f"{spec.label} ≥ {low}{unit}"
    if low <= spec.bounds[0] and high < spec.bounds[1]:
        return f"{spec.label} ≤ {high}{unit}"
    return f"{spec.label} {low}-{high}{unit}"


NOBODY = CohortFilter(age=(1, 0))  # age from 1 to 0: no patient, in SQL as in words


MAX_MODEL_PATIENTS = 20_000  # above this, models use a stable random sample (the page says so)


@dataclass(frozen=True)
class AnalysisSettings:
    """What the analysis pages analyse: the cohort, the outcome and visit, and the analysis set."""

    cohort: CohortFilter
    outcome: str = "villalta_total"
    visit_month: int = 6
    randomized_only: bool = True
    max_patients: int = MAX_MODEL_PATIENTS

    def as_params(self, **extra: object) -> dict[str, object]:
        """Parameters for the analysis queries (plus any page-specific ones)."""
        return {
            **self.cohort.as_params(),
            "outcome": self.outcome,
            "visit_month": self.visit_month,
            "randomized_only": self.randomized_only,
            "max_patients": self.max_patients,
            "days_per_month": vocab.DAYS_PER_MONTH,
            **extra,
        }
