"""The mapping assistant's choices beyond one source column per contract field: what an SDTM
delivery names otherwise (a dataset, a variable, a SUPP-- QNAM, a QSTESTCD, a VISITNUM's month, the
index procedure's PR term), a REDCap export's events (event -> visit month) and its months since
the DVT (a months field, or a date field as the DVT's date), each read from a survey of the
uploaded sources.

- `survey`: the sources read again (only after a refusal): each dataset's variables and the
  distinct values the choices need (QSTESTCD with QSTEST, VISITNUM with VISIT, QNAM with QLABEL and
  whether its values are dates or numbers, PR terms, REDCap event names, and, when no months since
  the DVT is read, whether each REDCap field holds dates or numbers), each with its record count.
- `sdtm_choices`, `event_choices`, `dvt_choices`: a Choice per name the profile gives that the
  sources do not hold; each Option says what it writes into the profile (`writes`: key path ->
  value, None removes the key). Months since the DVT is offered one way in every format
  (`dvt_options`): the sources holding dates as the DVT's date first, those holding numbers as
  the months.
- `classic_choices`: a classic REDCap project's [visits] instrument and month, when the check says
  it cannot place the visits (redcap:classic).
- `code_choices`: each code of a REDCap coded field the check refuses (redcap:codes): a visit month
  code's month or not a visit, a Villalta radio's score (one box per code for the items coded alike).
- `paramcd_choices`, `avisit_choices`, `population_choices`, `date_choices`: an ADaM package's
  population flags for [population] require, its AVISITs the visit maps do not
  know (a month or not a visit), its PARAMCDs (with PARAM and records) for the
  [paramcd] codes ADQS lacks, [dates] formats for dates in another style (09DEC2021) and [dates]
  partial; `dvt_choices` offers an ADSL date variable as [adsl] dvt_date as it does a REDCap field.
- `schedule`: the writes plus [study] visit_months grown by any month a choice maps a visit to.

No Streamlit here (the Import page draws them: pts_explorer/ui/importing.py).
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pts_explorer import validation
from pts_explorer.importer.assistant import FieldRow, look_alikes, role_names, suggested
from pts_explorer.importer.formats import redcap, sdtm
from pts_explorer.importer.formats.base import date_macro, procedure_details, procedure_label
from pts_explorer.importer.issues import Issues, counted
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import SUFFIXES, Reader, Staged, expand_zips
from pts_explorer.vocab import VILLALTA_ITEMS

Path_ = tuple[str, ...]  # a key path in the profile: ("qs", "testcd", "v_pain")
Write = tuple[Path_, Any]
MONTHS = (0, 1, 3, 6, 12, 18, 24, 36, 48, 60, 84, 120)  # visit months offered beside the study's own
MAX_VALUES = 200  # distinct values read per surveyed variable
DATE_FORMATS: Path_ = ("dates", "formats")


@dataclass(frozen=True)
class Option:
    text: str  # what the page shows
    writes: tuple[Write, ...] = ()  # what choosing it puts into the profile


@dataclass(frozen=True)
class Choice:
    group: str  # the heading it is shown under
    key: str  # unique on the page (the widget's key)
    label: str  # the question: what the profile names and the sources lack
    options: tuple[Option, ...]
    default: int | None = None  # the option chosen until the user chooses (None: none)
    several: bool = False  # several options may be chosen (their writes merged: merged)


@dataclass(frozen=True)
class Survey:
    """What the sources hold, as the assistant needs it."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dataset name -> its variables
    values: dict[str, tuple[tuple[str, str, int], ...]] = field(default_factory=dict)  # what -> (value, label, n)


def survey(profile: Profile, sources: list[Path]) -> Survey:
    """The uploaded sources read again into a scratch database (zips unpacked as the import does),
    and what the format's choices need from them; a source that cannot be read is left out (the
    import's report already names it)."""
    dialect = _dialect(profile, sources)
    if profile.format not in ("sdtm", "redcap", "adam"):
        return Survey(values=dialect)
    scratch = Path(tempfile.mkdtemp(prefix="assistant-"))
    con = duckdb.connect()
    try:
        issues = Issues(con)
        files = expand_zips(list(sources), scratch, issues)
        reader = Reader(con, profile.csv, issues, profile.sas_encoding)
        staged: list[Staged] = []
        for path in files:
            if path.suffix.lower() in SUFFIXES:
                try:
                    staged += reader.stage(path)
                except (duckdb.Error, OSError, ValueError):
                    continue
        columns = {s.name: tuple(s.columns) for s in staged}
        if reader.sas_undecoded:  # review 16, finding 1: the encoding that reads them, offered (encoding_choices)
            dialect["sas.encoding"] = tuple((name, "cp1252", 1) for name in reader.sas_undecoded)
        if profile.format == "redcap":
            return Survey(columns, dialect | _redcap_values(con, staged, profile))
        if profile.format == "adam":
            return Survey(columns, dialect | _adam_values(con, staged, profile))
        return Survey(columns, dialect | _sdtm_values(con, staged, profile))
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]+")
TEXT_SUFFIXES = (".csv", ".txt")


def _dialect(profile: Profile, sources: list[Path]) -> dict[str, tuple[tuple[str, str, int], ...]]:
    """How the text files the profile's delimiter does not split are written: each separator found in
    such a file's header (";", tab, "|") with its files, and the cells written with a decimal comma
    (27,5) once split by it, for the [csv] choices (csv_choices). The first 2,000 lines of each file."""
    separators: dict[str, int] = {}
    commas = 0
    for path in sources:
        if path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        try:
            with path.open(encoding=profile.csv.encoding, errors="replace", newline="") as handle:
                lines = [line.rstrip("\r\n") for _, line in zip(range(2000), handle, strict=False)]
        except (OSError, LookupError):
            continue
        if not lines or profile.csv.delimiter in lines[0]:
            continue
        found = next((sep for sep in (";", "\t", "|") if sep in lines[0]), None)
        if found is None:
            continue
        separators[found] = separators.get(found, 0) + 1
        commas += sum(
            1 for line in lines[1:] for cell in line.split(found) if _DECIMAL_COMMA.fullmatch(cell.strip('" '))
        )
    out: dict[str, tuple[tuple[str, str, int], ...]] = {}
    if wrong := _not_in_encoding(profile, sources):
        out["csv.encoding"] = wrong
    if separators:
        out["csv.separator"] = tuple((sep, "", n) for sep, n in sorted(separators.items(), key=lambda x: -x[1]))
        out["csv.decimal_comma"] = (("", "", commas),)
    return out


SEPARATORS = {";": "semicolon", "\t": "tab", "|": "vertical bar", ",": "comma"}
ENCODING_SAMPLE = 1 << 20  # bytes of each text file the assistant looks at for its encoding


def _not_in_encoding(profile: Profile, sources: list[Path]) -> tuple[tuple[str, str, int], ...]:
    """The text files whose first ENCODING_SAMPLE bytes are not text in the profile's [csv] encoding (latin-1:
    holding bytes 0x80-0x9F, which DuckDB's latin-1 refuses), each as (file, "cp1252" when those bytes are
    Windows-1252's punctuation, else "", 1), for the encoding choice (encoding_choices)."""
    encoding = profile.csv.encoding.lower()
    out = []
    for path in sources:
        if path.suffix.lower() not in (*TEXT_SUFFIXES, ".tsv"):
            continue
        try:
            with path.open("rb") as raw:
                sample = raw.read(ENCODING_SAMPLE)
        except OSError:
            continue
        c1 = any(0x80 <= b <= 0x9F for b in sample)
        try:
            sample.decode("utf-8-sig" if encoding == "utf-8" else encoding)
            readable = not (encoding == "latin-1" and c1)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the sample's end is no error of the file.
            readable = exc.start >= len(sample) - 3 and len(sample) == ENCODING_SAMPLE
        except LookupError:
            continue
        if not readable:
            out.append((path.name, "cp1252" if c1 else "", 1))
    return tuple(out)


ENCODINGS = {
    "cp1252": "Windows-1252 (cp1252): Excel's text and CSV on Western Windows (’ – € “ ”)",
    "latin-1": "Latin-1 (ISO 8859-1): older Unix and web exports",
    "utf-8": 'UTF-8: most programs today, Excel\'s "CSV UTF-8"',
    "utf-16": 'UTF-16: Excel\'s "Unicode Text"',
}


def encoding_choices(profile: Profile, rules: list[str], found: Survey) -> list[Choice]:
    """A text file that is not in the profile's [csv] encoding (file:encoding): the encoding, Windows-1252
    chosen where its bytes 0x80-0x9F say so (review 15, finding 2: the page offered no encoding, and the
    advice latin-1 was a dead end for an Excel export from Western Windows)."""
    wrong = found.values.get("csv.encoding", ())
    if "file:encoding" not in rules:
        return []
    current = profile.csv.encoding.lower()
    offered = [e for e in ENCODINGS if e != current and not (current == "windows-1252" and e == "cp1252")]
    c1 = any(hint == "cp1252" for _, hint, _ in wrong)
    files = ", ".join(name for name, _, _ in wrong)
    return [
        Choice(
            "Reading the CSV files",
            "csv_encoding",
            f"[csv] encoding: {counted(len(wrong), 'file')} not {profile.csv.encoding} text ({files})"
            + ("; their bytes 0x80-0x9F are Windows-1252 punctuation" if c1 else ""),
            tuple(Option(ENCODINGS[e], ((("csv", "encoding"), e),)) for e in offered),
            default=offered.index("cp1252") if c1 and "cp1252" in offered else None,
        )
    ][: 1 if wrong else 0] + _sas_encoding_choice(profile, found)


def _sas_encoding_choice(profile: Profile, found: Survey) -> list[Choice]:
    """SAS files (.xpt, .sas7bdat) whose text is not in [sas] encoding (UTF-8 unless set): Windows-1252 offered
    first, as SAS on Western Windows (wlatin1) writes it (review 16, finding 1)."""
    wrong = found.values.get("sas.encoding", ())
    if not wrong:
        return []
    current = (profile.sas_encoding or "utf-8").lower()
    offered = [e for e in ("cp1252", "latin-1", "utf-8") if e != current]
    files = ", ".join(name for name, _, _ in wrong)
    return [
        Choice(
            "Reading the SAS files",
            "sas_encoding",
            f"[sas] encoding: {counted(len(wrong), 'SAS file')} not {current} text ({files})",
            tuple(Option(SAS_ENCODINGS[e], ((("sas", "encoding"), e),)) for e in offered),
            default=0 if "cp1252" in offered else None,
        )
    ]


