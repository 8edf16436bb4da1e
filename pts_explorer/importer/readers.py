"""Readers: every source file becomes a staging table of text with its file name and line.

- CSV/TSV: DuckDB's reader with the profile's explicit dialect (never the automatic sniffer),
  rejected lines kept with their line numbers; the header is read here, so duplicate or empty
  column names and a wrong delimiter are reported in words.
- Parquet: DuckDB's reader, values turned into text.
- XLSX: openpyxl (no DuckDB extension to download: hospital machines are often offline); each
  sheet is a table.
- SAS transport (.xpt), .sas7bdat, SPSS and Stata files: pyreadstat, streamed in chunks.

`_line` is where a person finds the row: the line of a CSV file and the row of a sheet (the header
is line 1), the record number in Parquet and SAS files. A quoted value that spans lines shifts the
CSV line numbers after it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import math
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer import config
from pts_explorer.config import ArchiveLimits
from pts_explorer.importer.issues import Issue, Issues, counted
from pts_explorer.importer.profiles import CsvDialect

WINDOWS_1252 = ("cp1252", "windows-1252")  # transcoded to UTF-8 before DuckDB reads them (it takes no cp1252)
TRANSCODE_CHUNK = 1 << 20  # bytes read at a time: a file of any size is transcoded in this much memory
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
STAT_SUFFIXES = (".xpt", ".sas7bdat", ".sav", ".dta")
SUFFIXES = (*CSV_SUFFIXES, ".parquet", ".xlsx", *STAT_SUFFIXES)
CHUNK_ROWS = 200_000
HEADER_LIMIT = 1 << 20  # characters of a CSV's first line read at most


HEADER_SEARCH = 20  # a sheet's rows looked at for its header (notes and titles above it)
SUMMARY_ROWS = 5  # a sheet's last rows looked at for totals and notes below the table
# The first cell of a row that sums up or annotates a table, not a record (English, German, French, Spanish).
SUMMARY_WORDS = re.compile(
    r"\s*((sub)?totals?|sum|summe|gesamt|insgesamt|mean|average|median|count|n\s*=|sources?|quelle|notes?|"
    r"footnotes?|suma|fuente|nota)\b|\s*[*†‡]",
    re.IGNORECASE,
)


def _filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def staged_name(position: int) -> str:
    """The staging column of a source's column at `position` (0-based): source names never reach SQL."""
    return f"c{position + 1}"


@dataclass
class Staged:
    """A table read from a source: its staging table and what it holds."""

    name: str  # the table's name in the source: the file stem, or a workbook's sheet
    file: str  # what the report calls it: file name, or "book.xlsx [sheet]"
    table: str  # the staging table: text columns c1, c2, ... in the source's order, plus _file and _line
    columns: list[str] = field(default_factory=list)  # the source's own column names
    rows: int = 0
    aliases: tuple[str, ...] = ()  # other names it answers to: a SAS transport file's member name

    def ref(self, column: str) -> str | None:
        """The staging column holding the source column `column` (matched without case), or None."""
        wanted = column.lower()
        for i, name in enumerate(self.columns):
            if name.lower() == wanted:
                return f"{self.table}.{staged_name(i)}"
        return None

    def has(self, column: str) -> bool:
        return self.ref(column) is not None


COPY_CHUNK = 1 << 20  # bytes read from an archive member at a time: unpacking never holds a file in memory
RATIO_SLACK = 1 << 20  # a member may unpack to this much whatever its ratio (a tiny file compresses well)


class ArchiveRefused(Exception):
    """An archive not unpacked, with the reason and what to change."""


def expand_zips(paths: list[Path], into: Path, issues: Issues, limits: ArchiveLimits | None = None) -> list[Path]:
    """The sources, with every .zip replaced by the files it holds (folders inside flattened),
    each streamed to disk. An archive beyond the limits (config.archive_limits: files, unpacked
    size, growth ratio), or one with two files of one name, is refused as a whole: an error names
    the limit and the setting that raises it, and none of its files is read."""
    limits = limits or config.archive_limits()
    out: list[Path] = []
    unpacked = 0
    for path in paths:
        if path.suffix.lower() != ".zip":
            out.append(path)
            continue
        written: list[Path] = []
        try:
            with zipfile.ZipFile(path) as archive:
                members = [
                    m
                    for m in archive.infolist()
                    if not m.is_dir()
                    and Path(m.filename).name
                    and not Path(m.filename).name.startswith((".", "__MACOSX"))
                ]
                _check_archive(path.name, members, limits, unpacked)
                for member in members:
                    target = into / Path(member.filename).name
                    written.append(target)
                    unpacked += _unpack(archive, member, target, limits, limits.total_bytes - unpacked, path.name)
        except ArchiveRefused as refused:
            for target in written:
                target.unlink(missing_ok=True)
            issues.add(Issue.file_level("error", "file:archive", path.name, str(refused)))
            continue
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
            for target in written:
                target.unlink(missing_ok=True)
            issues.add(Issue.file_level("error", "file:archive", path.name, f"not a readable .zip archive ({exc})"))
            continue
        out += written
    return out


