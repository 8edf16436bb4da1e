"""Every URL parameter the app understands: how it is parsed, checked and written back.

One registry for the shared cohort filters and the page settings alike, so a link is read the
same way on every page and a value reaches SQL only after passing its allow-list. Parsing never
raises: an unknown, malformed or hostile value gives the setting's default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pts_explorer import vocab

MAX_RAW_LENGTH = 200  # longer URL values are not ours: ignored before any parsing
SLUG = re.compile(r"[a-z0-9]{8}", re.ASCII)
SECRET = re.compile(r"[a-z0-9]{20}", re.ASCII)  # a share's key (workspace.SECRET_LENGTH)
ITEMS = re.compile(r"[0-3x]{11}", re.ASCII)

Value = object


def _clean(raw: Iterable[str]) -> list[str]:
    return [r for r in raw if isinstance(r, str) and 0 < len(r) <= MAX_RAW_LENGTH and "\x00" not in r]


_CUT_SEPARATORS = re.compile(r"[,;\s]+")
_CUT_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def cut_points(text: str) -> tuple[float, ...] | str:
    """Cut points typed as numbers separated by commas, semicolons or spaces ("70, 90"), sorted; or,
    when they are not that, what to type instead (never the text itself: it can be anything)."""
    parts = [p for p in _CUT_SEPARATORS.split(str(text).strip()) if p]
    if not parts:
        return "type one or more numbers separated by commas, e.g. 70, 90"
    if len(parts) > vocab.BENEFIT_MAX_CUTS:
        return f"type at most {vocab.BENEFIT_MAX_CUTS} cut points, separated by commas"
    if not all(_CUT_NUMBER.fullmatch(p) for p in parts):
        return "type numbers only (a point for decimals, e.g. 27.5), separated by commas, e.g. 70, 90"
    numbers = sorted(float(p) for p in parts)
    if not all(math.isfinite(n) and abs(n) < 1e6 for n in numbers):
        return "type numbers below a million"
    if len(set(numbers)) < len(numbers):
        return "type each cut point once"
    return tuple(numbers)


def cut_text(cuts: Sequence[float]) -> str:
    """Cut points as the page writes them: "70, 90", "27.5" (no trailing zeros)."""
    return ", ".join(f"{c + 0.0:g}" for c in cuts)  # + 0.0: -0 is written 0


def as_int(text: str) -> int | None:
    """A URL value as a whole number (finite, below 1e9 in size), or None."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or abs(number) >= 1e9 or number != int(number):
        return None
    return int(number)