SAS_ENCODINGS = {
    "cp1252": "Windows-1252 (cp1252): SAS on Western Windows (wlatin1)",
    "latin-1": "Latin-1 (ISO 8859-1): SAS on Unix (latin1)",
    "utf-8": "UTF-8: SAS with encoding utf-8",
}


def csv_choices(profile: Profile, rules: list[str], found: Survey) -> list[Choice]:
    """A text file the profile's [csv] delimiter does not split (file:delimiter, any format: contract CSVs
    saved by a European Excel with ";"): the delimiter, the one its header holds chosen, and the decimal
    separator, "," chosen where the cells split by it hold decimal commas (27,5); both written to [csv]."""
    if "file:delimiter" not in rules or "csv.separator" not in found.values:
        return []
    seen = found.values["csv.separator"]
    files = sum(n for _, _, n in seen)
    ordered = [*(sep for sep, _, _ in seen), *(sep for sep in SEPARATORS if sep not in {s for s, _, _ in seen})]
    ordered = [sep for sep in ordered if sep != profile.csv.delimiter]
    ((_, _, commas),) = found.values["csv.decimal_comma"]
    shown = {sep: f"{SEPARATORS[sep]} ({sep!r})" for sep in SEPARATORS}
    delimiter = Choice(
        "Reading the CSV files",
        "csv_delimiter",
        f"[csv] delimiter: {counted(files, 'file')} read as one column (the profile says {profile.csv.delimiter!r}); "
        f"the header holds {', '.join(f'{sep!r}' for sep, _, _ in seen)}",
        tuple(Option(shown[sep], ((("csv", "delimiter"), sep),)) for sep in ordered),
        default=0,
    )
    decimal = Choice(
        "Reading the CSV files",
        "csv_decimal_separator",
        "[csv] decimal_separator: "
        + (
            f"{counted(commas, 'number')} written with a decimal comma (27,5) once split so"
            if commas
            else "no number written with a decimal comma (27,5) once split so"
        ),
        (
            Option('comma (",": 27,5 is 27.5)', ((("csv", "decimal_separator"), ","),)),
            Option('point (".": 27.5)', ((("csv", "decimal_separator"), "."),)),
        ),
        default=0 if commas else 1,
    )
    return [delimiter, decimal]


def _distinct(
    con: duckdb.DuckDBPyConnection, sources: list[Staged], value: str, label: str | None = None
) -> tuple[tuple[str, str, int], ...]:
    """The distinct values of a variable over the datasets that have it, with a label variable's
    first value beside each (QSTEST beside QSTESTCD) and the records holding it."""
    parts = []
    for s in sources:
        ref = s.ref(value)
        if ref is None:
            continue
        lab = s.ref(label) if label else None
        parts.append(f"SELECT trim({ref}) AS v, {lab or 'NULL'} AS l FROM {s.table}")
    if not parts:
        return ()
    rows = con.execute(
        f"SELECT v, coalesce(min(l), ''), count(*) FROM ({' UNION ALL '.join(parts)}) WHERE v IS NOT NULL AND v <> '' "
        f"GROUP BY v ORDER BY v LIMIT {MAX_VALUES}"
    ).fetchall()
    return tuple((str(v), str(lab), int(n)) for v, lab, n in rows)


def _avisitn_only(con: duckdb.DuckDBPyConnection, sources: list[Staged]) -> tuple[tuple[str, str, int], ...]:
    """Each AVISITN of the records whose AVISIT is blank (a sponsor who numbers the visits only), with its
    records: offered by number, [visits.AVISITN] (review 11, N1: no choice was offered for them)."""
    parts = [
        f"SELECT trim(CAST({s.ref('AVISITN')} AS VARCHAR)) AS v FROM {s.table} WHERE nullif(trim(CAST("
        f"{s.ref('AVISIT')} AS VARCHAR)), '') IS NULL"
        for s in sources
        if s.ref("AVISITN") is not None and s.ref("AVISIT") is not None
    ]
    parts += [
        f"SELECT trim(CAST({s.ref('AVISITN')} AS VARCHAR)) AS v FROM {s.table}"
        for s in sources
        if s.ref("AVISITN") is not None and s.ref("AVISIT") is None
    ]
    if not parts:
        return ()
    rows = con.execute(
        f"SELECT v, count(*) FROM ({' UNION ALL '.join(parts)}) WHERE v IS NOT NULL AND v <> '' GROUP BY v "
        f"ORDER BY try_cast(v AS DOUBLE), v LIMIT {MAX_VALUES}"
    ).fetchall()
    return tuple((str(v), "", int(n)) for v, n in rows)


def _role(profile: Profile, staged: list[Staged], role: str) -> list[Staged]:
    spec = profile.section("datasets").get(role, {})
    given = spec.get("names", [role]) if isinstance(spec, dict) else [role]
    names = {str(n).lower() for n in ([given] if isinstance(given, str) else given)}
    return [s for s in staged if s.name.lower() in names]


def _sdtm_values(con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile) -> dict[str, Any]:
    qs, pr = profile.section("qs"), profile.section("pr")
    supp = profile.section("supp")
    out: dict[str, Any] = {}
    test_code = str(qs.get("test_code") or "QSTESTCD")
    qs_sources = _role(profile, staged, "qs")
    out["qs.test_code"] = _distinct(con, qs_sources, test_code, re.sub(r"CD$", "", test_code, flags=re.I))
    visitnum, visit = str(qs.get("visitnum") or ""), str(qs.get("visit") or "")
    if visitnum:
        rows = _distinct(con, qs_sources, visitnum, visit or None)
        merged: dict[str, tuple[str, int]] = {}
        for num, label, n in rows:  # "1" and "1.0" are one visit number
            key = _number(num)
            old = merged.get(key, (label, 0))
            merged[key] = (old[0] or label, old[1] + n)
        out["qs.visitnum"] = tuple(sorted(((k, v[0], v[1]) for k, v in merged.items()), key=lambda r: _sort(r[0])))
        out["qs.visitday"] = _visit_days(con, qs_sources, _role(profile, staged, "dm"), profile)
    if category := str(qs.get("category") or ""):
        out["qs.category"] = _categories(con, qs_sources, profile, test_code, category)
    qnam = str(supp.get("qnam") or "QNAM")
    out["suppdm.qnam"] = _distinct(con, _role(profile, staged, "suppdm"), qnam, "QLABEL")
    out["suppdm.kind"] = _kinds(con, _role(profile, staged, "suppdm"), qnam, str(supp.get("qval") or "QVAL"))
    out["supppr.qnam"] = _distinct(con, _role(profile, staged, "supppr"), qnam, "QLABEL")
    if pr.get("term"):
        out["pr.term"] = _distinct(con, _role(profile, staged, "pr"), str(pr["term"]))
    return out


def _categories(
    con: duckdb.DuckDBPyConnection, sources: list[Staged], profile: Profile, test_code: str, category: str
) -> tuple[tuple[str, str, int], ...]:
    """The categories (QSCAT, or "QSCAT / QSSCAT") of the test codes [qs.testcd] maps that occur under more
    than one (sdtm:test_categories), each with those codes and its records."""
    codes = sorted({str(c).upper() for c in profile.section("qs").get("testcd", {}).values()})
    sub = str(profile.section("qs").get("subcategory") or "")
    parts = []
    for s in sources:
        code, cat, subcat = s.ref(test_code), s.ref(category), s.ref(sub) if sub else None
        if code is None or cat is None:
            continue
        key = f"upper(trim(coalesce({cat}, '')))" + (
            f" || coalesce(' / ' || nullif(upper(trim({subcat})), ''), '')" if subcat else ""
        )
        parts.append(f"SELECT upper(trim({code})) AS c, {key} AS k FROM {s.table}")
    if not parts or not codes:
        return ()
    rows = con.execute(
        f"SELECT k, string_agg(DISTINCT c, ', ' ORDER BY c), count(*) FROM (SELECT * FROM ({' UNION ALL '.join(parts)})"
        " WHERE list_contains($codes, c) QUALIFY count(DISTINCT k) OVER (PARTITION BY c) > 1) GROUP BY k ORDER BY k",
        {"codes": codes},
    ).fetchall()
    return tuple((str(k), str(c), int(n)) for k, c, n in rows)


# [qs] key -> what its instrument is, as the assistant asks for its category (sdtm.INSTRUMENT_KEYS).
INSTRUMENTS = {
    "villalta_category": ("the Villalta items, ulcer and total", "VILLALTA"),
    "vcss_category": ("the VCSS", "VCSS"),
}


def category_choices(profile: Profile, found: Survey, issues: Any) -> list[Choice]:
    """SDTM: test codes [qs.testcd] maps that occur under several QSCATs whose instrument the profile does not
    name (the error sdtm:test_categories, review 15 finding 1): for each instrument, the category its records
    are read from ([qs] villalta_category, vcss_category), each category offered with its codes and records,
    the one whose name is nearest the instrument's first. Never chosen for the user."""
    if profile.format != "sdtm" or issues is None or getattr(issues, "empty", True):
        return []
    refused = issues[(issues["rule"].astype(str) == "sdtm:test_categories") & (issues["severity"] == "error")]
    categories = found.values.get("qs.category", ())
    if refused.empty or len(categories) < 2:
        return []
    variable = "QSCAT" + (" / QSSCAT" if any(" / " in k for k, _, _ in categories) else "")
    out = []
    for key, (what, word) in INSTRUMENTS.items():
        ranked = sorted(categories, key=lambda c: -difflib.SequenceMatcher(None, word, c[0]).ratio())
        out.append(
            Choice(
                "Instruments: test codes under several categories",
                f"sdtm_category_{key}",
                f"[qs] {key}: the {variable} of {what} (its test codes occur under several categories)",
                tuple(
                    Option(f"{k or '(blank)'} ({codes}; {counted(n, 'record')})", ((("qs", key), k),))
                    for k, codes, n in ranked
                ),
            )
        )
    return out


