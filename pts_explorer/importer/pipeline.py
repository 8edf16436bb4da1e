"""One import, start to end: stage every source as text, map it onto the contract, check it all in
one pass, and only when nothing is wrong build a new database file and make it the target
atomically. Staging happens in a scratch database on disk, so a large import needs little memory."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import shutil
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pts_explorer.atomic import keep_previous, sweep_leftovers, work_dir, write_atomically
from pts_explorer.config import SCHEMA_PATH
from pts_explorer.derived import write_derived
from pts_explorer.importer import checks
from pts_explorer.importer.formats import FORMATS, load
from pts_explorer.importer.formats.base import TABLES, DatasetFacts, contract_columns
from pts_explorer.importer.issues import ERROR, Issue, Issues
from pts_explorer.importer.profiles import Profile, ProfileError
from pts_explorer.importer.readers import SUFFIXES, Reader, Staged, expand_zips, staged_name
from pts_explorer.importer.report import ImportReport, counted, funnel_rows, summarise

IMPORTER_VERSION = "1.0.0"
SIDECAR = "dataset.toml"  # optional: names the dataset and its studies, says whether it is synthetic
STAGING_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "threads": "2",
    "memory_limit": "1500MB",
    "preserve_insertion_order": True,
}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    name: str | None = None  # the dataset's name when no dataset_info or sidecar names it
    check_only: bool = False
    keep_previous: bool = False  # keep the replaced file as <name>.previous.duckdb
    synthetic: bool | None = None  # whether the data are synthetic, when no dataset_info or sidecar says


def run_import(
    profile: str | Path, sources: list[Path], out: Path, options: Options = Options(), progress: Progress = print
) -> ImportReport:
    """Import `sources` with `profile` into `out`. The report says what happened; `out` is replaced
    only when the report has no error (and `check_only` is off)."""
    started = time.perf_counter()
    report = ImportReport(profile=str(profile), sources=[p.name for p in sources])
    sweep_leftovers(Path(out).parent)  # what an import killed before this one left behind
    scratch = work_dir("import")
    con = duckdb.connect(str(scratch / "staging.duckdb"), config=STAGING_CONFIG)
    try:
        issues = Issues(con)
        try:
            chosen = load(profile)
        except ProfileError as exc:
            issues.add(Issue.file_level(ERROR, "profile", Path(str(profile)).name, str(exc)))
            return _finish(con, report, {}, started, "rejected: the profile cannot be used")
        report.profile = chosen.label
        files = expand_zips([Path(p) for p in sources], scratch, issues)
        if issues.has_errors():  # an archive refused: nothing of this upload is read
            return _finish(con, report, {}, started, f"rejected: {out.name} was not changed")
        staged, facts = _stage(con, files, chosen, issues, options, progress)
        rows_by_file = {s.file: s.rows for s in staged}
        report.source_columns = {s.file: list(s.columns) for s in staged}
        checks.identifier_columns(con, staged, chosen, issues)
        progress("mapping onto the data contract")
        FORMATS[chosen.format].mapper(con, staged, chosen, issues).map(facts)
        report.study = _study(con, staged, files)
        progress("checking every rule")
        checks.type_tables(con, issues, chosen.csv.decimal_separator, chosen.csv.missing_values)
        checks.synthetic_stated(con, issues)
        checks.unscheduled_visits(con, issues)
        checks.one_death(con, issues)
        checks.ulcer_healing(con, issues, chosen)
        checks.index_procedures(con, issues, chosen)
        checks.contract_rules(con, issues)
        checks.coverage(con, issues, rows_by_file)
        checks.name_the_fix(con, chosen)
        checks.excel_serial_dates(con, chosen)
        checks.date_formats_named(con, chosen)
        report.tables = {t: _count(con, t) for t in TABLES}
        if issues.has_errors():
            return _finish(con, report, rows_by_file, started, f"rejected: {out.name} was not changed")
        if options.check_only:
            return _finish(con, report, rows_by_file, started, "checked: no errors (nothing written)")
        progress(f"writing {out.name}")
        manifest = _manifest(files, staged)
        if options.keep_previous:
            keep_previous(out)
        write_atomically(out, lambda tmp: _build(con, tmp, chosen, manifest))
        report.imported = True
        n = report.tables.get("patients", 0)
        return _finish(con, report, rows_by_file, started, f"imported {counted(n, 'patient')} into {out.name}")
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _study(con: duckdb.DuckDBPyConnection, staged: list[Staged], files: list[Path]) -> str:
    """What the sources call their data, for the name an edited profile is saved as (review 12, finding 7: a
    contract delivery's was named after its first file, events.csv): the dataset name of a dataset_info
    source, else the id of the one study a studies source holds; "" when neither says. Read from the staged
    sources, so a file read with the wrong delimiter (one column "study_id;study_name;...") names it too."""
    for table, column in (("dataset_info", "dataset_name"), ("studies", "study_id")):
        values = next((_values(con, s, column) for s in staged if s.table and s.name.lower() == table), [])
        if not values:  # a text file the reader refused (its delimiter not the profile's): its first lines
            values = next((_text_values(f, column) for f in files if f.stem.lower() == table), [])
        if len(values) == 1:
            return values[0]
    return ""


def _text_values(path: Path, column: str) -> list[str]:
    """Up to two distinct values of `column` in the first lines of a delimited text file, its delimiter the
    one of ; , tab | that splits the header into a column of that name."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return []
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            lines = [line for _, line in zip(range(50), handle, strict=False)]
    except OSError:
        return []
    if not lines:
        return []
    for delimiter in (";", ",", "\t", "|"):
        rows = list(csv.reader(lines, delimiter=delimiter))
        header = [h.strip() for h in rows[0]]
        if column in header:
            index = header.index(column)
            found = list(dict.fromkeys(r[index].strip() for r in rows[1:] if len(r) > index and r[index].strip()))
            return found[:2]
    return []


def _values(con: duckdb.DuckDBPyConnection, source: Staged, column: str) -> list[str]:
    """Up to two distinct non-blank values of `column` in a staged source (split by the delimiter its header
    shows when the source was read as one column)."""
    split, index = None, 0
    if (ref := source.ref(column)) is None:
        if len(source.columns) != 1:
            return []
        header = source.columns[0]
        split = next((d for d in (";", "\t", "|", ",") if column in header.split(d)), None)
        if split is None:
            return []
        index, ref = header.split(split).index(column), f"{source.table}.{staged_name(0)}"
    try:
        rows = con.execute(f"SELECT DISTINCT CAST({ref} AS VARCHAR) FROM {source.table} LIMIT 50").fetchall()
    except duckdb.Error:
        return []
    found: list[str] = []
    for (text,) in rows:
        parts = str(text or "").split(split) if split else [str(text or "")]
        value = parts[index].strip().strip('"') if index < len(parts) else ""
        if value and value not in found:
            found.append(value)
    return found[:2]


def _stage(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    profile: Profile,
    issues: Issues,
    options: Options,
    progress: Progress,
) -> tuple[list[Staged], DatasetFacts]:
    reader = Reader(con, profile.csv, issues, profile.sas_encoding)
    staged: list[Staged] = []
    sidecar: dict[str, Any] = {}
    for path in files:
        if path.name == SIDECAR:
            sidecar = _read_sidecar(path, issues)
            continue
        if path.suffix.lower() not in SUFFIXES:
            issues.add(Issue.file_level("warning", "file:unknown", path.name, "not read: not a data file type"))
            continue
        began = time.perf_counter()
        for table in reader.stage(path):
            staged.append(table)
            progress(f"read {table.file}: {counted(table.rows, 'row')} in {time.perf_counter() - began:.1f} s")
    given = sidecar.get("synthetic")
    if isinstance(given, bool) and options.synthetic is not None and given != options.synthetic:
        issues.add(
            Issue.file_level(
                ERROR,
                "dataset:synthetic",
                SIDECAR,
                f"{SIDECAR} says synthetic = {str(given).lower()}, but the import was told the data are "
                f"{'synthetic' if options.synthetic else 'real'}: correct one of them",
            )
        )
    facts = DatasetFacts(
        name=str(sidecar.get("name") or options.name or f"Imported data ({profile.name} profile)"),
        synthetic=sidecar["synthetic"] if isinstance(sidecar.get("synthetic"), bool) else options.synthetic,
        description=str(sidecar.get("description") or f"Imported with profile {profile.label}."),
        studies=studies if isinstance(studies := sidecar.get("studies"), dict) else {},
    )
    return staged, facts


def _read_sidecar(path: Path, issues: Issues) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        issues.add(Issue.file_level(ERROR, "file:parse", path.name, f"not a readable TOML file: {exc}"))
        return {}
    if "synthetic" in data and not isinstance(data["synthetic"], bool):
        issues.add(Issue.file_level(ERROR, "file:sidecar", path.name, "synthetic must be true or false"))
    return data


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
    return int(n)


def _finish(
    con: duckdb.DuckDBPyConnection, report: ImportReport, rows_by_file: dict[str, int], started: float, outcome: str
) -> ImportReport:
    summarise(con, report, rows_by_file)
    report.funnel = funnel_rows(con, rows_by_file, "kept" if report.imported else "would be kept (nothing imported)")
    report.seconds = time.perf_counter() - started
    report.outcome = (
        f"{outcome} ({counted(report.errors, 'error')}, {counted(report.warnings, 'warning')}, {report.seconds:.1f} s)"
    )
    return report


def _manifest(files: list[Path], staged: list[Staged]) -> list[dict[str, Any]]:
    rows = {s.file.split(" [")[0]: 0 for s in staged}
    for s in staged:
        rows[s.file.split(" [")[0]] += s.rows
    return [
        {"file": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p), "rows": rows.get(p.name, 0)}
        for p in files
        if p.exists()
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build(con: duckdb.DuckDBPyConnection, tmp: Path, profile: Profile, manifest: list[dict[str, Any]]) -> None:
    """The new database: the contract's schema, the typed tables, and what the import knows about
    itself (manifest, profile, warnings), in one explicit transaction (DuckDB 2.0 commits each
    statement of a batch on its own, docs/import.md §2)."""
    con.execute("ATTACH $path AS build", {"path": str(tmp)})
    try:
        con.execute("USE build")
        con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
        con.execute("USE staging")
        con.execute("BEGIN")
        for table in TABLES:
            cols = ", ".join(contract_columns(table))
            con.execute(f"INSERT INTO build.main.{table} ({cols}) SELECT {cols} FROM {table}")
        _import_tables(con, profile, manifest)
        con.execute("USE build")
        write_derived(con)
        con.execute("USE staging")
        con.execute("COMMIT")
        con.execute("CHECKPOINT build")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # nothing to roll back if the failure ended it
            con.execute("ROLLBACK")
        raise
    finally:
        con.execute("USE staging")
        con.execute("DETACH build")


def _import_tables(con: duckdb.DuckDBPyConnection, profile: Profile, manifest: list[dict[str, Any]]) -> None:
    con.execute(
        "CREATE TABLE build.main.import_info AS SELECT $profile AS profile, $version AS profile_version, "
        "$importer AS importer_version, $at AS imported_at, (SELECT count(*) FROM issues WHERE severity = "
        "'warning') AS warnings",
        {
            "profile": profile.name,
            "version": profile.version,
            "importer": IMPORTER_VERSION,
            "at": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        },
    )
    con.execute("CREATE TABLE build.main.import_manifest (file VARCHAR, bytes BIGINT, sha256 VARCHAR, rows BIGINT)")
    for entry in manifest:
        con.execute("INSERT INTO build.main.import_manifest VALUES ($file, $bytes, $sha256, $rows)", entry)
    con.execute(
        "CREATE TABLE build.main.import_issues AS SELECT severity, rule, file, line, record, column_name, value, "
        "message FROM issues WHERE severity = 'warning' ORDER BY file, line"
    )
    extras = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'staging' AND table_name LIKE 'extra_%'"
        ).fetchall()
    ]
    for name in extras:
        con.execute(f"CREATE TABLE build.main.{name.removeprefix('extra_')} AS SELECT * FROM {name}")