def _check_archive(name: str, members: list[zipfile.ZipInfo], limits: ArchiveLimits, unpacked: int) -> None:
    """What the archive's directory declares, checked before a byte is unpacked."""
    if len(members) > limits.members:
        raise ArchiveRefused(
            f"the archive holds {len(members):,} files, more than the {limits.members:,} an import unpacks: "
            "import fewer files at once, or raise PTS_ZIP_MAX_FILES"
        )
    names = [Path(m.filename).name for m in members]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ArchiveRefused(
            f"the archive holds two or more files named {', '.join(twice)} (in different folders); each would "
            "replace the other: rename them, or import each folder on its own"
        )
    declared = unpacked + sum(m.file_size for m in members)
    if declared > limits.total_bytes:
        raise ArchiveRefused(
            f"the archive unpacks to {_size(declared)}, more than the {_size(limits.total_bytes)} an import unpacks: "
            "upload the files themselves (CSV, Parquet or SAS), or raise PTS_ZIP_MAX_UNPACKED"
        )
    for m in members:
        if m.file_size > RATIO_SLACK and m.file_size > limits.ratio * max(m.compress_size, 1):
            raise ArchiveRefused(_ratio_message(m, m.file_size, limits))


def _unpack(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, limits: ArchiveLimits, room: int, name: str
) -> int:
    """Stream one member to `target`, counting what it really unpacks to (a directory can lie)."""
    done = 0
    with archive.open(member) as source, target.open("wb") as sink:
        while chunk := source.read(COPY_CHUNK):
            done += len(chunk)
            if done > room:
                raise ArchiveRefused(
                    f"the archive unpacks to more than the {_size(limits.total_bytes)} an import unpacks: upload the "
                    "files themselves (CSV, Parquet or SAS), or raise PTS_ZIP_MAX_UNPACKED"
                )
            if done > RATIO_SLACK and done > limits.ratio * max(member.compress_size, 1):
                raise ArchiveRefused(_ratio_message(member, done, limits))
            sink.write(chunk)
    return done


def _ratio_message(member: zipfile.ZipInfo, size: int, limits: ArchiveLimits) -> str:
    return (
        f"{Path(member.filename).name} grows from {_size(member.compress_size)} to {_size(size)} or more as it is "
        f"unpacked, more than {limits.ratio:,} times (an archive built to exhaust the server looks like this): "
        "upload the file itself, or raise PTS_ZIP_MAX_RATIO"
    )


def _size(n: int) -> str:
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"


def _c1_bytes(path: Path | None, limit: int = 3) -> list[tuple[int, int]]:
    """The first distinct bytes 0x80-0x9F of a file (Windows-1252's punctuation: ’ – “ ” €, no Latin-1 text
    character), each with the line it is first on; read TRANSCODE_CHUNK bytes at a time."""
    if path is None or not path.exists():
        return []
    found: dict[int, int] = {}
    lines = 1
    with path.open("rb") as raw:
        while (chunk := raw.read(TRANSCODE_CHUNK)) and len(found) < limit:
            for match in re.finditer(rb"[\x80\x82-\x8c\x8e\x91-\x9c\x9e\x9f]", chunk):  # defined in cp1252
                byte = chunk[match.start()]
                if byte not in found:
                    found[byte] = lines + chunk.count(b"\n", 0, match.start())
                    if len(found) == limit:
                        break
            lines += chunk.count(b"\n")
    return sorted(found.items(), key=lambda b: b[1])


def _c1_named(c1: list[tuple[int, int]]) -> str:
    shown = ", ".join(f"0x{b:02X} ({bytes([b]).decode('cp1252', errors='replace')})" for b, _ in c1)
    return (
        f"its bytes {shown}, first on line {c1[0][1]}, are Windows-1252 characters, as Excel saves text on Western "
        "Windows"
    )


def encoding_example(path: Path | None) -> str:
    """The encoding a file's bytes suggest, as the advice names it: cp1252 where it holds bytes 0x80-0x9F
    (Windows-1252's punctuation), else latin-1 as before."""
    c1 = _c1_bytes(path)
    return f"cp1252: {_c1_named(c1)}" if c1 else "for example latin-1"