@dataclass(frozen=True)
class Setting:
    """One URL parameter.

    kind: "choice" (one of options), "choices" (several, repeated key), "flag" (True/False),
    "number" (an integer within bounds, or one of options when given), "range" (two integers),
    "slug" (a saved cohort, a talk, a follow code), "secret" (a share's key), "cohort_ref" (a cohort to
    compare), "items" (11 Villalta items),
    "cuts" (cut points: numbers separated by commas, written back as "70, 90").
    options: the static allow-list; empty where the page supplies it when it draws the control.
    prefixes: a "choice" or "choices" value may also be one of these followed by a value of the data
    ("center:C07"), which the page checks against the data when it draws the control.
    """

    key: str
    kind: str
    default: Value
    options: tuple = ()
    bounds: tuple[int, int] = (-(10**6), 10**6)
    true_text: str = "True"  # how a flag that is on is written in the URL
    prefixes: tuple[str, ...] = ()

    def known(self, value: str, allowed: tuple) -> bool:
        """Whether a URL string is one of the allow-list, or a value of the data under a prefix."""
        return value in {str(o) for o in allowed} or any(
            value.startswith(p) and len(value) > len(p) for p in self.prefixes
        )

    def parse(self, raw: Iterable[str], options: Sequence | None = None) -> Value:
        """The value a URL's raw strings stand for; the default when none is valid."""
        allowed = tuple(options) if options is not None else self.options
        values = _clean(raw)
        parser: Callable[[list[str], tuple], Value] = getattr(self, f"_parse_{self.kind}")
        return parser(values, allowed)

    def _parse_choice(self, values: list[str], allowed: tuple) -> Value:
        by_text = {str(o): o for o in allowed}
        return next((by_text.get(v, v) for v in reversed(values) if self.known(v, allowed)), self.default)

    def _parse_choices(self, values: list[str], allowed: tuple) -> Value:
        if not allowed:  # checked where the control is drawn, against the data's own values
            return list(dict.fromkeys(values))
        chosen = set(values)
        listed = [o for o in allowed if str(o) in chosen]
        found = listed + list(dict.fromkeys(v for v in values if v not in listed and self.known(v, ())))
        # a list whose default is not empty (the score's covariates: all) keeps it when no value is known
        return list(self.default) if not found and isinstance(self.default, list | tuple) else found

    def _parse_cuts(self, values: list[str], allowed: tuple) -> Value:
        """Cut points: the last value that is one, written as the page writes them ("70, 90")."""
        for text in reversed(values):
            cuts = cut_points(text)
            if not isinstance(cuts, str):
                return cut_text(cuts)
        return self.default

    def _parse_flag(self, values: list[str], allowed: tuple) -> Value:
        flags = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False}
        return next((flags[v.lower()] for v in reversed(values) if v.lower() in flags), self.default)

    def _parse_number(self, values: list[str], allowed: tuple) -> Value:
        for text in reversed(values):
            number = as_int(text)
            if number is None or not self.bounds[0] <= number <= self.bounds[1]:
                continue
            if not allowed or number in allowed:
                return number
        return self.default

    def _parse_slug(self, values: list[str], allowed: tuple) -> Value:
        """A saved cohort's short name: eight lower-case letters or digits (looked up elsewhere)."""
        return next((v for v in reversed(values) if SLUG.fullmatch(v)), self.default)

    def _parse_secret(self, values: list[str], allowed: tuple) -> Value:
        """A share's key: twenty lower-case letters or digits (looked up elsewhere)."""
        return next((v for v in reversed(values) if SECRET.fullmatch(v)), self.default)

    def _parse_cohort_ref(self, values: list[str], allowed: tuple) -> Value:
        """A cohort to compare: the sidebar's filters, a named subgroup, or a saved cohort."""
        for v in reversed(values):
            if v == "current" or SLUG.fullmatch(v) or (v.startswith("sub:") and v[4:].isidentifier() and v.isascii()):
                return v
        return self.default

    def _parse_items(self, values: list[str], allowed: tuple) -> Value:
        """The 11 Villalta items as 11 characters, each 0-3 or x (not scored), e.g. 2132x100010."""
        return next((v for v in reversed(values) if ITEMS.fullmatch(v) and set(v) != {"x"}), self.default)

    def _parse_range(self, values: list[str], allowed: tuple) -> Value:
        numbers = [as_int(v) for v in values]
        if len(numbers) != 2 or None in numbers:
            return self.default
        low, high = sorted(n for n in numbers if n is not None)
        low, high = max(low, self.bounds[0]), min(high, self.bounds[1])
        if self.default is None and (low, high) == self.bounds:  # every value a "More filters" range takes
            return None
        return (low, high) if low <= high else self.default

    def is_valid(self, value: Value, options: Sequence | None = None) -> bool:
        """Whether a value (from the session, not the URL) is still allowed."""
        allowed = tuple(options) if options is not None else self.options
        known = (  # the page's own list when given; else the static allow-list, or a data value under a prefix
            (lambda v: v in allowed) if options is not None else (lambda v: v in allowed or self.known(str(v), ()))
        )
        if self.kind == "choices":
            return isinstance(value, list | tuple) and all(known(v) for v in value)
        if self.kind in ("choice", "number", "cohort_ref") and allowed:
            return known(value) or (value is None and self.default is None)
        return True

    def encode(self, value: Value) -> list[str] | None:
        """The URL strings for a value, or None at the default (an absent key means default)."""
        if value == self.default or value is None or (self.kind == "choices" and not value):
            return None
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        if self.kind == "flag":
            return [self.true_text if value else "False"]
        return [str(value)]


