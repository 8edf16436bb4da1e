"""The workspace: saved cohorts, in a small SQLite database of their own beside the outcomes file
(which stays read-only). SQLite serialises writers with a lock and a busy timeout, so several
sessions (threads, or several server processes) can save at the same moment.

A saved cohort is a name, an optional note, the cohort filter as URL parameters, and the dataset it
was made on (name, fingerprint and patients per arm then), under a short stable slug: a link
`?cohort=<slug>` opens it on any page, also after a restart.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pts_explorer.settings import COHORT_KEYS, SETTINGS, SLUG

MAX_NAME = 120
MAX_NOTE = 2000
MAX_IMPORT_BYTES = 1_000_000
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0)
SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_cohorts (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    note TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL,
    dataset_name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    counts TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


BUSY_SECONDS = 30  # how long a writer waits for another session's or process's write to finish


def _prepare(con: sqlite3.Connection) -> None:
    """WAL mode and the schema, on a new file too. SQLite answers "database is locked" at once,
    without waiting its busy timeout, when two connections set up the same new file at the same
    moment (each holds a read lock the other's change waits for): the loser tries again."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class WorkspaceError(ValueError):
    """A request the workspace refuses, with what to do in words; nothing was changed."""


@dataclass(frozen=True)
class SavedCohort:
    slug: str
    name: str
    note: str
    query: dict[str, list[str]]  # the cohort filter as URL parameters (cohort keys only)
    dataset_name: str
    fingerprint: str
    counts: dict[str, int]  # patients per arm when it was saved
    created_at: str
    updated_at: str


def clean_query(query: dict[str, Any]) -> dict[str, list[str]]:
    """The cohort keys of a query, parsed and written back canonically (unknown values dropped)."""
    parsed = {key: SETTINGS[key].parse([str(v) for v in _as_list(query[key])]) for key in COHORT_KEYS if key in query}
    return SETTINGS.encode_all(parsed)


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise WorkspaceError("A saved cohort needs a name.")
    text = " ".join(name.split())
    if len(text) > MAX_NAME:
        raise WorkspaceError(f"The name is {len(text):,} characters long; a name has at most {MAX_NAME}.")
    return text


def _note(note: object) -> str:
    text = str(note or "").strip()
    if len(text) > MAX_NOTE:
        raise WorkspaceError(f"The note is {len(text):,} characters long; a note has at most {MAX_NOTE:,}.")
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reason(exc: BaseException) -> str:
    """Why the workspace failed, without the file's path (an OSError's text names it)."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class Workspace:
    """Saved cohorts in `path` (created on first use)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            with self._opened(write) as con:
                yield con
        except (sqlite3.Error, OSError) as exc:
            raise WorkspaceError(
                f"The saved cohorts' workspace ({self.path.name}) cannot be used: {_reason(exc)}. Nothing was "
                "changed; ask the operator to check the file or set PTS_WORKSPACE to a writable place."
            ) from exc

    @contextmanager
    def _opened(self, write: bool) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            _prepare(con)
            if write:
                con.execute("BEGIN IMMEDIATE")  # one writer at a time; the others wait their turn
            yield con
            if write:
                con.execute("COMMIT")
        except BaseException:
            if write and con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def cohorts(self) -> list[SavedCohort]:
        if not self.path.exists():  # reading never creates the file
            return []
        with self._connect() as con:
            rows = con.execute("SELECT * FROM saved_cohorts ORDER BY name COLLATE NOCASE").fetchall()
        return [self._row(r) for r in rows]

    def get(self, slug: str) -> SavedCohort | None:
        if not isinstance(slug, str) or not SLUG.fullmatch(slug) or not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute("SELECT * FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone()
        return self._row(row) if row else None

    def save(
        self,
        name: str,
        query: dict[str, Any],
        dataset_name: str,
        fingerprint: str,
        counts: dict[str, int],
        note: str = "",
    ) -> SavedCohort:
        """Save a cohort under a new name; a name already used is refused."""
        clean_name, clean_note, now = _name(name), _note(note), _now()
        with self._connect(write=True) as con:
            if con.execute("SELECT 1 FROM saved_cohorts WHERE name = ? COLLATE NOCASE", (clean_name,)).fetchone():
                raise WorkspaceError(f"A saved cohort is already called {clean_name!r}: choose another name.")
            slug = self._new_slug(con)
            con.execute(
                "INSERT INTO saved_cohorts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    slug,
                    clean_name,
                    clean_note,
                    json.dumps(clean_query(query), sort_keys=True),
                    str(dataset_name),
                    str(fingerprint),
                    json.dumps({k: int(v) for k, v in counts.items()}, sort_keys=True),
                    now,
                    now,
                ),
            )
        saved = self.get(slug)
        assert saved is not None
        return saved

    def rename(self, slug: str, name: str) -> SavedCohort:
        return self.update(slug, name, self._got(slug).note)

    def set_note(self, slug: str, note: str) -> SavedCohort:
        return self.update(slug, self._got(slug).name, note)

    def update(self, slug: str, name: str, note: str) -> SavedCohort:
        """A new name and note together: both are checked before either is written."""
        clean_name, clean_note = _name(name), _note(note)
        with self._connect(write=True) as con:
            self._require(con, slug)
            clash = con.execute(
                "SELECT 1 FROM saved_cohorts WHERE name = ? COLLATE NOCASE AND slug <> ?", (clean_name, slug)
            ).fetchone()
            if clash:
                raise WorkspaceError(f"A saved cohort is already called {clean_name!r}: choose another name.")
            con.execute(
                "UPDATE saved_cohorts SET name = ?, note = ?, updated_at = ? WHERE slug = ?",
                (clean_name, clean_note, _now(), slug),
            )
        return self._got(slug)

    def duplicate(self, slug: str) -> SavedCohort:
        original = self._got(slug)
        names = {c.name.lower() for c in self.cohorts()}
        copy_name = next(
            candidate
            for i in range(1, 1000)
            if (candidate := f"{original.name[: MAX_NAME - 12]} (copy{'' if i == 1 else f' {i}'})").lower() not in names
        )
        return self.save(
            copy_name, original.query, original.dataset_name, original.fingerprint, original.counts, original.note
        )

    def delete(self, slug: str) -> None:
        with self._connect(write=True) as con:
            self._require(con, slug)
            con.execute("DELETE FROM saved_cohorts WHERE slug = ?", (slug,))

    def export_json(self) -> str:
        return json.dumps({"pts_saved_cohorts": 1, "cohorts": [asdict(c) for c in self.cohorts()]}, indent=2)

    def import_json(self, text: str | bytes) -> tuple[int, list[str]]:
        """Add the cohorts of an export (a name already used gets ' (imported)'); all or nothing.
        Returns how many were added and what was skipped or renamed, in words."""
        entries = self._parse_import(text)
        notes, added = [], 0
        with self._connect(write=True) as con:
            taken = {r[0].lower() for r in con.execute("SELECT name FROM saved_cohorts").fetchall()}
            for entry in entries:
                name = _name(entry.get("name"))
                if name.lower() in taken:
                    renamed = _name(f"{name[: MAX_NAME - 12]} (imported)")
                    if renamed.lower() in taken:
                        notes.append(f"{name!r} skipped: the name is taken")
                        continue
                    notes.append(f"{name!r} imported as {renamed!r}")
                    name = renamed
                taken.add(name.lower())
                now = _now()
                con.execute(
                    "INSERT INTO saved_cohorts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self._new_slug(con),
                        name,
                        _note(entry.get("note", "")),
                        json.dumps(clean_query(entry.get("query") or {}), sort_keys=True),
                        str(entry.get("dataset_name", "")),
                        str(entry.get("fingerprint", "")),
                        json.dumps({str(k): int(v) for k, v in (entry.get("counts") or {}).items()}, sort_keys=True),
                        str(entry.get("created_at") or now),
                        now,
                    ),
                )
                added += 1
        return added, notes

    @staticmethod
    def _parse_import(text: str | bytes) -> list[dict]:
        if len(text) > MAX_IMPORT_BYTES:
            raise WorkspaceError("The file is larger than a set of saved cohorts can be (1 MB).")
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"The file is not JSON ({exc}); export saved cohorts to get the right form.") from exc
        shaped = isinstance(data, dict) and data.get("pts_saved_cohorts") == 1 and isinstance(data.get("cohorts"), list)
        if not shaped:
            raise WorkspaceError("The file is JSON but not an export of saved cohorts (no 'pts_saved_cohorts': 1).")
        entries = data["cohorts"]
        if not all(isinstance(e, dict) for e in entries):
            raise WorkspaceError("Every cohort of the file must be an object with a name and a query.")
        for entry in entries:  # every entry checked before anything is written
            _name(entry.get("name"))
            _note(entry.get("note", ""))
            if not isinstance(entry.get("query", {}), dict):
                raise WorkspaceError(f"The cohort {entry.get('name')!r} has no query object.")
            counts = entry.get("counts") or {}
            if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
                raise WorkspaceError(f"The cohort {entry.get('name')!r} has counts that are not whole numbers.")
        return entries

    @staticmethod
    def _new_slug(con: sqlite3.Connection) -> str:
        while True:
            slug = "".join(secrets.choice(_ALPHABET) for _ in range(8))
            if not con.execute("SELECT 1 FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone():
                return slug

    @staticmethod
    def _require(con: sqlite3.Connection, slug: str) -> None:
        if not con.execute("SELECT 1 FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone():
            raise WorkspaceError("That saved cohort no longer exists (deleted in another session?).")

    def _got(self, slug: str) -> SavedCohort:
        saved = self.get(slug)
        if saved is None:
            raise WorkspaceError("That saved cohort no longer exists (deleted in another session?).")
        return saved

    @staticmethod
    def _row(row: tuple) -> SavedCohort:
        slug, name, note, query, dataset_name, fingerprint, counts, created, updated = row
        return SavedCohort(
            slug, name, note, json.loads(query), dataset_name, fingerprint, json.loads(counts), created, updated
        )