def _adam_values(con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile) -> dict[str, Any]:
    """ADQS/ADVS: each PARAMCD with its PARAM and records, each AVISIT with its AVISITN and records
    (with neither named in the sources, those of the datasets no role reads that hold PARAMCD: an
    ADQS split as ADQSVIL and ADQSVCSS, offered in the same round as its name); each ADAE and ADPR
    term with its records."""
    bds = [*_role(profile, staged, "adqs"), *_role(profile, staged, "advs")]
    if not bds:
        named = {n for role in profile.section("datasets") for n in role_names(profile, str(role))}
        bds = [s for s in staged if s.name.lower() not in named and s.has("PARAMCD")]
    out: dict[str, Any] = {
        "bds.paramcd": _distinct(con, bds, "PARAMCD", "PARAM"),
        "bds.avisit": _distinct(con, bds, "AVISIT", "AVISITN"),
        "bds.avisitn": _avisitn_only(con, bds),
    }
    for role, section in (("adae", "ae"), ("adpr", "pr")):
        if term := str(profile.section(section).get("term") or ""):
            out[f"{role}.term"] = _distinct(con, _role(profile, staged, role), term)
    if adsl := next(iter(_role(profile, staged, "adsl")), None):
        out["fields.kind"] = _adsl_kinds(con, adsl, profile)
        subjects = int((con.execute(f"SELECT count(*) FROM {adsl.table}").fetchone() or (0,))[0])
        flags = []
        for name in sorted((c for c in adsl.columns if POPULATION_FLAG.match(c)), key=_flag_order):
            yes = _distinct(con, [adsl], name)
            n = next((count for value, _, count in yes if value.upper() == "Y"), 0)
            if n > 0:
                flags.append((name.upper(), f"{n} of {subjects}", n))
        out["adsl.flags"] = tuple(flags)
    return out


# ADSL's population flags (CDISC ADaM IG): intention to treat, full analysis, safety, per protocol, randomized...
POPULATION_FLAG = re.compile(r"^(ITT|MITT|FAS|SAF|PPROT|PPS|PP|RAND|ENRL|COMP\w*)FL$", re.I)
_FLAG_ORDER = ("ITTFL", "FASFL", "MITTFL", "RANDFL", "SAFFL", "PPROTFL")


def _flag_order(name: str) -> tuple[int, str]:
    upper = name.upper()
    return (_FLAG_ORDER.index(upper) if upper in _FLAG_ORDER else len(_FLAG_ORDER), upper)


EVERYONE = "(everyone in ADSL: no population flag)"


def population_choices(profile: Profile, found: Survey) -> list[Choice]:
    """ADaM: who is imported when [population] require is empty and ADSL has population flags (ITTFL,
    SAFFL...): everyone (as now, the default), or the subjects with one flag "Y" (with how many of
    ADSL's subjects have it)."""
    if profile.format != "adam" or not found.values.get("adsl.flags"):
        return []
    require = profile.section("population").get("require")
    if isinstance(require, dict) and require:
        return []
    return [
        Choice(
            "Population",
            "adam_population",
            "[population] require: who is imported (a subject left out is left out of every dataset)",
            (
                Option(EVERYONE),
                *(
                    Option(f'{flag} = "Y" ({said} subjects)', ((("population", "require"), {flag: "Y"}),))
                    for flag, said, _ in found.values["adsl.flags"]
                ),
            ),
            0,
        )
    ]


def _adsl_kinds(con: duckdb.DuckDBPyConnection, adsl: Staged, profile: Profile) -> tuple[tuple[str, str, int], ...]:
    """Each ADSL variable: (VARIABLE, "date" when every value is a date (ISO 8601, a partial one such
    as 2018-05, one the profile's [dates] formats read, or one style of DATE_STYLES: 09DEC2021),
    "number" when every value is a number, else "text", the values read)."""
    if not adsl.columns:
        return ()
    date_macro(con, profile)
    full, month, year = sdtm.FULL, sdtm.MONTH, sdtm.YEAR
    styles = " OR ".join(f"try_strptime(v, '{style}') IS NOT NULL" for style in DATE_STYLES)
    dated = (
        f"bool_and(pts_date(v) IS NOT NULL OR regexp_full_match(v, '{full}') OR regexp_full_match(v, '{month}') "
        f"OR regexp_full_match(v, '{year}') OR {styles}) AND bool_or(NOT regexp_full_match(v, '{year}'))"
    )
    read = _read_as(con, adsl, list(adsl.columns), f"count(*), {dated}, bool_and(try_cast(v AS DOUBLE) IS NOT NULL)")
    return tuple(
        (c.upper(), "number" if number else "date" if date else "text", int(n)) for c, (n, date, number) in read.items()
    )


def _kinds(
    con: duckdb.DuckDBPyConnection, sources: list[Staged], qnam: str, qval: str
) -> tuple[tuple[str, str, int], ...]:
    """Each QNAM's values as the import reads them: (QNAM, "date" when every value is an ISO 8601
    date (a YYYY-MM-DD, YYYY-MM or YYYY, at least one with a month), "number" when every value is a
    number, else "text", the values read)."""
    parts = []
    for s in sources:
        q, v = s.ref(qnam), s.ref(qval)
        if q and v:
            parts.append(f"SELECT upper(trim({q})) AS q, trim({v}) AS v FROM {s.table}")
    if not parts:
        return ()
    full, month, year = sdtm.FULL, sdtm.MONTH, sdtm.YEAR
    rows = con.execute(
        f"""SELECT q,
            bool_and(regexp_full_match(v, '{full}') OR regexp_full_match(v, '{month}')
                     OR regexp_full_match(v, '{year}'))
              AND bool_or(regexp_full_match(v, '{full}') OR regexp_full_match(v, '{month}')),
            bool_and(try_cast(v AS DOUBLE) IS NOT NULL), count(*)
        FROM ({" UNION ALL ".join(parts)}) WHERE q IS NOT NULL AND q <> '' AND v IS NOT NULL AND v <> ''
        GROUP BY q ORDER BY q LIMIT {MAX_VALUES}"""
    ).fetchall()
    return tuple((str(q), "date" if date else "number" if number else "text", int(n)) for q, date, number, n in rows)


def _visit_days(
    con: duckdb.DuckDBPyConnection, qs: list[Staged], dm: list[Staged], profile: Profile
) -> tuple[tuple[str, str, int], ...]:
    """Each visit number's records in days after the reference date (day 0, as the import counts):
    QSDY when QS has it (SDTM's day 1 is the reference date), else the record's date (QSDTC) minus
    DM RFSTDTC, full dates only; (visit number, median day, records with a day)."""
    names, dm_names = profile.section("qs"), profile.section("dm")
    visitnum, subject = str(names.get("visitnum") or ""), str(names.get("subject") or "USUBJID")
    date, dm_subject = str(names.get("date") or ""), str(dm_names.get("patient_id") or "USUBJID")
    start = str(dm_names.get("enrolled_on") or "RFSTDTC")
    reference = [(d.ref(dm_subject), d.ref(start), d.table) for d in dm if d.ref(dm_subject) and d.ref(start)]
    parts = []
    for s in qs:
        num = s.ref(visitnum)
        if num is None:
            continue
        if dy := s.ref(re.sub(r"DTC$", "DY", date, flags=re.I) if date else "QSDY"):
            day = f"try_cast({dy} AS DOUBLE)"
            parts.append(
                f"SELECT trim({num}) AS v, CASE WHEN {day} > 0 THEN {day} - 1 ELSE {day} END AS d FROM {s.table}"
            )
        elif (on := s.ref(date) if date else None) and (who := s.ref(subject)) and reference:
            ref_subject, ref_start, ref_table = reference[0]
            parts.append(
                f"SELECT trim({num}) AS v, date_diff('day', try_cast(left(trim({ref_start}), 10) AS DATE), "
                f"try_cast(left(trim({on}), 10) AS DATE)) AS d FROM {s.table} "
                f"JOIN {ref_table} ON trim({ref_subject}) = trim({who})"
            )
    if not parts:
        return ()
    rows = con.execute(
        f"SELECT coalesce(CAST(try_cast(v AS DOUBLE) AS VARCHAR), v), median(d), count(d) "
        f"FROM ({' UNION ALL '.join(parts)}) WHERE v IS NOT NULL AND v <> '' AND d IS NOT NULL GROUP BY 1"
    ).fetchall()
    return tuple((_number(str(v)), f"{float(d):g}", int(n)) for v, d, n in rows)


def _redcap_values(con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile) -> dict[str, Any]:
    record_id = str(profile.section("fields").get("patient_id") or "record_id")
    dictionary = next((s for s in staged if redcap.is_dictionary(s)), None)
    # The export: the file with the record id the profile names, else (its record id has another name:
    # study_id, the export's first column) any file but the dictionary.
    exports = [s for s in staged if s is not dictionary and s.has(record_id)]
    exports = exports or [s for s in staged if s is not dictionary]
    export = next((s for s in exports if s.has("redcap_event_name")), None) or next(iter(exports), None)
    out: dict[str, Any] = {
        "events": _distinct(con, [export], "redcap_event_name") if export and export.has("redcap_event_name") else (),
        "instruments": (
            _distinct(con, [export], "redcap_repeat_instrument")
            if export and export.has("redcap_repeat_instrument")
            else ()
        ),
    }
    if export is not None:
        # The fields' kinds serve the choice of months since the DVT (dvt_choices), needed only when neither
        # the DVT date field nor the months field is read: read the months field's alone first.
        fields = profile.section("fields")
        months, dvt = (str(fields.get(k) or "") for k in DVT_KEYS)
        wanted = [c for c in export.columns if c.lower() == months.lower()] if months else []
        if dvt and export.has(dvt):
            wanted = []
        elif not wanted or any(k == "date" for _, k, _ in _field_kinds(con, export, dictionary, profile, wanted)[0]):
            wanted = list(export.columns)
        out["fields.kind"], out["fields.date_format"] = _field_kinds(con, export, dictionary, profile, wanted)
        if dictionary is not None:  # the labels tell a DVT date field ("Date of the index DVT") from the others
            labels = redcap.field_labels(con, dictionary)
            out["fields.label"] = tuple((f.upper(), text, 0) for f, text in labels.items())
    return out


# Date styles a REDCap field typed as text often holds (SAS DATE9. 02MAR2020, day first, month first...):
# a field whose every value one of them reads (and ISO 8601 does not) is offered as a date with it.
DATE_STYLES = ("%d%b%Y", "%d-%b-%Y", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y")
_VALIDATION_STYLE = {"dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"), "mdy": ("%m/%d/%Y",)}