@dataclass(frozen=True)
class Registry:
    settings: dict[str, Setting] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Setting:
        return self.settings[key]

    def __contains__(self, key: object) -> bool:
        return key in self.settings

    def parse_all(self, query: dict[str, list[str]]) -> dict[str, Value]:
        """Every known key of a URL query, parsed with its static allow-list; unknown keys dropped."""
        return {key: self.settings[key].parse(raw) for key, raw in query.items() if key in self.settings}

    def encode_all(self, values: dict[str, Value]) -> dict[str, list[str]]:
        """The query of a set of values, in registry order, defaults left out."""
        out = {}
        for key, setting in self.settings.items():
            if key in values and (encoded := setting.encode(values[key])) is not None:
                out[key] = encoded
        return out


AGE_RANGE = (vocab.AGE_MIN, vocab.AGE_MAX)
COHORT_KEYS = ("study", "arm", "site", "grade", "band", "sex", "age", "ulcer", *vocab.MORE_FILTERS)
SAMPLE_SIZES = (0, 10, 25, 50, 100)
BENEFIT_LEVELS = tuple(
    dict.fromkeys(
        [
            *(k for f in vocab.BENEFIT_SPLITS for k in vocab.LEVELS.get(f, {})),
            *vocab.BENEFIT_RANGES,
            vocab.BENEFIT_OTHER,
        ]
    )
)
BENEFIT_PREFIXES = tuple(f"{prefix}:" for prefix in vocab.BENEFIT_DATA_SPLITS.values())