def _redcap_label_header(columns: list[str]) -> str:
    """The names that make a header REDCap's labels export ("Record ID", "Complete?", a checkbox's
    "Segments (choice=IVC)"), as the message quotes them; "" for any other header. Both a record id label
    and an instrument's "Complete?" (or a checkbox choice) are needed: one alone is some other table's name."""
    record = [c for c in columns[:1] if c.strip().lower() in ("record id", "record_id label", "study id")]
    complete = [c for c in columns if c.strip().lower() == "complete?"]
    choices = [c for c in columns if re.search(r"\(choice=[^)]*\)\s*$", c)]
    if not record or not (complete or choices):
        return ""
    shown = [*record, *dict.fromkeys(complete), *choices[:1]]
    return ", ".join(repr(c) for c in shown)


class Reader:
    """Stages source files into one DuckDB connection, collecting file-level issues."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, dialect: CsvDialect, issues: Issues, sas_encoding: str | None = None
    ):
        self.con = con
        self.dialect = dialect
        self.sas_encoding = sas_encoding  # [sas] encoding: the text of .xpt and .sas7bdat files
        self.sas_undecoded: list[str] = []  # the SAS files whose text [sas] encoding does not read (the assistant's)
        self.issues = issues
        self._count = 0
        self._path_of: dict[str, Path] = {}  # file name -> its path, for the messages that look at its bytes

    def stage(self, path: Path) -> list[Staged]:
        suffix = path.suffix.lower()
        if path.stat().st_size == 0:
            self.issues.add(Issue.file_level("error", "file:empty", path.name, "the file is empty (0 bytes)"))
            return []
        if suffix in CSV_SUFFIXES:
            self._path_of[path.name] = path
            staged = self._csv(path)
            # A file that could not be read (its error says why) is staged without a table, as the other
            # readers' are: the mappers then never also report it as missing (issue #23 item 2).
            return [staged or Staged(path.stem, path.name, "", [])]
        if suffix == ".parquet":
            return [self._parquet(path)]
        if suffix == ".xlsx":
            return self._xlsx(path)
        if suffix in STAT_SUFFIXES:
            return [self._stat(path)]
        self.issues.add(
            Issue.file_level(
                "warning", "file:unknown", path.name, f"not read: files of type {suffix or '(none)'} are not sources"
            )
        )
        return []

    def _new_table(self) -> str:
        self._count += 1
        return f"src_{self._count}"

    # --- CSV ---------------------------------------------------------------------------------

    def _header(self, path: Path, delimiter: str) -> list[str] | None:
        encoding = "utf-8-sig" if self.dialect.encoding.lower() == "utf-8" else self.dialect.encoding
        try:
            with path.open(encoding=encoding, newline="") as handle:
                first = handle.readline(HEADER_LIMIT)  # a file of one endless line is not read whole
        except UnicodeDecodeError:
            if self.dialect.encoding.lower() in WINDOWS_1252 and self._transcoded(path, check_only=True) is None:
                return None  # a byte Windows-1252 lacks: its error names the byte and line
            self.issues.add(
                Issue.file_level(
                    "error",
                    "file:encoding",
                    path.name,
                    f"the file is not {self.dialect.encoding} text: set [csv] encoding in a copy of the profile "
                    f"({encoding_example(path)}) or save it as UTF-8",
                    line=1,
                )
            )
            return None
        with path.open("rb") as raw:
            bom = raw.read(3) == b"\xef\xbb\xbf"
        if bom:
            self.issues.add(
                Issue.file_level("warning", "file:bom", path.name, "a UTF-8 byte-order mark was removed", line=1)
            )
        if len(first) == HEADER_LIMIT and not first.endswith(("\n", "\r")):
            self.issues.add(
                Issue.file_level(
                    "error",
                    "file:header",
                    path.name,
                    f"the first line is longer than {HEADER_LIMIT:,} characters: not a table with a header row "
                    "(save it as CSV with one header row, or check the file is the one meant)",
                    line=1,
                )
            )
            return None
        row = next(csv.reader([first], delimiter=delimiter, quotechar=self.dialect.quote), [])
        return [c.strip() for c in row]

    def _csv(self, path: Path) -> Staged | None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else self.dialect.delimiter
        columns = self._header(path, delimiter)
        if columns is None:
            return None
        # A header ending with the delimiter (a trailing ";" on every line, as some exports write): an unnamed
        # last column, checked below to be empty in every row (review 12, finding 5)
        trailing = len(columns) > 1 and not columns[-1] and all(columns[:-1])
        if not self._usable_header(path.name, columns[:-1] if trailing else columns, delimiter):
            return None
        source = path
        if self.dialect.encoding.lower() in WINDOWS_1252:
            transcoded = self._transcoded(path)
            if transcoded is None:
                return None
            path = transcoded
        try:
            return self._read_csv(source, path, columns, delimiter, trailing)
        finally:
            if path != source:
                path.unlink(missing_ok=True)

    def _transcoded(self, path: Path, check_only: bool = False) -> Path | None:
        """A Windows-1252 file as a UTF-8 copy beside the staging database (or in the system's temporary
        folder), written TRANSCODE_CHUNK bytes at a time, so a file of any size takes that much memory; None,
        with an error naming the line and byte, when a byte is none of Windows-1252's (0x81, 0x8D, 0x8F, 0x90,
        0x9D); `check_only`: the copy is removed once written (only that error is wanted)."""
        row = self.con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        folder = Path(row[0]).parent if row and row[0] else None
        decoder = codecs.getincrementaldecoder("cp1252")()
        handle, name = tempfile.mkstemp(suffix=".csv", prefix="cp1252_", dir=folder)
        target = Path(name)
        lines = 1
        try:
            with path.open("rb") as raw, open(handle, "w", encoding="utf-8", newline="") as out:
                while chunk := raw.read(TRANSCODE_CHUNK):
                    try:
                        out.write(decoder.decode(chunk))
                    except UnicodeDecodeError as exc:
                        line = lines + chunk.count(b"\n", 0, exc.start)
                        self.issues.add(
                            Issue.file_level(
                                "error",
                                "file:encoding",
                                path.name,
                                f"byte 0x{chunk[exc.start]:02X} is no Windows-1252 character ([csv] encoding = "
                                f'"{self.dialect.encoding}"): the file is in another encoding; save it as UTF-8, or '
                                "set [csv] encoding to the one it is in",
                                line=line,
                            )
                        )
                        target.unlink(missing_ok=True)
                        return None
                    lines += chunk.count(b"\n")
                out.write(decoder.decode(b"", final=True))
            if check_only:
                target.unlink(missing_ok=True)
        except OSError as exc:
            target.unlink(missing_ok=True)
            self.issues.add(Issue.file_level("error", "file:parse", path.name, f"the file could not be read: {exc}"))
            return None
        return target

    def _read_csv(self, source: Path, path: Path, columns: list[str], delimiter: str, trailing: bool) -> Staged | None:
        """`path` (`source`, or its UTF-8 copy) read by DuckDB, the messages naming `source`."""
        table = self._new_table()
        scan, rejects = f"{table}_scan", f"{table}_rejects"
        encoding = "utf-8" if path != source else self.dialect.encoding.lower()
        options = {
            "path": str(path),
            "columns": {staged_name(i): "VARCHAR" for i in range(len(columns))},
            "delim": delimiter,
            "quote": self.dialect.quote,
            "escape": self.dialect.escape,
            "encoding": encoding,
        }
        try:
            self.con.execute(
                f"CREATE TABLE {table} AS SELECT * FROM read_csv($path, header = true, auto_detect = false, "
                f"columns = $columns, delim = $delim, quote = $quote, escape = $escape, encoding = $encoding, "
                f"strict_mode = true, null_padding = false, store_rejects = true, rejects_scan = '{scan}', "
                f"rejects_table = '{rejects}')",
                options,
            )
        except duckdb.Error as exc:
            if encoding == "latin-1" and (c1 := _c1_bytes(path)):
                # DuckDB's latin-1 takes no byte 0x80-0x9F: they are Windows-1252's (review 15, finding 2: its raw
                # "File is not latin-1 encoded" named no line, no byte and no way out)
                self.issues.add(
                    Issue.file_level(
                        "error",
                        "file:encoding",
                        path.name,
                        f'the file is not latin-1 text: {_c1_named(c1)}: set [csv] encoding = "cp1252" in a copy of '
                        "the profile, or save it as UTF-8",
                        line=c1[0][1],
                    )
                )
                return None
            message = f"the file could not be read: {_first(exc)}"
            self.issues.add(Issue.file_level("error", "file:parse", source.name, message))
            return None
        path = source
        self._csv_rejects(path.name, rejects, columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT *, row_number() OVER () AS _rec FROM {table}")
        if trailing and not self._trailing_empty(path.name, table, columns, delimiter):
            return None
        if trailing:
            self.con.execute(f"ALTER TABLE {table} DROP COLUMN {staged_name(len(columns) - 1)}")
            columns = columns[:-1]
        staged = self._finish(table, path.stem, path.name, columns, self._csv_lines(table, rejects))
        return self._skip_empty_rows(staged)

    def _trailing_empty(self, file: str, table: str, columns: list[str], delimiter: str) -> bool:
        """The unnamed last column of a header ending with the delimiter: empty in every row, it is the
        trailing delimiter of each line, not read (a warning); holding values, an error naming it."""
        last = staged_name(len(columns) - 1)
        (filled,) = self.con.execute(
            f"SELECT count(*) FROM {table} WHERE nullif(trim({last}), '') IS NOT NULL"
        ).fetchone() or (0,)
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        if filled:
            self.issues.add(
                Issue.file_level(
                    "error",
                    "file:header",
                    file,
                    f"the header ends with the delimiter {shown} (an unnamed last column) and {counted(filled, 'row')} "
                    "hold a value in it: name the column in the header, or remove the value",
                    1,
                )
            )
            return False
        self.issues.add(
            Issue.file_level(
                "warning",
                "file:trailing_delimiter",
                file,
                f"every line ends with the delimiter {shown} (an unnamed last column, empty in every row): not read",
                1,
            )
        )
        return True

    def _skip_empty_rows(self, staged: Staged) -> Staged:
        """Rows whose every cell is blank (an empty ";;;;" line Excel writes below a table): one warning, not
        read, never one error per required column (review 12, finding 6)."""
        names = [staged_name(i) for i in range(len(staged.columns))]
        if not names:
            return staged
        empty = " AND ".join(f"{n} IS NULL" for n in names)
        sql = f"SELECT _line FROM {staged.table} WHERE {empty} ORDER BY 1"
        lines = [int(r[0]) for r in self.con.execute(sql).fetchall()]
        if not lines:
            return staged
        self.con.execute(f"DELETE FROM {staged.table} WHERE {empty}")
        for line in lines:  # one message per row (the summary lists their lines), never one per column
            self.issues.add(
                Issue.file_level(
                    "warning",
                    "file:empty_row",
                    staged.file,
                    "a row with every cell empty (as a spreadsheet writes below a table): not read",
                    line,
                )
            )
        return replace(staged, rows=staged.rows - len(lines))

    def _summary_rows(self, staged: Staged) -> Staged:
        """Rows at the end of a sheet that are no records: a total ("Total | 10 patients | =AVERAGE(...)") or a
        footnote ("Source: ..."), below the table (review 14, N4: one error per required column, and "Total" taken
        for a patient). A last row whose first cell says so (Total, Sum, Mean, Source, Note...), and each of the
        last rows below a blank row that fills fewer than half the columns or leaves the first empty, is one
        error naming its row and the way out (delete it); it is never read, and a formula without a computed value
        in it is not reported again."""
        width = len(staged.columns)
        if not width or not staged.rows:
            return staged
        filled = " + ".join(f"({staged_name(i)} IS NOT NULL)::INT" for i in range(width))
        rows = self.con.execute(
            f"SELECT _line, {staged_name(0)}, {filled} FROM {staged.table} ORDER BY _line DESC LIMIT $n",
            {"n": SUMMARY_ROWS + 1},
        ).fetchall()

        def summing(row: tuple) -> bool:
            return bool(SUMMARY_WORDS.match(str(row[1] or "")))

        said = list(itertools.takewhile(summing, rows[:SUMMARY_ROWS]))
        below: list[tuple] = []
        for k in range(1, min(SUMMARY_ROWS, len(rows) - 1) + 1):  # the last k rows, below a blank row
            if rows[k - 1][0] - rows[k][0] > 1:
                if all(summing(r) or r[1] is None or 2 * r[2] < width for r in rows[:k]):
                    below = rows[:k]
                break
        summary = {int(r[0]): r[1] for r in (*said, *below)}
        if not summary or len(summary) >= staged.rows:
            return staged
        lines = sorted(summary)
        self.con.execute(f"DELETE FROM {staged.table} WHERE list_contains($lines, _line)", {"lines": lines})
        self.con.execute(
            "DELETE FROM issues WHERE rule = 'file:formula' AND file = $file AND list_contains($lines, line)",
            {"file": staged.file, "lines": lines},
        )
        for line in lines:
            self.issues.add(
                Issue(
                    "error",
                    "file:summary_row",
                    staged.file,
                    line,
                    "",
                    staged.columns[0],
                    "" if summary[line] is None else str(summary[line]),
                    "a row below the table that is no record (a total, a count or a note): it is not imported; "
                    "delete the summary row below the table in the sheet, and import again",
                )
            )
        return replace(staged, rows=staged.rows - len(lines))

    def _usable_header(self, file: str, columns: list[str], delimiter: str | None, line: int = 1) -> bool:
        """A header to read by: some names, none repeated; a CSV header of one column holding another
        delimiter is one error naming [csv] delimiter (a sheet, `delimiter` None, has no delimiter). `line`: the
        header's row (a sheet's may be below a title)."""
        if not any(columns):
            self.issues.add(Issue.file_level("error", "file:header", file, "the first line holds no column names", 1))
            return False
        if len(columns) == 1 and delimiter is not None:
            for other in (";", "\t", "|", ","):
                if other != delimiter and other in columns[0]:
                    shown = "tab" if other == "\t" else repr(other)
                    self.issues.add(
                        Issue.file_level(
                            "error",
                            "file:delimiter",
                            file,
                            f"the header is one column {columns[0][:60]!r}: the file seems separated by {shown}, "
                            f"not {delimiter!r}; set [csv] delimiter (and decimal_separator) in a copy of the profile",
                            1,
                        )
                    )
                    return False
        if labels := _redcap_label_header(columns):
            # REDCap's "CSV (labels)" export: label headers (its "Complete?" repeated per instrument) were refused
            # for a repeated name, and the assistant showed a box per field with nothing to offer (review 15,
            # finding 4). One error saying which export to take instead (assistant.UNFIXABLE: no choices).
            # Said of the header only (review 18, F9: raw codes under a labels header were called a labels export).
            self.issues.add(
                Issue.file_level(
                    "error",
                    "redcap:label_header",
                    file,
                    f"the header holds REDCap's field labels ({labels}), not its variable names: export the records "
                    "again with the variable names as the header (REDCap's Data Exports: \"CSV / Microsoft Excel (raw "
                    'data)"), with the same fields; the records are read once the header holds the variable names',
                    line,
                )
            )
            return False
        seen: set[str] = set()
        for name in columns:
            key = name.lower()
            if not name or key in seen:
                self.issues.add(
                    Issue.file_level(
                        "error", "file:header", file, f"the header has an empty or repeated column name {name!r}", line
                    )
                )
                return False
            seen.add(key)
        return True

    def _csv_rejects(self, file: str, rejects: str, columns: list[str]) -> None:
        rows = self.con.execute(
            f"SELECT line, any_value(column_name ORDER BY column_idx), any_value(error_type ORDER BY column_idx), "
            f"any_value(csv_line), string_agg(DISTINCT error_message, '; ') FROM {rejects} GROUP BY line ORDER BY line"
        ).fetchall()
        names = {staged_name(i): name for i, name in enumerate(columns)}
        for line, column, kind, text, message in rows:
            rule = "file:encoding" if kind == "INVALID ENCODING" else "file:parse"
            hint = (
                f"; set [csv] encoding in a copy of the profile ({encoding_example(self._path_of.get(file))})"
                if rule == "file:encoding"
                else ""
            )
            self.issues.add(
                Issue(
                    "error",
                    rule,
                    file,
                    int(line),
                    "",
                    names.get(column or "", ""),
                    (text or "")[:80].strip(),
                    f"{kind.lower()}: {message}{hint}",
                )
            )

    def _csv_lines(self, table: str, rejects: str) -> str:
        """The line of each accepted record (numbered `_rec`): shifted past the rejected lines before it."""
        (rejected,) = self.con.execute(f"SELECT count(DISTINCT line) FROM {rejects}").fetchone() or (0,)
        if not rejected:
            return "_rec + 1"
        (accepted,) = self.con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
        self.con.execute(
            f"CREATE TABLE {table}_lines AS SELECT row_number() OVER (ORDER BY l) AS rec, l FROM range(2, "
            f"{int(accepted) + int(rejected) + 2}) AS r(l) WHERE l NOT IN (SELECT line FROM {rejects})"
        )
        return f"(SELECT x.l FROM {table}_lines AS x WHERE x.rec = _rec)"

    # --- Parquet, XLSX, SAS ---------------------------------------------------------------------

    def _parquet(self, path: Path) -> Staged:
        table = self._new_table()
        try:
            self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet($path)", {"path": str(path)})
        except duckdb.Error as exc:
            self.issues.add(
                Issue.file_level("error", "file:parse", path.name, f"not a readable Parquet file: {_first(exc)}")
            )
            return Staged(path.stem, path.name, "", [])
        columns = [d[0] for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
        text = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS {staged_name(i)}" for i in range(len(columns)))
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {text} FROM {table}")
        return self._finish(table, path.stem, path.name, columns, "row_number() OVER ()")

    def _xlsx(self, path: Path) -> list[Staged]:
        import openpyxl  # imported here: only workbooks need it

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            # The same cells as written: a formula's text, to tell a formula the workbook holds no
            # computed value for (saved by a program that does not calculate) from an empty cell.
            written = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
            self.issues.add(
                Issue.file_level("error", "file:parse", path.name, f"not a readable .xlsx workbook: {_first(exc)}")
            )
            return []
        staged = []
        try:
            for sheet, as_written in zip(book.worksheets, written.worksheets, strict=True):
                rows = sheet.iter_rows(values_only=True)
                file = f"{path.name} [{sheet.title}]"
                head = list(itertools.islice(rows, HEADER_SEARCH))
                if not head:
                    continue
                # The header: the first row with two names or more. Rows above it (a note, a merged title) are
                # not data, said so (review 11, N5: a note holding ";" was blamed on the CSV delimiter, and the
                # sheet then reported missing).
                at = next((i for i, row in enumerate(head) if sum(_filled(c) for c in row) >= 2), 0)
                groups = _group_headings(head, at)
                at += bool(groups)
                if at:
                    above = next((str(c).strip() for row in head[:at] for c in row if _filled(c)), "")
                    # Group headings merged over the columns (review 14, N3: "Identification", "Demographics" over
                    # patient_id...) are named as such: the header is the row below them.
                    grouped = (
                        f"; row {at} holds group headings over the columns ({', '.join(repr(g) for g in groups[:4])}"
                        f"{', ...' if len(groups) > 4 else ''})"
                        if groups
                        else ""
                    )
                    self.issues.add(
                        Issue.file_level(
                            "warning",
                            "file:header_row",
                            file,
                            f"the header is on row {at + 1}, the first with column names: the "
                            f"{'row' if at == 1 else f'{at} rows'} above it ({above[:60]!r}{grouped}) "
                            f"{'is' if at == 1 else 'are'} not read",
                            at + 1,
                        )
                    )
                columns = ["" if c is None else str(c).strip() for c in head[at]]
                while columns and not columns[-1]:
                    columns.pop()
                if not self._usable_header(file, columns, None, at + 1):
                    staged.append(Staged(sheet.title, file, "", []))  # unreadable: never also reported missing
                    continue
                formulas = as_written.iter_rows(min_row=at + 2, values_only=True)
                data = itertools.chain(head[at + 1 :], rows)
                cells = self._computed(zip(data, formulas, strict=True), columns, file, start=at + 2)
                frames = _chunks(cells, columns)
                read = self._from_frames(frames, sheet.title, file, columns, f"row_number() OVER () + {at + 1}")
                staged.append(self._summary_rows(self._skip_empty_rows(read)))
        finally:
            book.close()
            written.close()
        return staged

    def _computed(
        self, rows: Iterator[tuple[tuple, tuple]], columns: list[str], file: str, start: int = 2
    ) -> Iterator[tuple]:
        """Each row's values; a formula cell with no stored value is an error at its line and column
        (it would otherwise read as empty: a required column "empty", an optional one lost)."""
        width = len(columns)
        for line, (values, formulas) in enumerate(rows, start=start):
            values = values[:width]
            for column, value, formula in zip(columns, values, formulas[:width], strict=False):
                text = getattr(formula, "text", formula)  # an array formula keeps its text in .text
                if value is None and isinstance(text, str) and text.startswith("="):
                    self.issues.add(
                        Issue(
                            "error",
                            "file:formula",
                            file,
                            line,
                            "",
                            column,
                            text,
                            "the cell holds a formula with no computed value (the workbook was saved by a program "
                            "that does not calculate): open and save it in Excel or LibreOffice, or export the "
                            "sheet as CSV",
                        )
                    )
            yield values

    def _stat(self, path: Path) -> Staged:
        import pyreadstat  # imported here: only SAS, SPSS and Stata files need it

        readers: dict[str, Any] = {
            ".xpt": pyreadstat.read_xport,
            ".sas7bdat": pyreadstat.read_sas7bdat,
            ".sav": pyreadstat.read_sav,
            ".dta": pyreadstat.read_dta,
        }
        reader = readers[path.suffix.lower()]
        if path.suffix.lower() == ".xpt" and path.stat().st_size % 80:
            # A transport file is 80-byte records; pyreadstat reads a cut one without a word.
            self.issues.add(
                Issue.file_level(
                    "error",
                    "file:truncated",
                    path.name,
                    f"the file is cut short ({path.stat().st_size:,} bytes, not whole 80-byte transport records): "
                    "copy or export it again",
                )
            )
            return Staged(path.stem, path.name, "", [])
        sas = path.suffix.lower() in SAS_SUFFIXES
        encoding = ICONV_NAMES[self.sas_encoding.lower()] if sas and self.sas_encoding else None
        try:
            _, meta = reader(str(path), metadataonly=True, encoding=encoding)
            chunks = pyreadstat.read_file_in_chunks(reader, str(path), chunksize=CHUNK_ROWS, encoding=encoding)
            frames = (_as_text(frame) for frame, _ in chunks)
            staged = self._from_frames(frames, path.stem, path.name, list(meta.column_names), "row_number() OVER ()")
            member = str(getattr(meta, "table_name", "") or "")
            return replace(staged, aliases=(member,)) if member and member.lower() != path.stem.lower() else staged
        except UnicodeDecodeError as exc:
            if not sas:
                self.issues.add(
                    Issue.file_level("error", "file:parse", path.name, f"not a readable file: {_first(exc)}")
                )
            else:  # review 16, finding 1: a valid transport file in Windows-1252 was called "not a readable file"
                self.sas_undecoded.append(path.name)
                self.issues.add(
                    Issue.file_level(
                        "error", "file:encoding", path.name, sas_encoding_message(path, exc, encoding or "UTF-8")
                    )
                )
            return Staged(path.stem, path.name, "", [])
        except Exception as exc:  # pyreadstat raises its own ReadstatError and others for a broken file
            self.issues.add(Issue.file_level("error", "file:parse", path.name, f"not a readable file: {_first(exc)}"))
            return Staged(path.stem, path.name, "", [])

    def _from_frames(
        self, frames: Iterator[pd.DataFrame], name: str, file: str, columns: list[str], line: str
    ) -> Staged:
        table = self._new_table()
        names = [staged_name(i) for i in range(len(columns))]
        self.con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} VARCHAR' for n in names)})")
        for frame in frames:
            frame.columns = names
            self.con.register("incoming_chunk", frame)
            self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming_chunk")
            self.con.unregister("incoming_chunk")
        return self._finish(table, name, file, columns, line)

    def _finish(self, table: str, name: str, file: str, columns: list[str], line: str) -> Staged:
        """Blank values become NULL; each row gets its file and line."""
        names = (staged_name(i) for i in range(len(columns)))
        cleaned = ", ".join(f"nullif(trim({n}), '') AS {n}" for n in names)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT {cleaned}, $file AS _file, "
            f"CAST({line} AS BIGINT) AS _line FROM {table}",
            {"file": file},
        )
        (rows,) = self.con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
        return Staged(name, file, table, columns, int(rows))


def _group_headings(head: list[tuple], at: int) -> list[str]:
    """The names of row `at` when it holds group headings over the columns rather than the header (review 14,
    N3: "Identification", "Demographics" merged above patient_id...): the row below it names every column up
    to its last (no gap) in text, while row `at` leaves gaps and names at most half as many. Else none."""
    if at + 1 >= len(head):
        return []
    row, below = head[at], head[at + 1]
    named = [c for c in below if _filled(c)]
    last = max((i for i, c in enumerate(below) if _filled(c)), default=-1)
    gapless = len(named) == last + 1 and all(isinstance(c, str) for c in named)
    groups = [str(c).strip() for c in row if _filled(c)]
    gaps = any(not _filled(c) for c in row[: max(i for i, c in enumerate(row) if _filled(c)) + 1])
    return groups if gapless and gaps and 2 * len(groups) <= len(named) else []


def _chunks(rows: Iterator[tuple], columns: list[str]) -> Iterator[pd.DataFrame]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(tuple(_cell(v) for v in row) + (None,) * (len(columns) - len(row)))
        if len(batch) >= CHUNK_ROWS:
            yield pd.DataFrame(batch, columns=columns, dtype="object")
            batch = []
    yield pd.DataFrame(batch, columns=columns, dtype="object")


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.map(_cell)).astype("object")


def _cell(value: object) -> str | None:
    """A cell as text the contract's types read back exactly: ISO dates, integral numbers without '.0'."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None  # NaT (a missing SAS DATETIME, DATE or TIME) is a datetime instance: test it first
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if pd.isna(value) if not isinstance(value, str | int | float) else False:
        return None
    return str(value)


