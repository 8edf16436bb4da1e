"""The mapping assistant: after a refused import, what the profile mapped and what it could not,
and a profile edited by the user's choices, written back as TOML that the command line reads too.

- `field_rows`: each contract field a profile maps from a source column, whether a source has that
  column, and the source columns that look like it (the candidates).
- `value_rows`: each coded contract column whose source values the contract does not allow (the
  import's `allowed:` and boolean `type:` issues), with those values and the contract's vocabulary.
- `edited` and `dumps`: the profile's data with the chosen columns and value maps, and its TOML.

No Streamlit here (the Import page draws it: pts_explorer/ui/importing.py).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pts_explorer import validation, vocab
from pts_explorer.importer.formats import FORMATS
from pts_explorer.importer.profiles import Profile

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


def contract_columns() -> dict[str, bool]:
    """Every contract column an import fills -> whether it is required."""
    out: dict[str, bool] = {}
    for table in vocab.CONTRACT_TABLES:
        for column in validation.contract().columns[table].values():
            if not column.generated:
                out[column.name] = out.get(column.name, False) or column.not_null
    return out


def field_rows(profile: Profile, source_columns: dict[str, list[str]]) -> list[FieldRow]:
    """Each profile entry `<contract column> = "<source column>"`, with whether a source holds it
    (matched without case, as the importer does) and the candidates."""
    known = contract_columns()
    columns = sorted({c for cols in source_columns.values() for c in cols}, key=str.lower)
    lowered = {c.lower() for c in columns}
    entries = [
        (section, key, value)
        for section in FORMATS[profile.format].column_sections
        for key, value in profile.section(section).items()
        if key in known and isinstance(value, str) and _IDENTIFIER.match(value)
    ]
    taken = {value.lower() for _, _, value in entries if value.lower() in lowered}
    rows = []
    for section, key, value in entries:
        found = value.lower() in lowered
        candidates = () if found else _candidates(key, value, columns, taken)
        rows.append(FieldRow(section, key, value, found, known[key], candidates))
    return rows


def _candidates(key: str, value: str, columns: list[str], taken: set[str], n: int = 6) -> tuple[str, ...]:
    """Source columns no other field uses, most alike first: those holding a word of the contract
    column's name (arm -> study_arm), then those close to the name the profile expected, then to the
    contract column's name."""
    by_lower = {c.lower(): c for c in columns if c.lower() not in taken}
    words = [w for w in re.split(r"[_\W]+", key.lower()) if len(w) >= 3]
    ranked = [c for c in by_lower if any(w in c for w in words)]
    ranked += difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.6)
    ranked += difflib.get_close_matches(key.lower(), list(by_lower), n=n, cutoff=0.6)
    return tuple(dict.fromkeys(by_lower[c] for c in ranked))[:n]


def value_rows(issues: pd.DataFrame) -> list[ValueRow]:
    """Coded columns with source values outside the contract's vocabulary, from an import's issues:
    the contract's allowed-values and boolean type rules, and a format's unmapped choices."""
    allowed = _vocabularies()
    booleans = _booleans()
    rows: list[ValueRow] = []
    if issues.empty:
        return rows
    kind = issues["rule"].astype(str).str.partition(":")[0]
    coded = issues[(kind == "allowed") | (kind == "type") | issues["rule"].astype(str).str.endswith(":unmapped")]
    for column, group in coded.groupby("column", sort=True):
        column = str(column)
        if column not in allowed and column not in booleans:
            continue
        values = tuple(sorted({str(v) for v in group["value"].dropna() if str(v) != ""}))
        if values:
            rows.append(ValueRow(column, values, allowed.get(column, ("true", "false"))))
    return rows


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


def edited(profile: Profile, fields: dict[tuple[str, str], str], values: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The profile's whole data with the chosen source columns ((section, key) -> column, "" for
    none) and value maps (contract column -> {source value: contract value}) put in; its version
    goes up by one, so a report names which edit it used."""
    data: dict[str, Any] = {
        "profile": {
            "name": profile.name,
            "version": profile.version + 1,
            "format": profile.format,
            "description": profile.description,
        },
        "csv": {
            "delimiter": profile.csv.delimiter,
            "quote": profile.csv.quote,
            "escape": profile.csv.escape,
            "encoding": profile.csv.encoding,
            "decimal_separator": profile.csv.decimal_separator,
        },
    }
    data |= json.loads(json.dumps(profile.sections))  # a deep copy of plain TOML data
    for (section, key), column in fields.items():
        data.setdefault(section, {})[key] = column
    for column, mapping in values.items():
        data.setdefault("values", {}).setdefault(column, {}).update({k: v for k, v in mapping.items() if v})
    data["privacy"] = {"allow_columns": sorted(profile.allow_columns)}
    return data


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