SETTINGS = Registry(
    {
        s.key: s
        for s in (
            # The shared cohort filters (the data contract's URL keys).
            Setting("study", "choices", []),  # options: the database's studies
            Setting("arm", "choices", [], tuple(vocab.ARMS)),
            Setting("site", "choices", [], tuple(vocab.SITES)),
            Setting("grade", "choices", [], tuple(vocab.GRADES)),
            Setting("band", "choices", [], tuple(vocab.BANDS)),
            Setting("sex", "choices", [], tuple(vocab.SEXES)),
            Setting("age", "range", AGE_RANGE, bounds=AGE_RANGE),
            Setting("ulcer", "choice", None, tuple(vocab.ULCER)),
            # "More filters" (vocab.MORE_FILTERS): a set of values (a centre: the data's own, checked where the
            # control is drawn), or a range of two integers (absent: no restriction).
            *(
                Setting(f.key, "choices", [], tuple(f.options or ()))
                if f.kind == "set"
                else Setting(f.key, "range", None, bounds=f.bounds)
                for f in vocab.MORE_FILTERS.values()
            ),
            # A saved cohort (workspace): its short name stands for the filters above.
            Setting("cohort", "slug", None),
            # Analysis settings shared by several pages: one value across pages.
            Setting("outcome", "choice", "villalta_total", tuple(vocab.OUTCOMES)),
            Setting("visit", "number", 6, bounds=(1, 600)),  # options: the analysed studies' visits
            Setting("registry", "flag", False),
            Setting("threshold", "number", vocab.DEFAULT_THRESHOLD, vocab.RESPONDER_THRESHOLDS),
            # Page settings.
            Setting("scale", "choice", "value", ("value", "change")),
            Setting("by_study", "flag", True),
            Setting("patients", "number", 0, SAMPLE_SIZES),
            Setting("adjust", "choices", [], tuple(vocab.ANCOVA_COVARIATES)),
            Setting("mmrm", "choice", "reml", tuple(vocab.MMRM_METHODS)),
            Setting("definition", "choice", "responders_points", tuple(vocab.RESPONDER_DEFINITIONS)),
            Setting("imputation", "choice", "nri", tuple(vocab.RESPONDER_IMPUTATIONS)),
            Setting("endpoint", "choice", "primary_patency", tuple(vocab.ENDPOINTS)),
            Setting("randomized", "flag", False),
            Setting("group", "choice", "arm", tuple(vocab.SURVIVAL_GROUPINGS)),
            Setting("cox_adjust", "choices", [], tuple(vocab.COX_ADJUSTMENTS)),
            Setting("split", "choice", "none", tuple(vocab.SAFETY_SPLITS)),
            Setting("period", "choice", "within 30 days", vocab.SAFETY_PERIODS),
            # Who benefits: the grouping whose effects are compared, its groups (the data's levels), and
            # the continuous modifier the effect is drawn along.
            Setting("by", "choice", "high_grade_site", tuple(vocab.BENEFIT_SPLITS)),
            # groups: any grouping's levels (the page keeps those of `by` present in the analysis set): the
            # fixed vocabularies', the ranges of a cut ("1", "2", ...), the pooled "other", and a study's or a
            # centre's value under its prefix ("study:TRIAL", "center:C07")
            Setting("groups", "choices", [], BENEFIT_LEVELS, prefixes=BENEFIT_PREFIXES),
            Setting(  # "largest": the largest group (the default), else a level of `by`
                "reference", "choice", "largest", ("largest", *BENEFIT_LEVELS), prefixes=BENEFIT_PREFIXES
            ),
            # the cut points of a continuous `by` ("70, 90"); empty: that attribute's own (vocab.BENEFIT_CUT_SPLITS)
            Setting("cuts", "cuts", ""),
            Setting("modifier", "choice", "stenosis_pct", tuple(vocab.BENEFIT_MODIFIERS)),
            Setting("event", "choice", vocab.BENEFIT_EVENTS[0], vocab.BENEFIT_EVENTS),  # the hazard ratios' endpoint
            # Adjusted registry: what is estimated, the score's covariates (all by default), the weighting, and
            # IPTW's trimming bound / matching's caliper.
            Setting("ps_estimate", "choice", "change", tuple(vocab.PS_ESTIMATES)),
            Setting("ps_covariates", "choices", list(vocab.PS_COVARIATES), tuple(vocab.PS_COVARIATES)),
            Setting("ps_method", "choice", "overlap", tuple(vocab.PS_METHODS)),
            Setting("ps_trim", "choice", vocab.PS_TRIMS[0], vocab.PS_TRIMS),
            Setting("ps_caliper", "choice", vocab.PS_CALIPERS[0], vocab.PS_CALIPERS),
            # the registry restricted to the trial's inclusion criteria (the benchmark compares like with like)
            Setting("ps_trial_eligible", "flag", True),
            # Compare: two cohorts ("current", "sub:<name>" or a saved cohort's slug), and the arm.
            Setting("a", "cohort_ref", "current"),
            Setting("b", "cohort_ref", "sub:high_grade_civ_cfv"),
            # Compare: up to two more cohorts beside A and B (absent: two cohorts compared).
            Setting("c", "cohort_ref", None),
            Setting("d", "cohort_ref", None),
            Setting("compare_arm", "choice", "both", tuple(vocab.COMPARE_ARMS)),
            Setting("shared", "choice", "apart", ("apart", "counted")),  # patients in both: left out, or in each
            # Candidate: one patient's profile (every field optional; numbers are checked for what is
            # possible by pts_explorer.candidate, which says so in words) and the patients per arm.
            Setting("c_site", "choice", None, tuple(vocab.SITES)),
            Setting("c_stenosis", "number", None),
            Setting("c_grade", "choice", None, tuple(vocab.GRADES)),
            Setting("c_length", "number", None),
            Setting("c_side", "choice", None, tuple(vocab.LIMB_SIDES)),
            Setting("c_villalta", "number", None),
            Setting("c_items", "items", None),
            Setting("c_ulcer", "choice", None, tuple(vocab.YES_NO)),
            Setting("c_vcss", "number", None),
            Setting("c_age", "number", None),
            Setting("c_sex", "choice", None, tuple(vocab.SEXES)),
            Setting("c_months", "number", None),
            Setting("c_k", "number", 100, (25, 50, 100, 200)),
            # Presenter mode: the page alone, large type, no controls (`present=1`).
            Setting("present", "flag", False, true_text="1"),
            # A talk presented (workspace talks): its short name and the slide shown, 1..its slides.
            Setting("talk", "slug", None),
            Setting("slide", "number", None, bounds=(1, 100)),  # bounds: the most slides a talk holds
            # Following a presenter (workspace shares): the audience's follow code, on every page it follows;
            # and the share's key, on the speaker view only (it moves the presenter's slide).
            Setting("follow", "slug", None),
            Setting("share", "secret", None),
        )
    }
)