def _field_kinds(
    con: duckdb.DuckDBPyConnection, export: Staged, dictionary: Staged | None, profile: Profile, columns: list[str]
) -> tuple[tuple[tuple[str, str, int], ...], tuple[tuple[str, str, int], ...]]:
    """Each field of `columns` as the import would read it: (FIELD, "date" when the data dictionary
    validates it as a date (date_ymd, date_dmy, datetime_...) or every value is a date, "number" when
    every value is a number, else "text", the values read); and for a date field whose values the
    profile's dates do not read (ISO 8601 and its [dates] formats), the one style of DATE_STYLES that
    reads every value (by the dictionary's dmy/mdy where two do): (FIELD, style, values)."""
    validated = {f.upper(): v for f, v in redcap.date_fields(con, dictionary).items()} if dictionary else {}
    fields = [
        c
        for c in columns
        if "___" not in c and not c.lower().startswith("redcap_") and not c.lower().endswith("_complete")
    ]
    if not fields:
        return (), ()
    date_macro(con, profile)  # pts_date: ISO 8601 and the profile's [dates] formats, as the import reads dates
    kinds, formats = [], []
    read = _read_as(
        con, export, fields, "count(*), bool_and(pts_date(v) IS NOT NULL), bool_and(try_cast(v AS DOUBLE) IS NOT NULL)"
    )
    # Only a field of text that ISO 8601 does not read is tried in each style (strptime is slow on many rows).
    tried = [f for f in fields if (r := read.get(f)) and not r[1] and not r[2]]
    styles = ", ".join(f"bool_and(try_strptime(v, '{style}') IS NOT NULL)" for style in DATE_STYLES)
    styled = _read_as(con, export, tried, styles) if tried else {}
    for field_name in fields:
        upper = field_name.upper()
        n, iso, number = read.get(field_name, (0, False, False))
        by_style = styled.get(field_name, (False,) * len(DATE_STYLES))
        fit = [style for style, ok in zip(DATE_STYLES, by_style, strict=True) if ok]
        if len(fit) > 1 and (side := validated.get(upper, "")[-3:]) in _VALIDATION_STYLE:
            fit = [style for style in fit if style in _VALIDATION_STYLE[side]]
        date = upper in validated or (n and iso) or (n and not number and bool(fit))
        kinds.append((upper, "date" if date else "number" if n and number else "text", int(n)))
        if date and n and not iso and len(fit) == 1:
            formats.append((upper, fit[0], int(n)))
    return tuple(kinds), tuple(formats)


def _read_as(con: duckdb.DuckDBPyConnection, export: Staged, fields: list[str], aggregates: str) -> dict[str, tuple]:
    """Aggregates of each field's non-empty values `v` (trimmed), in one pass over the export."""
    columns = ", ".join(f"{export.ref(c)} AS f{i}" for i, c in enumerate(fields))
    rows = con.execute(
        f"SELECT f, {aggregates} FROM (SELECT f, trim(v) AS v FROM (UNPIVOT (SELECT {columns} FROM {export.table}) "
        "ON COLUMNS(*) INTO NAME f VALUE v)) WHERE v <> '' GROUP BY f"
    ).fetchall()
    return {fields[int(str(r[0])[1:])]: tuple(r[1:]) for r in rows}


def _number(text: str) -> str:
    """A visit number as a profile key: "1.0" -> "1", "1.1" stays."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else repr(value)


def _sort(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def _ranked(wanted: str, words: tuple[str, ...], offered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`offered` (value, label) with those whose label or value holds more of `words` first, then
    those whose value is close to the name the profile expected, then the rest as found."""

    def hits(value: str, label: str) -> int:
        return _hits(words, value, label)

    if not offered:
        return []
    close = difflib.get_close_matches(wanted.upper(), [v.upper() for v, _ in offered], n=len(offered), cutoff=0.6)
    order = {v: i for i, v in enumerate(close)}
    return sorted(offered, key=lambda o: (-hits(*o), order.get(o[0].upper(), len(order))))


def _hits(words: tuple[str, ...], value: str, label: str) -> int:
    text = re.split(r"[\W_]+", f"{value} {label}".lower())
    return sum(1 for w in words if w in text)


def _words(key: str) -> tuple[str, ...]:
    words = [w for w in key.lower().split("_") if w not in ("v", "pct", "mm", "c", "id")]
    extra = {"months_since_dvt": ("dvt",), "limb_side": ("limb", "leg", "lat"), "ceap_c": ("ceap",)}
    return (*words, *extra.get(key, ()))


def _shown(value: str, label: str, n: int | None = None) -> str:
    parts = [p for p in (label, counted(n, "record") if n is not None else "") if p]
    return f"{value} ({', '.join(parts)})" if parts else value


LEAVE = "(none: the study has no such {what})"


def _required(columns: tuple[str, ...]) -> dict[str, bool]:
    contract = validation.contract().columns
    return {c: any(c in contract[t] and contract[t][c].not_null for t in ("patients", "procedures")) for c in columns}


def sdtm_choices(profile: Profile, found: Survey) -> list[Choice]:
    """Each dataset, variable, QNAM, test code, visit number and index procedure term the profile
    names that the sources lack, with what could take its place."""
    if profile.format != "sdtm" or not found.columns:
        return []
    choices: list[Choice] = []
    by_name = {n.lower(): n for n in found.columns}
    roles: dict[str, list[str]] = {}
    taken: set[str] = set()
    for role, spec in profile.section("datasets").items():
        names = spec.get("names", [role]) if isinstance(spec, dict) else [role]
        roles[str(role)] = [by_name[str(n).lower()] for n in names if str(n).lower() in by_name]
        taken |= {n.lower() for n in roles[str(role)]}
    for role, spec in profile.section("datasets").items():
        if roles[str(role)]:
            continue
        required = bool(spec.get("required", False)) if isinstance(spec, dict) else bool(spec)
        names = spec.get("names", [role]) if isinstance(spec, dict) else [role]
        free = [n for n in found.columns if n.lower() not in taken]
        ranked = [v for v, _ in _ranked(str(role), (str(role).lower(),), [(n, "") for n in free])]
        options = [Option(n, ((("datasets", str(role)), {"names": [n], "required": required}),)) for n in ranked]
        if not required:
            options.insert(0, Option(LEAVE.format(what="dataset")))
        choices.append(
            Choice(
                "Datasets",
                f"sdtm_dataset_{role}",
                f"{str(role).upper()} ({'required' if required else 'optional'}): no dataset named "
                f"{' or '.join(str(n).upper() for n in names)}",
                tuple(options),
                None if required else 0,
            )
        )
    choices += _variables(profile, found, roles)
    choices += _qnams(profile, found, "suppdm", "qualifiers", sdtm.QUALIFIER_COLUMNS)
    choices += _qnams(profile, found, "supppr", "procedure", sdtm.PROCEDURE_COLUMNS)
    choices += _test_codes(profile, found)
    choices += visit_choices(profile, found)
    choices += _index_term(profile, found)
    return choices


def _variables(profile: Profile, found: Survey, roles: dict[str, list[str]]) -> list[Choice]:
    out: list[Choice] = []
    seen: set[tuple[str, str]] = set()
    for role, (section, keys, optional) in sdtm.ROLE_KEYS.items():
        datasets = roles.get(role, [])
        if not datasets:
            continue
        have = [found.columns[d] for d in datasets]
        common = [c for c in have[0] if all(c.lower() in {x.lower() for x in cols} for cols in have)]
        names = profile.section(section)
        for key in keys:
            if key in optional or (section, key) in seen:
                continue
            given = str(names.get(key) or "")
            if given and given.lower() in {c.lower() for c in common}:
                continue
            seen.add((section, key))
            ranked = [v for v, _ in _ranked(given or key, _words(key), [(c, "") for c in common])]
            out.append(
                Choice(
                    f"{'/'.join(datasets).upper()} variables",
                    f"sdtm_var_{section}_{key}",
                    f"[{section}] {key} (required): {'/'.join(datasets).upper()} has no variable "
                    f"{given or '(not set)'}",
                    tuple(Option(c, (((section, key), c),)) for c in ranked),
                )
            )
    return out


def _qnams(profile: Profile, found: Survey, role: str, section: str, columns: tuple[str, ...]) -> list[Choice]:
    qnams = found.values.get(f"{role}.qnam", ())
    if not qnams:
        return []
    present = {q.upper() for q, _, _ in qnams}
    kinds = {q.upper(): kind for q, kind, _ in found.values.get(f"{role}.kind", ())}
    given = {str(k): str(v) for k, v in profile.section(section).items() if isinstance(v, str) and "." not in v}
    required = _required(columns)
    out: list[Choice] = []
    for column, qnam in given.items():
        if column not in columns or not qnam or column == "dvt_date":  # dvt_date: offered with months_since_dvt
            continue
        note = f"{role.upper()} has no QNAM {qnam}"
        if column == "months_since_dvt":
            dvt = given.get("dvt_date", "").upper()
            if dvt in present and kinds.get(dvt, "date") == "date":
                continue
            if qnam.upper() in present and kinds.get(qnam.upper()) == "date":
                note = f"QNAM {qnam} of {role.upper()} holds dates, not months"  # the check refuses them
            elif qnam.upper() in present:
                continue
        elif qnam.upper() in present:
            continue
        own = {qnam.upper(), given.get("dvt_date", "").upper()} if column == "months_since_dvt" else {qnam.upper()}
        used = {v.upper() for v in given.values() if v.upper() in present and v.upper() not in own}
        free = [(q, label) for q, label, _ in qnams if q.upper() not in used]
        ranked = _ranked(qnam, _words(column), free)
        if column == "months_since_dvt":  # months (numbers), or the DVT's date (whole months from it to RFSTDTC)
            options = dvt_options(section, ranked, kinds, "RFSTDTC")
        else:
            options = [Option(_shown(q, label), (((section, column), q),)) for q, label in ranked]
        need = required.get(column, False) or column == "months_since_dvt"
        said = "required" if need else "optional"
        if section == "procedure" and column in procedure_details():  # the one rule every check says
            need = bool(profile.section("pr").get("index_terms"))  # required exactly when the procedure is imported
            said = procedure_label(need)
        if not options and need:  # every QNAM of the dataset is another column's: nothing to choose, say so
            options = [
                Option(
                    f"(no other QNAM in {role.upper()}: each is mapped to another column; add QNAM {qnam} to "
                    f"{role.upper()} in the source)"
                )
            ]
        if not need:
            options.insert(0, Option(LEAVE.format(what="qualifier"), (((section, column), ""),)))
        out.append(
            Choice(
                f"{role.upper()} qualifiers (QNAM)",
                f"sdtm_qnam_{section}_{column}",
                f"[{section}] {column} ({said}): {note}",
                tuple(options),
                None if need else 0,
            )
        )
    return out