SAS_SUFFIXES = (".xpt", ".sas7bdat")
# [sas] encoding as pyreadstat (iconv) names it
ICONV_NAMES = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1", "cp1252": "CP1252", "windows-1252": "CP1252"}


def sas_text_columns(path: Path, encoding: str = "CP1252") -> list[str]:
    """The text columns of a SAS file that hold a character beyond ASCII once read in `encoding` (the columns
    a UTF-8 reading fails on), in the file's order; [] where even that reading fails."""
    import pyreadstat

    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    try:
        frame, _ = reader(str(path), encoding=encoding)
    except Exception:  # noqa: BLE001 - the message then names no column
        return []
    return [
        str(c)
        for c in frame.columns
        if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, str) and not v.isascii()).any()
    ]


def sas_encoding_message(path: Path, exc: UnicodeDecodeError, tried: str) -> str:
    """Why a SAS file's text does not read, and the [sas] encoding key that reads it: the byte, as the
    Windows-1252 character it is, and the columns that hold such characters (review 16, finding 1)."""
    data = exc.object if isinstance(exc.object, bytes | bytearray) else b""
    byte = data[exc.start] if exc.start < len(data) else None
    if byte is None:
        shown = "a byte"
    elif byte >= 0x80:
        shown = f'byte 0x{byte:02X} is "{bytes([byte]).decode("cp1252", errors="replace")}" in Windows-1252'
    else:
        shown = f"byte 0x{byte:02X}"
    columns = sas_text_columns(path)
    where = f"the text of column{'s' if len(columns) > 1 else ''} {', '.join(columns)}" if columns else "its text"
    return (
        f"{where} is not {tried} text ({shown}, as SAS on Windows (wlatin1) writes it): "
        'set [sas] encoding = "cp1252" in a copy of the profile'
    )


def _first(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
