"""Mapping profiles: versioned TOML files that say how a source layout maps onto the contract.

The built-ins live beside their formats (formats/<name>.toml; formats.load finds them by name); a
user edits a copy and passes its path.
Everything a profile names reaches SQL either as a bound value or, for column names of the source,
as an identifier checked here against a strict pattern and quoted.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# cp1252 (windows-1252): Excel's "Text" and "CSV" on Western Windows; DuckDB's CSV reader does not take it, so the
# importer transcodes such a file to UTF-8 first (readers.Reader._transcoded).
_ENCODINGS = ("utf-8", "latin-1", "utf-16", "cp1252", "windows-1252")
# [sas] encoding: the text of SAS transport (.xpt) and .sas7bdat files, which pyreadstat reads as UTF-8 unless told
# (a transport file does not say its encoding; SAS on Western Windows writes wlatin1, i.e. Windows-1252).
SAS_ENCODINGS = ("utf-8", "latin-1", "cp1252", "windows-1252")


class ProfileError(ValueError):
    """A profile file that cannot be used, with what is wrong in words."""


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: str = "utf-8"
    decimal_separator: str = "."
    missing_values: tuple[str, ...] = ()  # values that mean "no value" (SAS's ".", R's "NA"): read as empty


@dataclass(frozen=True)
class Profile:
    name: str
    version: int
    format: str
    description: str
    path: Path
    csv: CsvDialect
    sections: dict[str, Any] = field(default_factory=dict)  # the format's own tables, as read
    allow_columns: frozenset[str] = frozenset()
    extends: str | None = None  # the built-in profile whose keys this one takes where it sets none

    def section(self, name: str) -> dict[str, Any]:
        value = self.sections.get(name, {})
        return value if isinstance(value, dict) else {}

    def values(self, column: str) -> dict[str, str]:
        """The value map for a contract column (source value or label -> contract value)."""
        return {str(k): str(v) for k, v in self.section("values").get(column, {}).items()}

    def variable(self, section: str, column: str) -> str | None:
        """The source column a contract column comes from, checked as an identifier."""
        name = self.section(section).get(column)
        return identifier(name, f"[{section}] {column}") if name else None

    @property
    def sas_encoding(self) -> str | None:
        """[sas] encoding: the encoding pyreadstat reads SAS files' text in; None: the file's own (UTF-8 for .xpt)."""
        value = self.section("sas").get("encoding")
        return str(value) if value else None

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class KnownKeys:
    """The sections and keys a format's profile may set, for the loader's check (check_keys): per section its
    keys, or None for a section of any keys (event names, value maps' columns where any is read, PARAMCDs);
    `kind` names the profile in a message ("an adam"); `listed`: a section's keys in words where listing
    them would not help; `more`: where to read further; `instead`: another format's section -> this one's that
    does its work (a contract profile's [tables] for [datasets]), named rather than the closest spelling."""

    kind: str
    sections: Mapping[str, tuple[str, ...] | None]
    listed: Mapping[str, str] = field(default_factory=dict)
    more: str = ""
    instead: Mapping[str, str] = field(default_factory=dict)


# The sections every format's profile has (the loader reads them itself).
COMMON_KEYS: dict[str, tuple[str, ...] | None] = {
    "profile": ("name", "version", "format", "description", "extends"),
    "csv": (*CsvDialect.__dataclass_fields__,),
    "privacy": ("allow_columns",),
}


def unknown_keys(data: Mapping[str, Any], known: KnownKeys) -> list[str]:
    """Each section or key of a profile's tables that its format does not read, in words naming it and the
    closest known one: the loader refuses them (check_keys), one implementation for every format."""
    keys = {**COMMON_KEYS, **known.sections}
    found = []
    for section, value in data.items():
        if section not in keys:
            near = [known.instead[section]] if section in known.instead else []
            near = near or difflib.get_close_matches(section, list(keys), n=1, cutoff=0.5)
            hint = f" (did you mean [{near[0]}]?)" if near else ""
            found.append(f"[{section}] is not a section of {known.kind} profile{hint}")
            continue
        allowed = keys[section]
        if allowed is None or not isinstance(value, dict):
            continue  # a section of any keys, or not a table
        for key in value:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
                hint = f"did you mean {near[0]}? " if near else ""
                words = known.listed.get(section) or ", ".join(allowed)
                found.append(
                    f"[{section}] {key} is not a key of [{section}] in {known.kind} profile ({hint}its keys: "
                    f"{words}{known.more})"
                )
    return found


def check_keys(data: Mapping[str, Any], path: Path, known: KnownKeys) -> None:
    """A section or key the format does not read refuses the profile, naming each, the file and the closest
    known key: never ignored, nor only warned of (review 18, F3: a misspelt [populaton] or `requires =`
    imported a subject outside the ITT population)."""
    if found := unknown_keys(data, known):
        each = "it" if len(found) == 1 else "each"
        raise ProfileError(
            f"{path.name}: {'; '.join(found)}. Correct or remove {each} in the profile: a key the format does not "
            "read is refused, never ignored (a misspelt population filter or date format would change what is "
            "imported)"
        )


def identifier(name: object, where: str) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ProfileError(f"{where}: {name!r} is not a plain column name (letters, digits and _)")
    return name


def read(
    path: Path,
    formats: tuple[str, ...],
    bases: dict[str, Path] | None = None,
    known: Mapping[str, KnownKeys] | None = None,
) -> Profile:
    """A profile file, for one of these formats; with [profile] extends = "<built-in>", the keys it
    does not set come from that built-in profile (`bases`: built-in name -> its file). `known`: per
    format the sections and keys its profile may set; any other refuses the profile (check_keys)."""
    data = _toml(path)
    base = data.get("profile", {}).get("extends")
    if base is not None:
        if base not in (bases or {}):
            raise ProfileError(
                f"{path.name}: [profile] extends must name a built-in profile "
                f"({', '.join(sorted(bases or {}))}), not {base!r}"
            )
        parent = _toml((bases or {})[base])
        data = extend(parent, data)
        if data["profile"]["format"] != parent.get("profile", {}).get("format"):
            raise ProfileError(f"{path.name}: [profile] format differs from the format of {base!r}, which it extends")
    return _parse(data, path, formats, known or {})


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path.name} is not a readable TOML file: {exc}") from exc


WHOLE_SECTIONS = ("visits",)  # a profile that gives one of these gives all of it (VISITNUM or VISIT)


def extend(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """A profile's tables over its base's, key by key: a key the profile sets replaces the base's
    value whole (a value map, [qs.testcd], [datasets] dm); [profile] name, version and description
    are the profile's own."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    merged["profile"] = {"format": base.get("profile", {}).get("format")}
    for section, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(section), dict) and section not in WHOLE_SECTIONS:
            merged[section] = merged[section] | value
        else:
            merged[section] = value
    return merged


def _parse(data: dict[str, Any], path: Path, formats: tuple[str, ...], known: Mapping[str, KnownKeys]) -> Profile:
    head = data.get("profile", {})
    fmt = head.get("format")
    if fmt not in formats:
        raise ProfileError(f"{path.name}: [profile] format must be one of {', '.join(formats)}, not {fmt!r}")
    if fmt in known:
        check_keys(data, path, known[fmt])
    version = head.get("version")
    if not isinstance(version, int) or version < 1:
        raise ProfileError(f"{path.name}: [profile] version must be a whole number of at least 1")
    csv = data.get("csv", {})
    missing = csv.get("missing_values", [])
    if not (isinstance(missing, list) and all(isinstance(v, str) for v in missing)):
        raise ProfileError(f'{path.name}: [csv] missing_values is a list of texts, e.g. ["NA", "."]')
    dialect = CsvDialect(
        **{k: str(v) for k, v in csv.items() if k in CsvDialect.__dataclass_fields__ and k != "missing_values"},
        missing_values=tuple(missing),
    )
    if dialect.encoding.lower() not in _ENCODINGS:
        raise ProfileError(f"{path.name}: [csv] encoding must be one of {', '.join(_ENCODINGS)}")
    sas = data.get("sas", {})
    if not isinstance(sas, dict) or str(sas.get("encoding", "utf-8")).lower() not in SAS_ENCODINGS:
        raise ProfileError(
            f'{path.name}: [sas] encoding (the text of .xpt and .sas7bdat files, e.g. "cp1252" for SAS on Windows) '
            f"must be one of {', '.join(SAS_ENCODINGS)}"
        )
    if any(len(c) != 1 for c in (dialect.delimiter, dialect.quote, dialect.escape, dialect.decimal_separator)):
        raise ProfileError(f"{path.name}: [csv] delimiter, quote, escape and decimal_separator are one character each")
    allowed = data.get("privacy", {}).get("allow_columns", [])
    sections = {k: v for k, v in data.items() if k not in ("profile", "csv", "privacy")}
    profile = Profile(
        name=str(head.get("name") or path.stem),
        version=version,
        format=fmt,
        description=str(head.get("description", "")),
        path=path,
        csv=dialect,
        sections=sections,
        allow_columns=frozenset(str(c).lower() for c in allowed),
        extends=str(head["extends"]) if head.get("extends") else None,
    )
    _check_names(profile)
    _check_dates(profile)
    _check_visit_maps(profile)
    return profile


# The maps that give a visit its month: [visits.<key>] (ADaM AVISIT / AVISITN, SDTM VISIT / VISITNUM) and
# REDCap's [events]; the keys of the numbered ones are numbers.
VISIT_MAPS = ("AVISIT", "AVISITN", "VISIT", "VISITNUM")
NUMBERED_VISIT_MAPS = ("AVISITN", "VISITNUM")
MONTH_FORMS = (
    'a whole number of months (e.g. 3), or "" for a visit that is no scheduled one (its records are set aside, '
    "counted in the report)"
)


def month_of(value: object) -> int | None:
    """A visit map's month as the importer reads it: a whole number (3, "3", 3.0); None for "" (no
    scheduled visit). Raises ValueError for anything else."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value.strip())
    raise ValueError(value)


def _check_visit_maps(profile: Profile) -> None:
    """Every value of a visit map is a month or "" (review 14, N1: [visits.AVISITN] "99" = "" made the importer
    fail with "invalid literal for int()"), every key of a numbered map a number, and [study] visit_months a
    list of months: a message naming the key, the value and the forms allowed, never a failure later."""
    maps = {f"visits.{k}": v for k, v in profile.section("visits").items() if k in VISIT_MAPS}
    if profile.format == "redcap" and "events" in profile.sections:
        maps["events"] = profile.sections["events"]
    for where, entries in maps.items():
        if not isinstance(entries, dict):
            raise ProfileError(f'[{where}] is a table of visit -> month (e.g. "Month 3" = 3), not {entries!r}')
        for key, value in entries.items():
            try:
                month_of(value)
            except ValueError:
                raise ProfileError(
                    f'[{where}] "{key}" = {_toml_value(value)}: the month must be {MONTH_FORMS}'
                ) from None
            if where.split(".")[-1] in NUMBERED_VISIT_MAPS and not _is_number(key):
                raise ProfileError(
                    f'[{where}] "{key}": the key is the {where.split(".")[-1]} value as a number (e.g. "20" = 3)'
                )
    months = profile.section("study").get("visit_months", [])
    bad = [m for m in months if not _whole(m)] if isinstance(months, list) else [months]
    if bad:
        raise ProfileError(
            f"[study] visit_months is a list of whole numbers of months (e.g. [0, 3, 6, 12]), not {_toml_value(bad[0])}"
        )


def _whole(value: object) -> bool:
    try:
        return month_of(value) is not None
    except ValueError:
        return False


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _toml_value(value: object) -> str:
    """A value as the profile writes it (a text in quotes)."""
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else repr(value)


_DATE_FORMAT = re.compile(r"^(%[dmbByYjHMS]|[-/.: T])+$")
PARTIAL_DATE_RULES = ("refuse", "first", "middle")


def _check_dates(profile: Profile) -> None:
    """[dates] formats are strptime codes and separators only (they become SQL literals); partial is
    one of the rules."""
    section = profile.section("dates")
    for fmt in section.get("formats", []):
        if not isinstance(fmt, str) or not _DATE_FORMAT.match(fmt):
            raise ProfileError(f"[dates] formats: {fmt!r} is not a date format (strptime codes such as %d%b%Y)")
    if not isinstance(section.get("excel_serial", False), bool):
        raise ProfileError("[dates] excel_serial must be true or false")
    if (partial := section.get("partial", "refuse")) not in PARTIAL_DATE_RULES:
        raise ProfileError(f"[dates] partial must be one of {', '.join(PARTIAL_DATE_RULES)}, not {partial!r}")


def _check_names(profile: Profile) -> None:
    """Every source column a profile names must be a plain identifier (it becomes quoted SQL); ""
    maps nothing (the contract column stays empty, or comes from elsewhere)."""
    for section in ("adsl", "fields", "ae", "adverse_events"):
        for key, value in profile.section(section).items():
            if (section != "adverse_events" or key != "instrument") and value != "":
                identifier(value, f"[{section}] {key}")
    # [tables]: a file or sheet name as Excel and file systems allow it ("visits 2022"), or a list of them for a
    # table split over several; never SQL (review 18, F7: a sheet name was refused as "not a plain column name").
    for key, value in profile.section("tables").items():
        names = value if isinstance(value, list) else [value]
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise ProfileError(
                f'[tables] {key}: a file or sheet name (e.g. {key} = "{key} 2022"), or a list of them for a table '
                f'split over several sheets or files (e.g. {key} = ["{key} 2022", "{key} 2023"]), not {value!r}'
            )