def dvt_options(
    section: str,
    ranked: list[tuple[str, str]],
    kinds: dict[str, str],
    reference: str,
    formats: dict[str, list[str]] | None = None,
    labels: dict[str, str] | None = None,
) -> list[Option]:
    """What may give months since the DVT, the same way for every format: each source (a QNAM, a
    REDCap field, an ADSL variable; (name, label), best first) whose values are dates and whose name
    or label speaks of the DVT (dvt_named: DVTDT, "Date of the index DVT") as the DVT's date, first
    (it is named in `dvt_date` and the months key emptied: whole months from it to `reference`), then
    each holding numbers, or nothing yet, as the months; then any other date (a death, last-contact,
    procedure or treatment date: PROCDT, last_contact), last and said to be no DVT date by its name,
    so that a DVT date named otherwise stays reachable without standing beside the DVT's. `kinds`:
    NAME -> "date", "number" or "text"; `formats`: NAME -> the [dates] formats that read its dates,
    where the profile's do not; `labels`: NAME -> a label not shown (a REDCap field's) that may speak
    of the DVT."""
    formats, labels = formats or {}, labels or {}

    def named(q: str, label: str) -> bool:
        return dvt_named(q, f"{label} {labels.get(q.upper(), '')}")

    def as_date(q: str, text: str) -> Option:
        return Option(
            text,
            (
                ((section, "dvt_date"), q),
                ((section, "months_since_dvt"), ""),
                *(((("dates", "formats"), formats[q.upper()]),) if q.upper() in formats else ()),
            ),
        )

    dates = [(q, label) for q, label in ranked if kinds.get(q.upper()) == "date"]
    options = [
        as_date(q, f"{_shown(q, label)}: the DVT's date (whole months to {reference})")
        for q, label in dates
        if named(q, label)
    ]
    options += [
        Option(_shown(q, label), (((section, "months_since_dvt"), q),))
        for q, label in ranked
        if kinds.get(q.upper(), "number") == "number"
    ]
    options += [
        as_date(
            q,
            f"any other date: {_shown(q, label)}, whose name does not speak of the DVT, as the DVT's date "
            f"(whole months to {reference})",
        )
        for q, label in dates
        if not named(q, label)
    ]
    return options


# A name or label that speaks of the DVT (DVTDT, IDVTDT, THROMBDT, VTEDT, "Date of the index DVT", "index event").
DVT_WORDS = r"DVT|THROMB|VTE|CLOT|INDEX[ _]?EVENT"


def dvt_named(name: str, label: str = "") -> bool:
    """The source's name or label speaks of the DVT (not DTHDT, LSTALVDT, PROCDT, TRTSDTM, last_contact)."""
    return bool(re.search(DVT_WORDS, f"{name} {label}", re.I))


DVT_KEYS = ("months_since_dvt", "dvt_date")  # the [fields] keys the REDCap DVT choice stands for
DVT_CHOICE = "redcap_dvt"


def dvt_choices(profile: Profile, found: Survey, rows: list[FieldRow], columns: list[str]) -> list[Choice]:
    """A REDCap export's (or ADSL's: [adsl], whole months to its enrolled_on variable) months since
    the DVT when the profile reads none (its months field is
    missing, or holds dates, and no [fields] dvt_date field holds dates): the export's date fields
    (validated as dates in the data dictionary, or holding only dates) as the DVT's date, then its
    number fields as the months, the look-alikes first (dvt_options, as for an SDTM SUPPDM QNAM).
    `rows`: the assistant's field rows (assistant.field_rows), `columns` the export's fields. It
    stands for the field rows of both keys (DVT_KEYS), which the page then does not offer."""
    if profile.format not in ("redcap", "adam") or "fields.kind" not in found.values:
        return []
    section = "adsl" if profile.format == "adam" else "fields"
    fields = profile.section(section)
    months, dvt = (str(fields.get(k) or "") for k in DVT_KEYS)
    kinds = {f: k for f, k, _ in found.values["fields.kind"]}
    if section == "adsl":  # ADSL's variables only (the kinds are ADSL's)
        columns = [c for c in columns if c.upper() in kinds]
    present = {c.upper() for c in columns}
    if dvt.upper() in present and kinds.get(dvt.upper(), "date") == "date":
        return []  # whole months from the DVT date
    if months.upper() in present and kinds.get(months.upper(), "number") != "date":
        return []  # the months field
    if months.upper() in present:
        note = f"field {months} holds dates, not months"  # the import refuses them (redcap:months_are_dates)
    else:
        note = f"no source has {months}" if months else "the profile names no source column"
    taken = {r.column.lower() for r in rows if r.found and r.key not in DVT_KEYS}
    # The fields the adverse events and visits sections read are theirs too (an event's date is no DVT date).
    taken |= {str(v).lower() for s in ("adverse_events", "visits") for v in profile.section(s).values()}
    # The DVT's date first (a date column is no look-alike of the months), then the months.
    alike = tuple(
        dict.fromkeys(
            (
                *look_alikes("dvt_date", dvt or "dvt_date", columns, taken),
                *look_alikes("months_since_dvt", months or "months_since_dvt", columns, taken),
            )
        )
    )
    ranked = [(c, "") for c in (*alike, *(c for c in columns if c not in alike and c.lower() not in taken))]
    formats = list(profile.section("dates").get("formats", []))
    read_by = {f: [*formats, style] for f, style, _ in found.values.get("fields.date_format", ())}
    reference = str(fields.get("enrolled_on") or "the enrolment date") if section == "adsl" else "the enrolment date"
    labels = {f: text for f, text, _ in found.values.get("fields.label", ())}  # REDCap's field labels
    options = dvt_options(section, ranked, kinds, reference, read_by, labels)
    if not options:
        options = [Option("(no field of the export holds dates or numbers: export the DVT's date, or the months)")]
    return [Choice("Months since the DVT", DVT_CHOICE, f"months_since_dvt (required): {note}", tuple(options))]


LEAVE_MONTHS = "(correct the record in the source: nothing is written)"


def months_date_choices(profile: Profile, issues: Any) -> list[Choice]:
    """A REDCap months field holding a date in a few records among months (redcap:months_are_dates, the
    message naming the record): per record, correct it in the source (nothing written, chosen), or leave it
    missing, [values.months_since_dvt] "<date>" = "", the patient then not imported, with a warning. Reading
    the field as the DVT's date would lose the others' months, so that is not offered (review 10, (a) 10)."""
    if profile.format != "redcap" or issues is None or issues.empty:
        return []
    rows = issues[
        (issues["rule"] == "redcap:months_are_dates") & issues["message"].astype(str).str.startswith("record ")
    ]
    out = []
    for row in rows.itertuples():
        value, record = str(row.value), str(row.record)
        out.append(
            Choice(
                "Months since the DVT",
                f"redcap_months_date_{record}",
                f"record {record}: months_since_dvt holds the date {value}, where the other records hold months",
                (
                    Option(LEAVE_MONTHS),
                    Option(
                        f"leave it missing: the patient is not imported, with a warning ([values.months_since_dvt] "
                        f'"{value}" = "")',
                        ((("values", "months_since_dvt", value), ""),),
                    ),
                ),
                default=0,
            )
        )
    return out


def paramcd_choices(profile: Profile, found: Survey) -> list[Choice]:
    """ADaM: each [paramcd] code of a Villalta item or the ulcer that no ADQS/ADVS record has (and
    each optional one a PARAMCD looks like), with the PARAMCDs found, their PARAM and records, as
    the SDTM choices offer QSTESTCD."""
    if profile.format != "adam":
        return []
    return _test_codes(profile, found, "bds.paramcd", ("paramcd",), "ADQS parameters (PARAMCD)", "PARAMCD")


def _test_codes(
    profile: Profile,
    found: Survey,
    surveyed: str = "qs.test_code",
    path: Path_ = ("qs", "testcd"),
    group: str = "QS test codes",
    what: str = "test",
) -> list[Choice]:
    codes = found.values.get(surveyed, ())
    if not codes:
        return []
    present = {c.upper() for c, _, _ in codes}
    table: Any = profile.sections
    for part in path:
        table = table.get(part, {}) if isinstance(table, dict) else {}
    given = {str(k): str(v) for k, v in table.items()}
    name = "[" + ".".join(path) + "]"
    source = "QS" if path[0] == "qs" else "ADQS"
    used = {v.upper() for v in given.values() if v.upper() in present}
    free = [(c, label) for c, label, _ in codes if c.upper() not in used]
    counts = {c: n for c, _, n in codes}
    needed = (*VILLALTA_ITEMS, "ulcer_present")
    out = []
    for column in (*needed, *(c for c in given if c not in needed)):
        code = given.get(column, "")
        if code.upper() in present or (column not in needed and (not free or not code)):
            continue
        need = column in needed
        ranked = _by_kind(column, needed, _ranked(code or column, _words(column), free))
        if not need and not _hits(_words(column), *ranked[0]):
            continue  # an optional test no code of QS looks like: not in this study
        options = [Option(_shown(c, label, counts[c]), (((*path, column), c),)) for c, label in ranked]
        if not need:
            options.insert(0, Option(f"(keep {code}: the study has no such {what})"))
        out.append(
            Choice(
                group,
                f"{'sdtm_testcd' if path[0] == 'qs' else 'adam_paramcd'}_{column}",
                f"{name} {column} ({'required' if need else 'optional'}): {source} has no {what} {code or '(not set)'}",
                tuple(options),
                None if need else 0,
            )
        )
    return out


