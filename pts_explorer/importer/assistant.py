"""The mapping assistant: after a refused import, what the profile mapped and what it could not,
and a profile edited by the user's choices, written back as TOML that the command line reads too.

- `field_rows`: each contract field a profile maps from a source column, whether a source has that
  column, and the source columns that look like it (the candidates).
- `value_rows`: each coded contract column whose source values the contract does not allow (the
  import's `allowed:` and boolean `type:` issues, SDTM's values outside a [values.*] map and AE
  terms it does not map), with those values and the contract's vocabulary.
- `edited` and `dumps`: the profile's data with the chosen columns, value maps and other choices
  (assistant_choices: SDTM names, REDCap events and DVT date), and its TOML; `extending` writes an SDTM
  profile as `extends = "sdtm"` with only what differs from the built-in.

No Streamlit here (the Import page draws it: pts_explorer/ui/importing.py).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pts_explorer import validation, vocab
from pts_explorer.importer.formats import FORMATS, adam, redcap
from pts_explorer.importer.issues import counted
from pts_explorer.importer.profiles import WHOLE_SECTIONS, Profile

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_QUOTED = re.compile(r"'([^']*)'")
NOT_MAPPED = ""  # a field left unmapped: the profile key set to "" (the contract column stays empty)


@dataclass(frozen=True)
class FieldRow:
    section: str  # the profile table, e.g. "adsl" or "fields"
    key: str  # the contract column it fills
    column: str  # the source column the profile names
    found: bool  # a source has that column
    required: bool  # the contract requires a value
    candidates: tuple[str, ...]  # source columns that look like it, best first


@dataclass(frozen=True)
class ValueRow:
    column: str  # the contract column
    values: tuple[str, ...]  # source values the contract does not allow
    vocabulary: tuple[str, ...]  # the values the contract allows
    labels: tuple[str, ...] = ()  # what each source value means (a REDCap choice's label), or ""


# Refusals no mapping can fix, by rule: what the page says instead of offering choices (each names the fix).
UNFIXABLE = {
    "redcap:labels": (
        'No mapping can fix this export: it holds REDCap\'s labels ("Mild", "Checked", "Baseline (Arm 1: '
        'Stent)") where the raw codes belong, and no profile key reads labels. Export the records again as raw '
        'data (REDCap\'s Data Exports: "CSV / Microsoft Excel (raw data)"), with the same fields, and check that '
        "export with this profile; what it still lacks is then offered here."
    ),
    "redcap:label_header": (
        'No mapping can fix this export: its header holds REDCap\'s field labels ("Record ID", "Complete?") where '
        "the variable names belong, and no profile key reads them. Export the records again with the variable names "
        'as the header (REDCap\'s Data Exports: "CSV / Microsoft Excel (raw data)"), with the same fields, and check '
        "that export with this profile; what it still lacks is then offered here."
    ),
}


def unfixable(rules: list[str]) -> str | None:
    """What to do instead, when a refusal is one no choice of the mapping assistant can make pass (a REDCap
    export of labels: every value would be offered a map that cannot work); None otherwise."""
    return next((fix for rule, fix in UNFIXABLE.items() if rule in rules), None)


def contract_columns() -> dict[str, bool]:
    """Every contract column an import fills -> whether it is required."""
    out: dict[str, bool] = {}
    for table in vocab.CONTRACT_TABLES:
        for column in validation.contract().columns[table].values():
            if not column.generated:
                out[column.name] = out.get(column.name, False) or column.not_null
    return out


# Words a source column for a contract field often holds, best first (the field's own words are
# tried after these). A word here is not a clue to any other field: `site` is a centre, not an
# obstruction site.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "center_id": ("site", "centre", "center", "hospital"),
    "arm": ("arm", "treatment", "group", "randomi"),
    "sex": ("sex", "gender"),
    "limb_side": ("limb", "leg", "side", "laterality"),
    "obstruction_site": ("segment", "obst", "occlu", "lesion_loc", "location"),
    "enrolled_on": ("enrol", "enroll", "consent", "inclusion", "baseline_date"),
    "last_contact_date": ("last_contact", "last", "contact", "follow"),
    "death_date": ("death", "died", "dth", "dod"),
    "procedure_date": ("proc", "operation", "surgery", "interv"),
    "months_since_dvt": ("dvt",),
    "dvt_date": ("dvt",),
    "ulcer_present": ("ulcer",),
    "compression_use": ("compression", "stocking"),
    "event_type": ("ae_term", "aeterm", "ae_type", "event", "term", "ae_"),
    "event_date": ("ae_date", "ae_dt", "aestdt", "onset", "event_date", "ae_st"),
    "serious": ("serious", "sae", "aeser"),
    "term": ("decod", "trt", "term"),  # an ADaM [ae]/[pr] term: AEDECOD, PRTRT, PRTERM
}


def source_fields(profile: Profile, source_columns: dict[str, list[str]]) -> list[str]:
    """The source columns a field can be mapped to, as the format reads them (a REDCap checkbox is
    its one field, not its field___code columns; a data dictionary's header is no column)."""
    if profile.format == "redcap":
        source_columns = redcap.assistant_columns(source_columns)
    return sorted({c for cols in source_columns.values() for c in cols}, key=str.lower)


def _fields(profile: Profile, columns: list[str]) -> dict[str, bool]:
    """The keys the assistant offers -> whether the format requires them (as the importer says)."""
    known = contract_columns()
    if profile.format == "redcap":
        optional = redcap.optional_keys(profile, columns)
        keys = {*known, *redcap.DATE_KEYS}
        return {k: k not in optional for k in keys}
    if profile.format == "adam":  # as the importer says: a missing optional variable is imported empty, and
        # the procedure details are required when the index procedure is imported (its variable is there)
        required = adam.required_adsl_keys(profile, columns)
        return {k: k in required for k in known}
    return known


# A profile key the check names as lacking, as its messages name it: "'ae_type' ([adverse_events] event_type)",
# "PROCDT ([adsl] procedure_date)".
_NAMED_LACKING = re.compile(
    r"'?(?P<column>[A-Za-z_][A-Za-z0-9_]*)'? \(\[(?P<section>[A-Za-z_]+)\] (?P<key>[A-Za-z_]+)\)"
)


def named_lacking(issues: pd.DataFrame | None) -> dict[tuple[str, str], tuple[str, bool]]:
    """The profile keys a check's column problems name as lacking in the sources: (section, key) ->
    (the source column the profile names, whether the import refuses it: an error, not a warning)."""
    if issues is None or issues.empty:
        return {}
    out: dict[tuple[str, str], tuple[str, bool]] = {}
    lacking = issues[issues["rule"].astype(str).str.startswith("columns:")]
    for row in lacking.itertuples():
        for hit in _NAMED_LACKING.finditer(str(row.message)):
            where = (hit["section"], hit["key"])
            refused = row.severity == "error" or out.get(where, ("", False))[1]
            out[where] = (hit["column"], refused)
    return out


# ADaM: the dataset (role) whose variables a profile table names.
ADAM_SECTION_ROLE = {"adsl": "adsl", "ae": "adae", "pr": "adpr"}


def role_names(profile: Profile, role: str) -> set[str]:
    """The dataset names (lower case) a role of [datasets] reads: its names, else its own name."""
    spec = profile.section("datasets").get(role, {})
    given = spec.get("names", [role]) if isinstance(spec, dict) else [role]
    return {str(n).lower() for n in ([given] if isinstance(given, str) else given)}


def own_columns(
    profile: Profile, section: str, datasets: dict[str, tuple[str, ...]] | None, columns: list[str]
) -> list[str]:
    """The source columns a field of `section` is looked for in: for ADaM the variables of the
    dataset its table reads ([pr] term in ADPR, not ADAE), when the sources hold it; else `columns`."""
    role = ADAM_SECTION_ROLE.get(section) if profile.format == "adam" else None
    if role is None or not datasets:
        return columns
    names = role_names(profile, role)
    own = [c for name, cols in datasets.items() if name.lower() in names for c in cols]
    return sorted(set(own), key=str.lower) or columns


def record_id_column(profile: Profile, source_columns: dict[str, list[str]]) -> tuple[str, ...]:
    """REDCap: the export's first column, the record id whatever it is called (study_id)."""
    if profile.format != "redcap":
        return ()
    firsts = [cols[0].lstrip("\ufeff") for cols in redcap.assistant_columns(source_columns).values() if cols]
    return tuple(dict.fromkeys(firsts))


def field_rows(
    profile: Profile,
    source_columns: dict[str, list[str]],
    issues: pd.DataFrame | None = None,
    datasets: dict[str, tuple[str, ...]] | None = None,
) -> list[FieldRow]:
    """Each profile entry `<contract column> = "<source column>"` (and a format's date fields, e.g.
    REDCap's [fields] death_date), with whether a source holds it (matched without case, as the
    importer does), whether the format requires it, and the candidates; and each other profile key
    the check's `issues` name as lacking (REDCap's [adverse_events] event_type), so that every key
    the check refuses is offered. `datasets` (the assistant's survey: dataset -> its variables) lets
    an ADaM field's candidates come from its own dataset."""
    every = [c for cols in source_columns.values() for c in cols]
    columns = source_fields(profile, source_columns)
    known = _fields(profile, every)
    lowered = {c.lower() for c in columns}
    entries = [
        (section, key, value)
        for section in FORMATS[profile.format].column_sections
        for key, value in profile.section(section).items()
        if key in known and isinstance(value, str) and _IDENTIFIER.match(value)
    ]
    named = {(section, key) for section, key, _ in entries}
    required = {(section, key): known[key] for section, key, _ in entries}
    for (section, key), (column, refused) in named_lacking(issues).items():
        if (section, key) not in named and column.lower() not in lowered:
            entries.append((section, key, column))
            required[(section, key)] = refused
    if profile.format == "redcap" and known.get("center_id") and not profile.section("fields").get("center_id"):
        # No data access groups, no site field named and no one centre: the site field is to be chosen.
        entries.append(("fields", "center_id", ""))
        required[("fields", "center_id")] = True
    taken = {value.lower() for _, _, value in entries if value.lower() in lowered}
    # REDCap checkboxes (a field___code column each): a field of several ticks fits only a column read as one
    # tick of an order ([checkbox_order]: the obstruction site), never sex or a date.
    boxes = (
        {re.sub(r"___[A-Za-z0-9_]+$", "", c).lower() for c in every if "___" in c}
        if profile.format == "redcap"
        else set()
    )
    rows = []
    for section, key, value in entries:
        # Found in its own dataset (ADaM: [adsl] in ADSL): an ADSL key naming ADQS's ABLFL is no ADSL
        # variable, and stays a field to choose (review 10: its box was gone after such a pick).
        own = own_columns(profile, section, datasets, columns)
        found = value.lower() in {c.lower() for c in own}
        first = record_id_column(profile, source_columns) if key == "patient_id" else ()
        candidates = () if found else look_alikes(key, value, own, taken, first=first, checkboxes=boxes)
        rows.append(FieldRow(section, key, value, found, required[(section, key)], candidates))
    return rows


CHECKBOX_KEYS = ("obstruction_site",)  # the contract columns a REDCap checkbox is read into ([checkbox_order])
# Words too common to tell one field from another by a shared prefix.
_COMMON_WORDS = frozenset({"date", "day", "days", "num", "number", "count", "total", "score", "present", "value"})


def _tokens(name: str) -> list[str]:
    """A name's words of 3 letters or more (digits split them: v8_pigm -> pigm)."""
    return [t for t in re.split(r"[_\W\d]+", name.lower()) if len(t) >= 3]


def _shortened(token: str, word: str) -> bool:
    """A column's word is the field's word shortened (seg: segment, tech: technical) or within it (pigm:
    hyperpigmentation), or the other way round (calfpain: calf)."""
    return word.startswith(token) or token.startswith(word) or (len(token) >= 4 and token in word)


def look_alikes(
    key: str,
    value: str,
    columns: list[str],
    taken: set[str],
    n: int = 6,
    first: tuple[str, ...] = (),
    checkboxes: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """Source columns no other field uses, most alike first: one named exactly as the profile
    expected or as the contract column (without case: v_pain before v_calf_pain), then `first`
    (REDCap's record id: the export's first column), those holding a word the field is known by
    (SYNONYMS: obstruction_site -> segment), then a word of the contract column's name that is no
    other field's word (arm -> study_arm), then those close to the name the profile expected, then
    to the contract column's name; a column whose name says another kind (a date for a field that is
    no date, a percent for a count, an age, a Villalta item, another field's word such as enrol) after
    the rest (left out: the page offers them last, `offered`)."""
    by_lower = {c.lower(): c for c in columns if c.lower() not in taken}
    others = {w for k, words in SYNONYMS.items() if k != key for w in words}
    ranked = [c for c in dict.fromkeys((value.lower(), key.lower())) if c in by_lower]
    ranked += [c.lower() for c in first if c.lower() in by_lower]
    ranked += [c for word in SYNONYMS.get(key, ()) for c in by_lower if word in c]
    words = [w for w in re.split(r"[_\W]+", key.lower()) if len(w) >= 3 and w not in others]
    ranked += [c for c in by_lower if any(w in re.split(r"[_\W]+", c) or w in c for w in words)]
    # A word of the field or of its synonyms shortened in the column's name (seg, tech_ok, v8_pigm).
    known = {w for w in [*_tokens(key), *(s for s in SYNONYMS.get(key, ()) if s.isalpha())] if w not in others}
    known -= _COMMON_WORDS
    ranked += [c for c in by_lower if any(_shortened(t, w) for t in _tokens(c) for w in known)]
    ranked += difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.6)
    ranked += difflib.get_close_matches(key.lower(), list(by_lower), n=n, cutoff=0.6)
    found = list(dict.fromkeys(ranked))
    exact = [c for c in found if c in (value.lower(), key.lower())]
    alike = [c for c in found if c not in exact and not other_kind(key, c)]
    if key in CHECKBOX_KEYS:  # a checkbox first: its values (ticks of an order) are what the column reads
        alike.sort(key=lambda c: c not in checkboxes)
    else:  # a checkbox's values do not fit any other field
        alike = [c for c in alike if c not in checkboxes]
    return tuple(by_lower[c] for c in [*exact, *alike])[:n]


def offered(key: str, candidates: tuple[str, ...], columns: list[str]) -> list[str]:
    """A field's options: its candidates, then the other source columns, those whose name says
    another kind (other_kind) last."""
    rest = [c for c in columns if c not in candidates]
    return [*candidates, *(c for c in rest if not other_kind(key, c)), *(c for c in rest if other_kind(key, c))]


_NAME_KINDS = {  # what a source column's name says it holds
    "date": re.compile(r"(^|_)(date|dt|dtc|dtm)(_|$)|[a-z](date|dtc|dtm)$|^[a-z]{2,}dt$"),
    "percent": re.compile(r"(^|_)(pct|percent|perc)(_|$)|%|pct$"),
    "age": re.compile(r"(^|_)age(_|$)|^age"),
    "villalta": re.compile(r"^vil(?!la)|(^|_)vil(_|$)"),
}


def field_kind(key: str) -> set[str]:
    """The kinds a contract column is (date, percent, age, villalta), by its type and name."""
    kinds = set()
    types = {c.name: c.type.upper() for t in vocab.CONTRACT_TABLES for c in validation.contract().columns[t].values()}
    if types.get(key) == "DATE" or key in redcap.DATE_KEYS or key.endswith(("_date", "_on")):
        kinds.add("date")
    if key.endswith("_pct"):
        kinds.add("percent")
    if key.startswith("age"):
        kinds.add("age")
    if key in vocab.VILLALTA_ITEMS or key == "villalta_total":
        kinds.add("villalta")
    return kinds


def other_kind(key: str, column: str) -> bool:
    """The column's name says it holds another kind than the contract column `key`: a date for a
    field that is no date, a percent for a count, an age, a Villalta item; or, for a date field, it
    holds a word another field is known by (enrol_date for a visit's date)."""
    low = column.lower()
    mine = field_kind(key)
    if any(kind not in mine and pattern.search(low) for kind, pattern in _NAME_KINDS.items()):
        return True
    if "villalta" not in mine and low in vocab.VILLALTA_ITEMS:
        return True
    if names_another_item(key, column):
        return True
    if "date" not in mine:
        return False
    # A date named for another date field (enrol_date, death_dt for a visit's date, dvt_date for the
    # procedure's) is that one's.
    own = set(SYNONYMS.get(key, ())) | {w for w in re.split(r"[_\W]+", key.lower()) if len(w) >= 3}
    others = {
        w for k, words in SYNONYMS.items() if k != key for w in words if (len(w) >= 4 or w == "dvt") and w not in own
    }
    return any(w in low for w in others)


# Each Villalta item's and the ulcer's own words (v_calf_pain: calf, pain; ulcer_present: ulcer).
_ITEM_WORDS = {
    item: {w for w in _tokens(item) if w not in ("present",)} for item in (*vocab.VILLALTA_ITEMS, "ulcer_present")
}


def names_another_item(key: str, column: str) -> bool:
    """For a Villalta item (or the ulcer), the column names another item and not this one: vil_pares
    for v_heaviness, ulcer for v_pruritus, vil_calfpain for v_pain (review 17, finding 9: an item's
    candidates are the columns naming that item)."""
    if key not in _ITEM_WORDS:
        return False
    tokens = [t for t in _tokens(column) if t not in ("vil", "villalta", "item")]

    def names(item: str) -> bool:
        return any(_shortened(t, w) for t in tokens for w in _ITEM_WORDS[item])

    return not names(key) and any(names(item) for item in _ITEM_WORDS if item != key)


def value_rows(issues: pd.DataFrame) -> list[ValueRow]:
    """Coded columns with source values outside the contract's vocabulary, from an import's issues:
    the contract's allowed-values and boolean type rules, and a format's choices with no contract
    value (REDCap's "choice 1 (Venous stent) of 'treatment' has no value in patients.arm ... map it
    in [values.arm]": the raw code, its label, the contract column)."""
    allowed = _vocabularies()
    booleans = _booleans()
    found: dict[str, dict[str, str]] = {}  # contract column -> {source value: what it means, or ""}
    if issues.empty:
        return []
    rule = issues["rule"].astype(str)
    kind = rule.str.partition(":")[0]
    sdtm_rule = rule.str.startswith("sdtm:values.") | (rule == "sdtm:ae_term")
    # A REDCap code the data dictionary does not list (review 18, F2): mapped by [values.<column>] keyed by the code.
    unlisted = rule == "redcap:not_in_dictionary"
    chosen = (kind == "allowed") | (kind == "type") | rule.str.endswith(":unmapped") | sdtm_rule | unlisted
    legs: dict[str, dict[str, int]] = {}  # a SUPPQS leg code -> "SUPPQS QNAM QSLAT" -> its records
    for row in issues[chosen].itertuples():
        value = "" if pd.isna(row.value) else str(row.value)
        column, label = str(row.column), ""
        if row.rule == "sdtm:values.laterality" and (qnam := re.search(r" / QNAM (\S+)$", str(row.record))):
            where = f"{Path(str(row.file)).stem.upper()} QNAM {qnam[1]}"
            legs.setdefault(value, {})[where] = legs.get(value, {}).get(where, 0) + 1
        if str(row.rule).startswith("sdtm:"):  # SDTM names the variable; the rule names the map
            column = "event_type" if row.rule == "sdtm:ae_term" else str(row.rule).removeprefix("sdtm:values.")
            # A SUPPQS leg qualifier's QVAL (L, R) is read by [values.limb_side] (review 12, finding 3).
            column = SDTM_VALUE_MAPS.get(column, column)
        if row.rule == "redcap:not_in_dictionary":
            label = NOT_LISTED
        elif (hit := _UNMAPPED.match(str(row.message))) is not None:
            if hit["code"] != value:
                continue
            column, label = hit["column"], hit["label"] or ""
        if value and (column in allowed or column in booleans):
            found.setdefault(column, {}).setdefault(value, label)
    # A leg code's box names its qualifier and records (review 15: "L" and "R" alone named neither).
    for value, qualifiers in legs.items():
        if value in found.get("limb_side", {}):
            found["limb_side"][value] = ", ".join(f"{q}, {counted(n, 'record')}" for q, n in sorted(qualifiers.items()))
    return [
        ValueRow(
            column, tuple(sorted(seen)), allowed.get(column, ("true", "false")), tuple(seen[v] for v in sorted(seen))
        )
        for column, seen in sorted(found.items())
    ]


# SDTM rules sdtm:values.<name> whose values a map of another name reads.
SDTM_VALUE_MAPS = {"laterality": "limb_side"}

LEAVE_OUT_ARM = "(leave its patients out: [population] exclude_arms)"
# A source value's label when it is a REDCap code its data dictionary does not list: skipping it writes
# `"<code>" = ""` (a code the map does not name is refused, never skipped).
NOT_LISTED = redcap.NOT_LISTED


def leaves_arms_out(profile: Profile, column: str) -> bool:
    """A source value of the arm with no contract value can leave its patients out: the format has a
    [population] exclude_arms (ADaM, SDTM, and REDCap since review 16, finding 2: an arm choice with no
    contract value is an error there too, never a patient skipped with a warning)."""
    return column == "arm" and ("population" in profile.sections or profile.format == "redcap")


def skippable(profile: Profile, column: str) -> bool:
    """Whether leaving a source value unmapped lets the import go on without it: a REDCap choice with no
    contract value is skipped (its patient, visit or event not imported, a warning), as is an ADaM or
    SDTM AE or PR term; an ADaM or SDTM patient's value the map does not hold is an error, so skipping
    it would fix nothing (the arm's patients can be left out instead: leaves_arms_out)."""
    patient = column in validation.contract().columns["patients"]
    return not (profile.format in ("adam", "sdtm") and patient) and not (profile.format == "redcap" and column == "arm")


def arms_left_out(profile: Profile, arms: list[str]) -> list[tuple[tuple[str, ...], Any]]:
    """The write that leaves the patients of `arms` (source values) out: [population] exclude_arms
    with the profile's own entries kept and each new arm added once (the import compares without case)."""
    if not arms:
        return []
    have = [str(a) for a in profile.section("population").get("exclude_arms", [])]
    known = {a.upper() for a in have}
    added = [a for a in dict.fromkeys(arms) if a.upper() not in known]
    return [(("population", "exclude_arms"), [*have, *added])]


def suggested(column: str, value: str) -> str | None:
    """The contract value a source value is pre-selected with, when its words say it beyond doubt:
    an event term naming a death ("Sudden death", "Death NOS", "Died") is the death event; a leg written
    L, LT, LEFT (LEG) or R, RT, RIGHT (LEG) is that side; for anything else the user chooses."""
    if column == "event_type" and re.search(r"\b(death|died)\b", value, re.IGNORECASE):
        return "death"
    if column == "limb_side":  # L, LT, LEFT LEG; R, RT, RIGHT
        for side in ("left", "right"):
            if re.fullmatch(rf"{side[0]}t?|{side}( leg| limb)?", value.strip(), re.IGNORECASE):
                return side
    return None


# A format's choice with no contract value, as REDCap's importer words it.
_UNMAPPED = re.compile(
    r"^choice (?P<code>.*?)(?: \((?P<label>.*)\))? of '[^']*' has no value in \w+\.(?P<column>\w+): .*"
    r"map it in \[values\.(?P=column)\]"
)


def _vocabularies() -> dict[str, tuple[str, ...]]:
    """Contract column -> its allowed values, read from the contract's CHECK ... IN (...) rules."""
    out = {}
    for _table, column, expression in validation.contract().checks:
        if " IN (" in expression:
            out[column] = tuple(_QUOTED.findall(expression))
    return out


def _booleans() -> set[str]:
    return {
        c.name
        for table in vocab.CONTRACT_TABLES
        for c in validation.contract().columns[table].values()
        if c.type.upper() == "BOOLEAN" and not c.generated
    }


def stem(name: str) -> str:
    """A profile's file name (without .toml) from what a user typed: letters, digits, - and _."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "edited"


DOMAIN_NAMED = ("sdtm", "adam")  # formats whose files are named by their domain, not by the project


def default_name(
    profile: Profile, profile_ref: str, source_columns: dict[str, list[str]], folder: Path, study: str = ""
) -> str:
    """The name "Save as" offers: an edited copy in `folder` keeps its own name (it is edited
    again); a built-in profile's copy is named after it and the first data file, made unique in
    `folder` (-2, -3...), so a second project never replaces the first's profile. SDTM and ADaM
    files are named by their domain (ae.csv, adsl.xpt), which names no project: "edited" instead.
    Contract files are named by their table (events.csv): the copy is named after the study the sources
    name (`study`: dataset_info's dataset name, else the one study's id; review 12, finding 7), else
    "edited"."""
    ref = Path(profile_ref)
    if ref.suffix == ".toml" and ref.parent.resolve() == folder.resolve():
        return ref.stem
    files = list(redcap.assistant_columns(source_columns)) if profile.format == "redcap" else list(source_columns)
    if profile.format == "contract":
        upload = stem(study) if study.strip() else "edited"
    else:
        upload = stem(Path(files[0]).stem) if files and profile.format not in DOMAIN_NAMED else "edited"
    base = stem(f"{profile.name}-{upload}")
    name, n = base, 1
    while (folder / f"{name}.toml").exists():
        n += 1
        name = f"{base}-{n}"
    return name


def overwrites(profile_ref: str, target: Path) -> bool:
    """Saving to `target` would replace a profile other than the one edited."""
    return target.exists() and target.resolve() != Path(profile_ref).resolve()


def next_version(profile: Profile, target: Path) -> int:
    """The edited profile's version: one above the profile edited and above the file it replaces,
    so a version never goes backwards."""
    version = profile.version
    if target.exists():
        try:
            found = tomllib.loads(target.read_text(encoding="utf-8")).get("profile", {}).get("version", 0)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            found = 0
        if isinstance(found, int):
            version = max(version, found)
    return version + 1


def edited(
    profile: Profile,
    fields: dict[tuple[str, str], str],
    values: dict[str, dict[str, str]],
    version: int | None = None,
    writes: list[tuple[tuple[str, ...], Any]] | tuple[()] = (),
) -> dict[str, Any]:
    """The profile's whole data with the chosen source columns ((section, key) -> column, "" for
    none), value maps (contract column -> {source value: contract value}) and other choices (`writes`:
    key path -> value, None removing the key; assistant_choices) put in; its version goes up by one
    (or is `version`), so a report names which edit it used."""
    data: dict[str, Any] = {
        "profile": {
            "name": profile.name,
            "version": profile.version + 1 if version is None else version,
            "format": profile.format,
            "description": profile.description,
        },
        "csv": {
            "delimiter": profile.csv.delimiter,
            "quote": profile.csv.quote,
            "escape": profile.csv.escape,
            "encoding": profile.csv.encoding,
            "decimal_separator": profile.csv.decimal_separator,
        }
        | ({"missing_values": list(profile.csv.missing_values)} if profile.csv.missing_values else {}),
    }
    data |= json.loads(json.dumps(profile.sections))  # a deep copy of plain TOML data
    for (section, key), column in fields.items():
        data.setdefault(section, {})[key] = column
    for column, mapping in values.items():
        # "" only for a code the dictionary does not list, skipped (value_rows: NOT_LISTED): the map must name it
        data.setdefault("values", {}).setdefault(column, {}).update(mapping)
    for path, value in writes:
        table = data
        for part in path[:-1]:
            table = table.setdefault(part, {})
        if value is None:
            table.pop(path[-1], None)
        else:
            table[path[-1]] = value
    data["privacy"] = {"allow_columns": sorted(profile.allow_columns)}
    return data


def extending(data: dict[str, Any], base: str) -> dict[str, Any]:
    """Profile data as a profile that extends the built-in `base`: [profile] with extends = base,
    and of the other tables only the keys whose values differ from the built-in's (a key's value
    whole, as profiles.extend takes it; a table taken whole, such as [visits], whole)."""
    parent = tomllib.loads(FORMATS[base].profile.read_text(encoding="utf-8"))
    out: dict[str, Any] = {"profile": {**data["profile"], "extends": base}}
    for section, value in data.items():
        if section == "profile":
            continue
        have = parent.get(section)
        if isinstance(value, dict) and isinstance(have, dict) and section not in WHOLE_SECTIONS:
            differ = {k: v for k, v in value.items() if k not in have or have[k] != v}
            if differ:
                out[section] = differ
        elif value != have:
            out[section] = value
    return out


def dumps(data: dict[str, Any], header: str = "") -> str:
    """TOML for profile data (tables of strings, numbers, booleans, lists and tables): what
    tomllib reads back into the same data."""
    lines = [f"# {line}" for line in header.splitlines()]
    _table(lines, [], data)
    return "\n".join(lines).strip() + "\n"


def _table(lines: list[str], path: list[str], table: dict[str, Any]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
    nested = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (plain or not nested):
        lines += ["", "[" + ".".join(_key(p) for p in path) + "]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for key, sub in nested.items():
        _table(lines, [*path, key], sub)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"not a TOML value: {value!r}")