def _by_kind(column: str, columns: tuple[str, ...], ranked: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Test codes (code, label) ranked for `column`: for a Villalta item, the code that numbers it
    (item 2 of the scale: VIL02, "Villalta item 2") first; a code whose code or label holds another
    column's word (VILULCER for an item) last."""
    mine = set(_words(column))
    foreign = {w for c in columns if c != column for w in _words(c) if len(w) >= 4 and w not in mine}

    def numbered(code: str, label: str) -> bool:
        if column not in VILLALTA_ITEMS:
            return False
        n = VILLALTA_ITEMS.index(column) + 1
        return bool(re.search(rf"\bitem\s*0*{n}\b", label, re.I) or re.fullmatch(rf"[A-Z]*0*{n}", code, re.I))

    def other(code: str, label: str) -> bool:
        text = f"{code} {label}".lower()
        return any(w in text for w in foreign)

    def ulcer(code: str, label: str) -> bool:  # VILULC, "Venous ulcer present": the ulcer, never an item
        return column in VILLALTA_ITEMS and "ulc" in f"{code} {label}".lower()

    kept = [o for o in ranked if not ulcer(*o)]  # review 17, finding 9: VILULC was offered for v_pruritus
    return sorted(kept, key=lambda o: (not numbered(*o), other(*o)))


NOT_A_VISIT = "not a scheduled visit: its records are not imported"


def _months(profile: Profile) -> list[int]:
    months = profile.section("study").get("visit_months", [])
    return sorted({int(m) for m in months if isinstance(m, int)} | set(MONTHS))


DAYS_PER_MONTH = 365.25 / 12


def visit_choices(profile: Profile, found: Survey) -> list[Choice]:
    """Every visit number of QS, once any of them has no month in the profile or its records' days
    say another month: the month its records' median study day is nearest to first (else the month
    its name says), chosen for the user only when the profile's month agrees with the days (or, with
    no days, with the name)."""
    visits = found.values.get("qs.visitnum", ())
    days = {num: float(d) for num, d, _ in found.values.get("qs.visitday", ())}
    section = profile.section("visits")
    try:
        by_num = {_number(str(k)): int(m) for k, m in section.get("VISITNUM", {}).items() if m != ""}
        by_name = {str(k).upper(): int(m) for k, m in section.get("VISIT", {}).items() if m != ""}
    except (TypeError, ValueError, AttributeError):
        by_num, by_name = {}, {}
    months = _months(profile)
    current = {num: by_num.get(num, by_name.get(label.upper())) for num, label, _ in visits}
    said = {num: _said_month(label) for num, label, _ in visits}
    by_days = {num: _nearest(months, d / DAYS_PER_MONTH) for num, d in days.items()}
    agree = {
        num: month is not None and (by_days[num] == month if num in by_days else said[num] == month)
        for num, month in current.items()
    }
    if all(m is not None and (agree[num] or said[num] == -1) for num, m in current.items()):
        return []
    out = []
    for num, label, n in visits:
        options = [Option(f"month {m}", ((("visits", "VISITNUM", num), m),)) for m in months]
        # "" says it is no scheduled visit (a visit whose name or days say a month is refused otherwise)
        options.append(Option(NOT_A_VISIT, ((("visits", "VISITNUM", num), ""),)))
        month = current[num]
        # A suggestion first, never chosen for the user: an unscheduled visit by its name, else the month
        # its records' days are nearest to, else the month its name says.
        first = NOT_A_VISIT if said[num] == -1 else f"month {by_days.get(num, said[num])}"
        # A screening visit before the reference date is no scheduled one unless the user says so (review 15,
        # finding 5: SCREENING was offered month 0 first; the baseline is flagged by QSBLFL).
        if re.search(r"SCREEN", label, re.I) and days.get(num, -1) < 0:
            first = NOT_A_VISIT
        options.sort(key=lambda o: o.text != first)
        text = f"VISITNUM {_shown(num, label, n)}" + (
            f": month {month} in the profile" if month is not None else ": no month in the profile"
        )
        if num in by_days:
            text += f"; its records' median study day is {days[num]:g} (day 0 = RFSTDTC): month {by_days[num]}"
        out.append(
            Choice(
                "Visits: the month of each VISITNUM",
                f"sdtm_visit_{num}",
                text,
                tuple(options),
                [o.text for o in options].index(f"month {month}") if month in months and agree[num] else None,
            )
        )
    return out


def _nearest(months: list[int], month: float) -> int:
    """The month offered nearest to `month` (the earlier of two as near)."""
    return min(months, key=lambda m: (abs(m - month), m))


def _said_day(label: str) -> int | None:
    """The study day a visit's name says (Day 1, Tag 28, Jour 90, Día 180), None when it says none."""
    hit = re.search(r"\b(DAY|TAG|JOUR|D[IÍ]A)\s*(-?\d+)\b", label.upper())
    return int(hit[2]) if hit else None


def _said_month(label: str) -> int | None:
    """The month a visit's or event's name says: BASELINE/SCREENING 0, MONTH 6 or M6 6, WEEK 26 6;
    -1 for unscheduled (or end of study, adverse events); None when it says none."""
    text = label.upper()
    if re.search(r"UNSCHED|UNPLAN|END OF STUDY|\bEOS\b|WITHDRAW|ADVERSE", text):
        return -1
    if re.search(r"BASE|SCREEN|ENROL|RANDOM|CONSENT|INCLU|DAY 1\b|AUSGANG|BASAL", text):
        return 0
    if hit := re.search(r"\b(MONTH|MONAT|MOIS|MESE|MES|MAAND|MO|M)S?\s*(\d+)", text):
        return int(hit[2])
    if hit := re.search(r"(WEEK|WOCHE|SEMAINE|SEMANA|SETTIMANA|WK)\s*(\d+)", text):
        return round(int(hit[2]) * 12 / 52)
    return None


def _index_term(profile: Profile, found: Survey) -> list[Choice]:
    terms = found.values.get("pr.term", ())
    section = profile.section("pr")
    index = {str(t).upper() for t in section.get("index_terms", [])}
    if not terms:
        return []
    events = {str(k).upper() for k in profile.section("values").get("pr_event", {})}
    counts = {t: n for t, _, n in terms}
    out = pr_events(profile, [t for t, _, _ in terms if t.upper() not in index | events], counts)
    if index & {t.upper() for t, _, _ in terms}:
        return out
    ranked = _ranked("STENT", ("stent", "stenting", "placement"), [(t, "") for t, _, _ in terms])
    return [
        *out,
        Choice(
            "PR: the index procedure",
            "sdtm_pr_index",
            f"[pr] index_terms: no PR record has the index procedure's term ({', '.join(sorted(index)) or 'none'}); "
            "the term of the index stent procedure",
            tuple(Option(_shown(t, "", counts[t]), ((("pr", "index_terms"), [t]),)) for t, _ in ranked),
        ),
    ]


def pr_events(
    profile: Profile,
    terms: list[str],
    counts: dict[str, int],
    group: str = "PR: other procedures",
    prefix: str = "sdtm_pr_event_",
) -> list[Choice]:
    """PR terms neither the index procedure nor mapped by [values.pr_event]: an event type each, or
    not an event (the default: the import counts them as procedures the contract does not hold)."""
    kinds = sdtm.vocabulary("pr_event")
    source = "ADPR" if profile.format == "adam" else "PR"
    return [
        Choice(
            group,
            f"{prefix}{term}",  # keyed by the term: a box never takes another term's choice
            f"{source} term {_shown(term, '', counts[term])}: not in [values.pr_event]",
            (
                Option("not an event (not imported)"),
                *(Option(k, ((("values", "pr_event", term), k),)) for k in kinds),
            ),
            0,
        )
        for term in terms
    ]


PARTIAL = {
    "refuse": "refuse (each record an error)",
    "first": "first day of the month or year",
    "middle": "the 15th of the month, or 1 July",
}


def partial_dates(profile: Profile, rules: list[str]) -> list[Choice]:
    """When a refusal holds partial dates (an SDTM --DTC such as 2021-11): what they become."""
    if profile.format != "sdtm" or not any(r.startswith("sdtm:partial_date") for r in rules):
        return []
    now = str(profile.section("dates").get("partial", "refuse"))
    return [
        Choice(
            "Dates",
            "sdtm_partial_dates",
            f"[dates] partial: the sources hold partial dates (now {now!r}); each imputation is a warning",
            tuple(Option(text, ((("dates", "partial"), key),)) for key, text in PARTIAL.items()),
            list(PARTIAL).index(now) if now in PARTIAL else None,
        )
    ]


def avisit_choices(profile: Profile, found: Survey) -> list[Choice]:
    """ADaM: each AVISIT of ADQS/ADVS that neither [visits] AVISIT nor AVISITN maps (with its AVISITN
    and records): a month (the month its AVISITN says first, else its name's) or not a scheduled
    visit; one whose name says unscheduled, or whose AVISITN is negative (screening), with no month
    for AVISITN, is not a visit until the user says otherwise (as the import does without a choice)."""
    if profile.format != "adam":
        return []
    section = profile.section("visits")
    texts = {str(k).upper() for k in section.get("AVISIT", {})} if isinstance(section.get("AVISIT"), dict) else set()
    numbers = (
        {_number(str(k)) for k in section.get("AVISITN", {})} if isinstance(section.get("AVISITN"), dict) else set()
    )
    months = _months(profile)
    out = []
    for name, avisitn, n in found.values.get("bds.avisit", ()):
        if name.upper() in texts or (avisitn and _number(avisitn) in numbers):
            continue
        number = _number(avisitn) if avisitn else ""
        by_number = int(number) if number.isdigit() and int(number) in months else None
        said = _said_month(name)
        # Unscheduled by its name, or before the study (a negative AVISITN: screening; ABLFL gives the baseline).
        unscheduled = by_number is None and (bool(re.search(r"UNSCHED|UNPLAN", name, re.I)) or number.startswith("-"))
        first = NOT_A_VISIT if unscheduled else f"month {by_number if by_number is not None else said}"
        if not unscheduled and (day := _said_day(name)) is not None:
            # "Day 1" is no month 1, whatever its AVISITN (review 15, finding 5): the month its day is nearest to
            first = NOT_A_VISIT if day < 0 else f"month {_nearest(months, day / DAYS_PER_MONTH)}"
        options = [Option(f"month {m}", ((("visits", "AVISIT", name), m),)) for m in months]
        # "" says it is no scheduled visit: without it a visit flagged for analysis is refused again (review 14, N1)
        options.append(Option(NOT_A_VISIT, ((("visits", "AVISIT", name), ""),)))
        options.sort(key=lambda o: o.text != first)
        out.append(
            Choice(
                "Visits: the month of each AVISIT",
                f"adam_avisit_{name}",
                f"AVISIT {_shown(name, f'AVISITN {avisitn}' if avisitn else '', n)}: not in [visits] AVISIT or AVISITN",
                tuple(options),
                0 if unscheduled else None,
            )
        )
    # Records with AVISITN only (AVISIT blank): by number, the month it says first (chosen when it is a month
    # of the study's), or not a scheduled visit; a negative number (screening) is not a visit until chosen.
    for avisitn, _, n in found.values.get("bds.avisitn", ()):
        number = _number(avisitn)
        if number in numbers:
            continue
        by_number = int(number) if number.isdigit() and int(number) in months else None
        unscheduled = by_number is None and number.startswith("-")
        first = NOT_A_VISIT if by_number is None else f"month {by_number}"
        options = [Option(f"month {m}", ((("visits", "AVISITN", number), m),)) for m in months]
        options.append(Option(NOT_A_VISIT, ((("visits", "AVISITN", number), ""),)))
        options.sort(key=lambda o: o.text != first)
        out.append(
            Choice(
                "Visits: the month of each AVISIT",
                f"adam_avisitn_{number}",
                f"AVISITN {number} (AVISIT blank, {counted(n, 'record')}): not in [visits] AVISITN",
                tuple(options),
                0 if (by_number is not None or unscheduled) else None,
            )
        )
    return out


def date_choices(profile: Profile, issues: Any) -> list[Choice]:
    """Dates the check cannot read (type:<dataset>.<variable>), in every format: the [dates] format
    each message suggests ('e.g. "%d/%m/%Y" for 01/03/2021', read from every date of the file, which
    says whether the day comes first) and each other style of DATE_STYLES, those reading every such
    value first, added to [dates] formats (beside a style the DVT date's choice adds: schedule); and, when
    some are partial ISO dates (2018-05), what [dates] partial makes of them."""
    if issues is None or getattr(issues, "empty", True):
        return []
    wrong = issues[issues["rule"].astype(str).str.startswith("type:") & (issues["severity"] == "error")]
    # (a contract column's own type check says "must be a date (YYYY-MM-DD)": checks.date_formats_named)
    said_date = r" is (?:not a date|a partial date)| must be a date \(YYYY-MM-DD\)"
    wrong = wrong[wrong["message"].astype(str).str.contains(said_date, regex=True)]
    if wrong.empty:
        return []
    partial = wrong["message"].astype(str).str.contains(" is a partial date", regex=False)
    values = sorted({str(v).strip() for v in wrong[~partial]["value"].dropna() if str(v).strip()})
    variables = sorted({str(c) for c in wrong[~partial]["column"].dropna()})
    formats = [str(f) for f in profile.section("dates").get("formats", [])]
    said = [f for m in wrong[~partial]["message"].astype(str) for f in _SUGGESTED.findall(m)]
    tried = [f for f in dict.fromkeys((*said, *DATE_STYLES)) if f not in formats]
    reads = {f: [v for v in values if _reads(f, v)] for f in tried}
    fits = [f for f in tried if reads[f]]
    # Those the messages suggest first, then those reading every value, then the others by how many they read.
    fits.sort(key=lambda f: (f not in said, len(reads[f]) < len(values), -len(reads[f])))
    out = []
    if fits:
        examples = ", ".join(values[:3]) + (", ..." if len(values) > 3 else "")
        out.append(
            Choice(
                "Dates",
                "date_formats",
                f"[dates] formats: {counted(len(values), 'date value')} of {', '.join(variables[:6])}"
                f"{', ...' if len(variables) > 6 else ''} are not ISO 8601 ({examples}); the style they are "
                "written in (the one the messages suggest first)",
                tuple(
                    Option(
                        f"{style} (reads {reads[style][0]}"
                        + ("" if len(reads[style]) == len(values) else f"; {len(reads[style])} of {len(values)}")
                        + ")",
                        ((("dates", "formats"), [*formats, style]),),
                    )
                    for style in fits
                ),
            )
        )
    if partial.any():
        now = str(profile.section("dates").get("partial", "refuse"))
        out.append(
            Choice(
                "Dates",
                "adam_partial_dates" if profile.format == "adam" else "partial_dates",
                f"[dates] partial: the sources hold partial dates (now {now!r}); each imputation is a warning",
                tuple(Option(text, ((("dates", "partial"), key),)) for key, text in PARTIAL.items()),
                list(PARTIAL).index(now) if now in PARTIAL else None,
            )
        )
    return out


# The [dates] format a date message suggests: 'e.g. "%d/%m/%Y" for 01/03/2021 ... "%m/%d/%Y" if the month does'.
_SUGGESTED = re.compile(r'"(%[^"]+)"')


def _reads(style: str, value: str) -> bool:
    try:
        datetime.strptime(value, style)
    except ValueError:
        return False
    return True


NOT_AN_EVENT_VISIT = "not a visit (patient fields on it are still read; its other rows are not imported)"


def event_choices(profile: Profile, found: Survey) -> list[Choice]:
    """Each event of a REDCap export that [events] does not map: its month, or not a visit
    (written as [events] <event> = "", so that the check no longer warns of it)."""
    if profile.format != "redcap":
        return []
    events = {str(k) for k in profile.section("events")}
    months = _months(profile)
    out = []
    for name, _, n in found.values.get("events", ()):
        if name in events:
            continue
        said = _said_month(re.sub(r"_arm_\d+$", "", name).replace("_", " "))  # a suggestion, first
        options = [Option(f"month {m}", ((("events", name), m),)) for m in months]
        options.append(Option(NOT_AN_EVENT_VISIT, ((("events", name), ""),)))
        options.sort(key=lambda o: o.text != (NOT_AN_EVENT_VISIT if said == -1 else f"month {said}"))
        out.append(
            Choice(
                "Events: the month of each REDCap event",
                f"redcap_event_{name}",
                f"event {_shown(name, '', n)}: not in [events]",
                tuple(options),
            )
        )
    return out


def classic_choices(profile: Profile, found: Survey, rules: list[str], columns: list[str]) -> list[Choice]:
    """A classic REDCap project (no events) whose profile does not say where its visits are (the
    check's redcap:classic): the repeating instrument of the visits (each with its records, the
    adverse events' own instrument left out) and the field holding each visit's month (those whose
    name says month or visit first). `columns`: the export's fields."""
    classic = "redcap:classic" in rules
    # (or a longitudinal project whose visits hold Villalta items in a repeating instrument the profile does not
    # read, redcap:instrument_visits: review 12, finding 1)
    if profile.format != "redcap" or not (classic or "redcap:instrument_visits" in rules):
        return []
    group = "Visits of a classic project" if classic else "Visits in a repeating instrument"
    where = (
        "a classic project (no events) has its visits in a repeating instrument"
        if classic
        else "rows of a repeating instrument hold visits the profile does not read"
    )
    visits = profile.section("visits")
    ae = str(profile.section("adverse_events").get("instrument") or "").lower()
    instruments = [(name, n) for name, _, n in found.values.get("instruments", ()) if name.lower() != ae]
    instruments.sort(key=lambda i: (not re.search(r"visit|follow", i[0], re.I), i[0]))
    out = []
    if not visits.get("instrument") or not classic:
        out.append(
            Choice(
                group,
                "redcap_visits_instrument",
                f"[visits] instrument (required): {where}; which one",
                tuple(Option(_shown(name, "", n), ((("visits", "instrument"), name),)) for name, n in instruments)
                or (Option("(the export has no repeating instrument: export the visits' instrument)"),),
            )
        )
    if not visits.get("month") and not visits.get("windows"):
        ranked = [c for c, _ in _ranked("visit_month", ("month", "visit", "mo"), [(c, "") for c in columns])]
        out.append(
            Choice(
                group,
                "redcap_visits_month",
                "[visits] month (required): the field holding each visit's month (or, without one, give "
                "[visits.windows] in a copy of the profile)",
                tuple(Option(c, ((("visits", "month"), c),)) for c in ranked),
            )
        )
    return out


# A REDCap coded field whose codes are not what its column needs, as the importer words it (redcap:codes).
_CODES = re.compile(r"^field '(?P<field>[^']*)' \((?P<column>\w+)\) has choices (?P<shown>.*?) whose codes are not ")
SCORES = ("Absent", "Mild", "Moderate", "Severe")  # a Villalta item's scores 0-3


def code_choices(profile: Profile, issues: Any) -> list[Choice]:
    """Each code of a REDCap coded field the check refuses (redcap:codes): a visit month field's code
    that is no month of the schedule gets a month or "not a scheduled visit" ([values.visit_month]
    "99" = ""); a Villalta item coded otherwise than 0-3 gets its score, one box per code for every
    item coded alike (the eleven radios of one design share their choices), its label shown and the
    score its label names (Absent, Mild, Moderate, Severe) chosen for the user."""
    if profile.format != "redcap" or issues is None or getattr(issues, "empty", True):
        return []
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[str, str]]] = {}
    for message in issues[issues["rule"].astype(str) == "redcap:codes"]["message"].astype(str):
        if (hit := _CODES.match(message)) is None:
            continue
        codes = tuple((c.strip(), lab.strip()) for c, _, lab in (p.partition(", ") for p in hit["shown"].split(" | ")))
        kind = "visit_month" if hit["column"] == "visit_month" else "score"
        groups.setdefault((kind, codes), []).append((hit["field"], hit["column"]))
    months = _months(profile)
    out = []
    order = {c: i for i, c in enumerate(VILLALTA_ITEMS)}
    for (kind, codes), found_fields in groups.items():
        fields = sorted(found_fields, key=lambda f: order.get(f[1], len(order)))  # the items in the contract's order
        names = ", ".join(f for f, _ in fields)
        maps = ", ".join(f"[values.{c}]" for _, c in fields)
        for code, label in codes:
            if kind == "visit_month":
                options = [Option(f"month {m}", ((("values", "visit_month", code), str(m)),)) for m in months]
                options.append(Option(NOT_A_VISIT, ((("values", "visit_month", code), ""),)))
                said = _said_month(label)
                options.sort(key=lambda o: o.text != (NOT_A_VISIT if said == -1 else f"month {said}"))
                out.append(
                    Choice(
                        "Coded fields: the value of each code",
                        f"redcap_code_visit_month_{code}",
                        f"{maps}: code {_shown(code, label)} of field {names} is no month of [study] visit_months",
                        tuple(options),
                    )
                )
                continue
            options = [
                Option(f"{score} ({word})", tuple((("values", column, code), str(score)) for _, column in fields))
                for score, word in enumerate(SCORES)
            ]
            first = label.split()[0].lower() if label.split() else ""
            named = next((i for i, word in enumerate(SCORES) if word.lower() == first), None)
            if named is None and first == "none":
                named = 0
            out.append(
                Choice(
                    "Coded fields: the value of each code",
                    f"redcap_code_{fields[0][1]}_{code}",  # each item is in one group: its first names it
                    f"{maps}: code {_shown(code, label)} of {names} is no Villalta score 0-3; its score",
                    tuple(options),
                    named,
                )
            )
    return out


def schedule(profile: Profile, writes: list[Write]) -> list[Write]:
    """The writes, and [study] visit_months with every month a visit or event is mapped to (a
    REDCap visit month code's too: [values.visit_month]); the [dates] formats several choices add
    (a style for the dates, another for the DVT's date) are all kept, in one list."""
    styles = [f for path, v in writes if path == DATE_FORMATS and isinstance(v, list) for f in v]
    if styles:
        writes = [w for w in writes if w[0] != DATE_FORMATS] + [(DATE_FORMATS, list(dict.fromkeys(styles)))]
    months = profile.section("study").get("visit_months", [])
    chosen = {
        v for path, v in writes if path[0] in ("visits", "events") and isinstance(v, int) and not isinstance(v, bool)
    }
    chosen |= {int(v) for path, v in writes if path[:2] == ("values", "visit_month") and str(v).isdigit()}
    if chosen <= set(months):
        return writes
    return [*writes, (("study", "visit_months"), sorted(set(months) | chosen))]


def adam_dataset_choices(profile: Profile, found: Survey) -> list[Choice]:
    """ADaM: each role of [datasets] whose dataset the sources lack (ADQS split by instrument as
    ADQSVIL and ADQSVCSS): the datasets (files, sheets, transport members) no other role reads,
    several allowed ([datasets] <role> = { names = [...] }), those whose name starts with the role's
    first; an optional role is offered only datasets whose name starts with its own."""
    if profile.format != "adam" or not found.columns:
        return []
    datasets = profile.section("datasets")
    present = {n.lower() for n in found.columns}
    taken = {n for role in datasets for n in role_names(profile, str(role)) if n in present}
    out = []
    for role, spec in datasets.items():
        role = str(role)
        if role_names(profile, role) & present:
            continue
        required = bool(spec.get("required", False)) if isinstance(spec, dict) else bool(spec)
        free = [n for n in found.columns if n.lower() not in taken]
        if not required:
            free = [n for n in free if n.lower().startswith(role)]
        if not free:
            continue
        free.sort(key=lambda n: (not n.lower().startswith(role), n.lower()))
        names = " or ".join(n.upper() for n in sorted(role_names(profile, role)))
        out.append(
            Choice(
                "Datasets",
                f"adam_dataset_{role}",
                f"{role.upper()} ({'required' if required else 'optional'}): no dataset named {names}; the "
                "dataset(s) holding it (several allowed, e.g. an ADQS split by instrument)",
                tuple(
                    Option(
                        f"{n} ({len(found.columns[n])} variables)",
                        ((("datasets", role), {"names": [n], "required": required}),),
                    )
                    for n in free
                ),
                several=True,
            )
        )
    return out


def merged(writes: list[Write]) -> list[Write]:
    """The writes of several options of one choice as one per key path: tables merged, their lists
    joined ({"names": ["ADQSVIL"]} and {"names": ["ADQSVCSS"]} -> {"names": ["ADQSVIL", "ADQSVCSS"]})."""
    out: dict[Path_, Any] = {}
    for path, value in writes:
        have = out.get(path)
        if isinstance(have, dict) and isinstance(value, dict):
            value = {
                **have,
                **{
                    k: [*have[k], *v] if isinstance(have.get(k), list) and isinstance(v, list) else v
                    for k, v in value.items()
                },
            }
        out[path] = value
    return list(out.items())


NOT_A_PTS_EVENT = "not an event the contract holds (not imported)"


def adam_term_choices(profile: Profile, found: Survey) -> list[Choice]:
    """ADaM: each ADAE term [values.event_type] does not map (the term Death is the death event
    without a map) and each ADPR term [values.pr_event] does not map, with its records: an event
    type, or not an event (the default, as the import does; a term naming a death is pre-chosen as
    the death event), as SDTM's AE and PR terms are offered."""
    if profile.format != "adam":
        return []
    kinds = sdtm.vocabulary("event_type")
    mapped = {str(k).upper() for k in profile.section("values").get("event_type", {})} | {"DEATH"}
    out = []
    for term, _, n in found.values.get("adae.term", ()):
        if term.upper() in mapped:
            continue
        options = (Option(NOT_A_PTS_EVENT), *(Option(k, ((("values", "event_type", term), k),)) for k in kinds))
        hint = suggested("event_type", term)
        out.append(
            Choice(
                "ADAE: terms not in [values.event_type]",
                f"adam_ae_term_{term}",  # keyed by the term: a box never takes another term's choice
                f"AE term {_shown(term, '', n)}: not in [values.event_type]",
                options,
                [o.text for o in options].index(hint) if hint in kinds else 0,
            )
        )
    procedures = found.values.get("adpr.term", ())
    known = {str(k).upper() for k in profile.section("values").get("pr_event", {})}
    counts = {t: n for t, _, n in procedures}
    terms = [t for t, _, _ in procedures if t.upper() not in known]
    return out + pr_events(profile, terms, counts, "ADPR: procedures not in [values.pr_event]", "adam_pr_event_")


HEALING_RULE = "events:healing"


def healing_choices(profile: Profile, issues: Any) -> list[Choice]:
    """When the visits show ulcers healing with no ulcer_healed event (the check's warning
    events:healing): derive the events from the visits ([derive] ulcer_healed = true) or not."""
    if profile.format == "contract" or issues is None or getattr(issues, "empty", True):
        return []
    if profile.section("derive").get("ulcer_healed") is True:
        return []
    healed = issues[issues["rule"].astype(str) == HEALING_RULE]
    if healed.empty:
        return []
    return [
        Choice(
            "Ulcer healing",
            "derive_ulcer_healed",
            f"[derive] ulcer_healed: the visits show {counted(len(healed), 'ulcer')} healed with no ulcer_healed "
            "event between the two visits",
            (
                Option(
                    "derive it: an ulcer_healed event at each visit that finds healed an ulcer the visit before had",
                    ((("derive", "ulcer_healed"), True),),
                ),
                Option("leave it: no ulcer_healed event (Durability's healing curve stays empty for them)"),
            ),
        )
    ]


def avalc_choices(profile: Profile, issues: Any) -> list[Choice]:
    """ADaM: records of a numeric parameter whose AVAL is blank while AVALC holds a number (adam:avalc, review
    14, N2): read AVALC as the value ([bds] avalc_as_aval = true, each record a warning) or leave the profile
    as it is (AVAL given in the source). Never chosen for the user."""
    if profile.format != "adam" or issues is None or getattr(issues, "empty", True):
        return []
    if profile.section("bds").get("avalc_as_aval") is True:
        return []
    refused = issues[
        (issues["rule"].astype(str) == "adam:avalc")
        & (issues["severity"] == "error")
        & issues["message"].astype(str).str.contains("avalc_as_aval", regex=False)
    ]
    if refused.empty:
        return []
    shown = ", ".join(f'{r} "{v}"' for r, v in list(zip(refused["record"], refused["value"], strict=True))[:3])
    more = ", ..." if len(refused) > 3 else ""
    return [
        Choice(
            "Values: AVAL blank, AVALC given",
            "adam_avalc_as_aval",
            f"[bds] avalc_as_aval: {counted(len(refused), 'record')} of a numeric parameter with AVAL blank and a "
            f"number in AVALC ({shown}{more})",
            (
                Option(
                    "read AVALC as the value where AVAL is blank (each such record a warning)",
                    ((("bds", "avalc_as_aval"), True),),
                ),
                Option("leave it: give the value in AVAL in the source"),
            ),
        )
    ]


# What a study can be ([study] design), as the pages read it.
DESIGNS = {
    "randomized": "randomized: a trial whose patients were randomized to the arms",
    "observational": "observational: a registry, treatment chosen by clinicians (the pages say arm differences may "
    "reflect confounding)",
}


def design_choice(profile: Profile) -> list[Choice]:
    """What the study is ([study] design): the profile's design was never shown, so a two-arm trial
    exported from REDCap was imported as an observational registry (review 10, finding 8). Offered with
    every refusal, the profile's own design chosen until the user chooses."""
    if profile.format not in ("redcap", "adam", "sdtm"):
        return []
    current = str(profile.section("study").get("design", ""))
    return [
        Choice(
            "The study",
            "study_design",
            f"[study] design: what the study is (the profile says {current or 'nothing'}; every page's claims "
            "about the arms follow it)",
            tuple(Option(text, ((("study", "design"), design),)) for design, text in DESIGNS.items()),
            default=list(DESIGNS).index(current) if current in DESIGNS else None,
        )
    ]


# Choices that fix what a check only warns of: offered after a check that passed, too.
WARNING_CHOICES = ("adam_ae_term_", "adam_pr_event_", "sdtm_pr_event_", "derive_ulcer_healed", "redcap_event_")
WARNING_RULES = frozenset({"adam:ae_term", "adam:pr_term", HEALING_RULE, "redcap:event"})


def for_warnings(choices: list[Choice]) -> list[Choice]:
    """The choices that fix what a check that passed warns of (an unmapped term, an ulcer healing
    with no event, a REDCap event not in [events])."""
    return [c for c in choices if c.key.startswith(WARNING_CHOICES)]


_ARM_EVENT = re.compile(r"_arm_(\d+)$")
FROM_ARMS = "(the REDCap arm of each record's events: choose each arm's treatment below)"


def arm_choices(profile: Profile, found: Survey, rows: list[FieldRow]) -> list[Choice]:
    """A longitudinal REDCap export whose arm field the profile names but the export lacks, and whose
    events belong to two or more REDCap arms (enrolment_arm_1, enrolment_arm_2): each arm's treatment arm,
    written to [arms] (with [fields] arm = "": the arm is then the REDCap arm of the record's events)."""
    if profile.format != "redcap" or profile.section("arms"):
        return []
    if not any(r.key == "arm" and not r.found for r in rows):
        return []
    arms: dict[str, list[tuple[str, int]]] = {}
    for name, _, n in found.values.get("events", ()):
        if hit := _ARM_EVENT.search(name):
            arms.setdefault(hit[1], []).append((name, n))
    if len(arms) < 2:  # every longitudinal project's events end in _arm_1: one REDCap arm says no treatment
        return []
    vocabulary = sdtm.vocabulary("arm")
    out = []
    for number, events in sorted(arms.items(), key=lambda a: int(a[0])):
        rows_n = sum(n for _, n in events)
        names = ", ".join(e for e, _ in events[:4]) + (", ..." if len(events) > 4 else "")
        out.append(
            Choice(
                "Arm: the REDCap arm of the events",
                f"redcap_arm_{number}",
                f"[arms] {number}: REDCap arm {number} ({names}; {counted(rows_n, 'row')}): its treatment arm",
                tuple(Option(arm, ((("arms", number), arm), (("fields", "arm"), ""))) for arm in vocabulary),
            )
        )
    return out
