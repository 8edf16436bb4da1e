"""The workspace: saved cohorts, in a small SQLite database of their own beside the outcomes file
(which stays read-only). SQLite serialises writers with a lock and a busy timeout, so several
sessions (threads, or several server processes) can save at the same moment.

A saved cohort is a name, an optional note, the cohort filter as URL parameters, and the dataset it
was made on (name, fingerprint and patients per arm then), under a short stable slug: a link
`?cohort=<slug>` opens it on any page, also after a restart. Each has a version, raised by every
change of its name or note: a change carries the version it started from and is refused
(`CohortConflict`, with the stored text) when someone else saved in between, so no edit is lost.

An imported set (JSON) is checked whole against a schema with limits before anything is written
(`check_import`): its size, nesting depth, number of cohorts, known keys and their types, text
lengths, numbers' ranges, a name and a query in every cohort, and filter values from the filters'
allow-lists (a study from the studies of the data served, when given); a refusal names the
cohort and the field, and nothing of the file is stored.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pts_explorer import access, vocab
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.settings import COHORT_KEYS, MAX_RAW_LENGTH, SECRET, SETTINGS, SLUG

MAX_NAME = 120
MAX_NOTE = 2000
MAX_IMPORT_BYTES = 1_000_000
MAX_STORED = 500  # saved cohorts in one workspace
MAX_IMPORT_COHORTS = 200  # cohorts in one imported file
MAX_DEPTH = 8  # nesting of an imported file (an export nests 5 deep), checked before it is parsed
MAX_TEXT = 200  # dataset name, dates and each filter value of an imported cohort
MAX_FINGERPRINT = 1000  # a dataset's fingerprint: per contract table, its rows and a sum of row hashes
MAX_COUNT = 10_000_000  # patients per arm
PAGE_SIZE = 25  # saved cohorts per page on the Saved cohorts page
_SURROGATE = re.compile("[\\ud800-\\udfff]")  # a lone surrogate: SQLite cannot store it
_CONTROL = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")  # newline and tab are allowed
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
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    owner TEXT NOT NULL DEFAULT '',
    shared INTEGER NOT NULL DEFAULT 1
)
"""
# Talks: ordered slides, each a view (a page and its settings as URL parameters) with a title and
# speaker notes. A slide keeps its id for life, so an edit names the slide it meant whatever another
# session moved meanwhile; positions are renumbered 1..n by every change of the order.
TALK_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS talks (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    shared INTEGER NOT NULL DEFAULT 1
)
""",
    """
CREATE TABLE IF NOT EXISTS talk_slides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    talk TEXT NOT NULL,
    position INTEGER NOT NULL,
    page TEXT NOT NULL,
    query TEXT NOT NULL,
    title TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1
)
""",
    "CREATE INDEX IF NOT EXISTS talk_slides_by_talk ON talk_slides (talk, position)",
)
# A presenter's view shared to the room: the address of the slide on screen (page and query), written
# at each step; `step` counts the changes, so a follower switches once per step (never back and forth
# over two spellings of one address). The audience's link carries `code`; the presenter's session and
# the speaker view carry `secret`, the only key that moves the slide. Each window that follows (or
# presents) writes its own heartbeat in share_viewers; a share unseen for a day is removed. A slide of
# a shared talk whose cohort the presenter changed live keeps its address in share_live while the
# talk is presented (the speaker view names it and steps to it).
SHARE_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS shares (
    code TEXT PRIMARY KEY,
    secret TEXT NOT NULL UNIQUE,
    page TEXT NOT NULL,
    query TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 1,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    presenter_seen REAL NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0,
    shown INTEGER NOT NULL DEFAULT 1
)
""",
    """
CREATE TABLE IF NOT EXISTS share_live (
    code TEXT NOT NULL,
    talk TEXT NOT NULL,
    position INTEGER NOT NULL,
    query TEXT NOT NULL,
    PRIMARY KEY (code, talk, position)
)
""",
    """
CREATE TABLE IF NOT EXISTS share_viewers (
    code TEXT NOT NULL,
    viewer TEXT NOT NULL,
    seen REAL NOT NULL,
    PRIMARY KEY (code, viewer)
)
""",
)
SHARE_KEEP_SECONDS = 24 * 3600  # a share whose presenter was not seen for this long is removed
MAX_SHARES = 200  # shares kept at once (a presenter's new share removes the oldest past this)
MAX_TALKS = 200  # talks in one workspace
MAX_SLIDES = SETTINGS["slide"].bounds[1]  # slides in one talk (100): the slide numbers a link can name
VIEW_LEFT_OUT = ("present", "talk", "slide", "follow", "share")  # a slide's settings never hold how it is shown
SHARE_LEFT_OUT = ("follow", "share")  # a shared address never holds who follows it or its key
SECRET_LENGTH = 20  # a share's secret (and a follower's name): 20 of 32 letters and digits, 100 bits
FOLLOWER_SECONDS = 10.0  # a follower not heard from for this long no longer counts as following
COLUMNS = "slug, name, note, query, dataset_name, fingerprint, counts, created_at, updated_at, version, owner, shared"
TALK_COLUMNS = "slug, title, created_at, updated_at, owner, shared"
# Owners (issue 30): each saved cohort and talk records who saved it (the signed-in user; "local" without
# sign-in) and whether it is shared with the team (every user of the workspace) or private (its owner, and
# users with the manage_cohorts right). Rows of a workspace written before owners existed have no owner ('')
# and are shared: nobody can tell whose they were, and they were everybody's until then.
UNKNOWN_OWNER = ""
MANAGE = "manage_cohorts"  # the right (pts_explorer/access.py) to change others' cohorts and talks, open private ones


BUSY_SECONDS = 30  # how long a writer waits for another session's or process's write to finish


_DIGITS = re.compile(r"(\d+)")


def _name_key(name: str) -> list[tuple[int, int | str]]:
    """A name as people sort it: case-blind, runs of digits by their value ("bulk 2" before "bulk 10")."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(name.casefold()) if part]


def _natural(a: str, b: str) -> int:
    key_a, key_b = _name_key(a), _name_key(b)
    return (key_a > key_b) - (key_a < key_b)


def _prepare(con: sqlite3.Connection) -> None:
    """WAL mode and the schema, on a new file too. SQLite answers "database is locked" at once,
    without waiting its busy timeout, when two connections set up the same new file at the same
    moment (each holds a read lock the other's change waits for): the loser tries again."""
    con.create_collation("names_as_read", _natural)
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)
            for statement in TALK_SCHEMA + SHARE_SCHEMA:
                con.execute(statement)
            if "version" not in {row[1] for row in con.execute("PRAGMA table_info(saved_cohorts)")}:
                con.execute("ALTER TABLE saved_cohorts ADD COLUMN version INTEGER NOT NULL DEFAULT 1")  # older files
            for table in ("saved_cohorts", "talks"):  # older files: no owners; their rows are shared, owner unknown
                columns = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if "owner" not in columns:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                if "shared" not in columns:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN shared INTEGER NOT NULL DEFAULT 1")
            if "shown" not in {row[1] for row in con.execute("PRAGMA table_info(shares)")}:
                con.execute("ALTER TABLE shares ADD COLUMN shown INTEGER NOT NULL DEFAULT 1")  # older files
                con.execute("UPDATE shares SET shown = step")
            return
        except sqlite3.OperationalError as exc:
            if "duplicate column" in str(exc):  # another connection added it at the same moment
                continue
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class WorkspaceError(ValueError):
    """A request the workspace refuses, with what to do in words; nothing was changed."""


class Refused(WorkspaceError):
    """A request the user's rights do not allow: another user's saved cohort or talk changed or deleted, or a
    private one opened, without the manage_cohorts right. The message names the right; nothing was changed.
    `detail`: what was refused, for the audit trail (slugs and owners, never a name a user typed)."""

    def __init__(self, message: str, detail: str):
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Owner:
    """Who uses the workspace: `user` (the signed-in user's identifier; "local" without sign-in) and whether
    they hold the manage_cohorts right. The local tool's one user holds it: everything is theirs, as before."""

    user: str = "local"
    manage: bool = True

    def may_open(self, owner: str, shared: bool) -> bool:
        """Whether this user may list and open an item of `owner`: shared, theirs, or with the right."""
        return bool(shared) or self.owns(owner) or self.manage

    def may_change(self, owner: str) -> bool:
        """Whether this user may rename, edit or delete an item of `owner`: theirs, or with the right."""
        return self.owns(owner) or self.manage

    def owns(self, owner: str) -> bool:
        return bool(owner) and owner == self.user


LOCAL_OWNER = Owner()


def whose(owner: str) -> str:
    """Who an item belongs to, in words."""
    return f"saved by {owner}" if owner else "saved before items had owners (owner unknown)"


@dataclass(frozen=True)
class Slide:
    """One slide of a talk: a page (its name in config.PAGES) with its settings as URL parameters."""

    id: int
    talk: str
    position: int  # 1..n in the talk
    page: str
    query: dict[str, list[str]]
    title: str
    notes: str
    version: int = 1  # raised by every change of the title or notes


@dataclass(frozen=True)
class Talk:
    slug: str
    title: str
    created_at: str
    updated_at: str
    slides: tuple[Slide, ...] = ()
    owner: str = UNKNOWN_OWNER  # who made it ("" for a talk made before talks had owners)
    shared: bool = True  # shared with the team, else private to its owner (and the manage_cohorts right)


class SlideConflict(WorkspaceError):
    """A change of a slide's title or notes started from a version someone else has since replaced."""

    def __init__(self, current: Slide):
        self.current = current
        super().__init__(
            f"Slide {current.position} ({current.title!r}) was changed by someone else after you opened it: your "
            "change was not saved. Its stored title and notes are shown now; make your change again."
        )


@dataclass(frozen=True)
class Share:
    """A presenter's view shared to the room: the slide on screen (`page`, a page's name in
    config.PAGES, and its query), how many steps it has made, and when it started, last changed and
    last heard from its presenter (seconds since the epoch)."""

    code: str  # the audience's follow code
    secret: str  # the presenter's and the speaker view's key: it moves the slide
    page: str
    query: dict[str, list[str]]
    step: int
    started_at: float
    updated_at: float
    presenter_seen: float
    ended: bool
    shown: int = 1  # the step the presenter's window has drawn (behind `step` while it opens the speaker's)

    @property
    def arriving(self) -> bool:
        """Whether the slide stored is one the speaker view moved to and the presenter's window has
        not yet drawn (the room is not on it yet)."""
        return self.shown != self.step

    def presenter_gone(self, now: float, after: float) -> bool:
        """Whether the presenter ended the share, or was not heard from for `after` seconds."""
        return self.ended or now - self.presenter_seen > after


class CohortConflict(WorkspaceError):
    """A change started from a version that someone else has since replaced: `current` is the stored
    cohort now (its name, note and version), `started` the version the change started from."""

    def __init__(self, current: SavedCohort, started: int):
        self.current, self.started = current, started
        super().__init__(
            f"{current.name!r} was changed by someone else (at {when(current.updated_at)}) after you opened it: "
            f"your change was not saved. Read their text, then load it or save yours over it."
        )


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
    version: int = 1  # raised by every change of the name or note
    owner: str = UNKNOWN_OWNER  # who saved it ("" for a cohort saved before cohorts had owners)
    shared: bool = True  # shared with the team, else private to its owner (and the manage_cohorts right)


def clean_query(query: dict[str, Any]) -> dict[str, list[str]]:
    """The cohort keys of a query, parsed and written back canonically (unknown values dropped)."""
    parsed = {key: SETTINGS[key].parse([str(v) for v in _as_list(query[key])]) for key in COHORT_KEYS if key in query}
    return SETTINGS.encode_all(parsed)


def clean_view(query: dict[str, Any]) -> dict[str, list[str]]:
    """A view's settings as a slide keeps them: every key the app knows, parsed and written back
    canonically (unknown keys and values dropped, defaults left out), without presenter mode or the
    talk it is shown in."""
    known = {k: [str(v) for v in _as_list(query[k])] for k in query if k in SETTINGS and k not in VIEW_LEFT_OUT}
    return SETTINGS.encode_all(SETTINGS.parse_all(known))


def share_view(query: Mapping[str, Any]) -> dict[str, list[str]]:
    """A shared slide's address query: its settings (clean_view) and its talk and slide number, in
    presenter mode; never a follow code or a share's secret."""
    known = {k: [str(v) for v in _as_list(query[k])] for k in query if k in SETTINGS and k not in SHARE_LEFT_OUT}
    return SETTINGS.encode_all({**SETTINGS.parse_all(known), "present": True})


def slide_text(title: object, notes: object = "") -> tuple[str, str]:
    """A slide's title and speaker notes as stored (spaces tidied), or a WorkspaceError saying what to fix."""
    return _name(title, "A slide needs a title.", "title"), _note(notes, "speaker note")


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def _name(name: object, needs: str = "A saved cohort needs a name.", what: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise WorkspaceError(needs)
    text = " ".join(name.split())
    if problem := _SURROGATE.search(text) or _CONTROL.search(text):
        raise WorkspaceError(f"The {what} holds {problem.group()!r}, which is not a printable character: remove it.")
    if len(text) > MAX_NAME:
        raise WorkspaceError(f"The {what} is {len(text):,} characters long; a {what} has at most {MAX_NAME}.")
    return text


def _note(note: object, what: str = "note") -> str:
    text = str(note or "").strip()
    if problem := _SURROGATE.search(text) or _CONTROL.search(text):
        raise WorkspaceError(f"The {what} holds {problem.group()!r}, which is not a printable character: remove it.")
    if len(text) > MAX_NOTE:
        raise WorkspaceError(f"The {what} is {len(text):,} characters long; a {what} has at most {MAX_NOTE:,}.")
    return text


def _label(text: object, limit: int = MAX_TEXT) -> str:
    """A dataset's name or fingerprint as a saved cohort keeps it: within what an import accepts
    (control characters as spaces, a longer name visibly cut), so an export always imports again."""
    clean = _CONTROL.sub(" ", str(text))
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def when(stamp: str) -> str:
    """A stored time as people read it, e.g. 2026-01-31 09:30:00 UTC."""
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError):
        return str(stamp)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _reason(exc: BaseException) -> str:
    """Why the workspace failed, without the file's path (an OSError's text names it)."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class Workspace:
    """Saved cohorts and talks in `path` (created on first use), as `who` sees them: listed when shared,
    theirs, or with the manage_cohorts right; changed only when theirs or with that right (Refused)."""

    def __init__(self, path: Path, who: Owner = LOCAL_OWNER):
        self.path = Path(path)
        self.who = who

    _VISIBLE = "(shared = 1 OR owner = ? OR ?)"  # bound: who.user, who.manage

    def _visible(self) -> tuple[str, bool]:
        return self.who.user, self.who.manage

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

    def cohorts(self, offset: int = 0, limit: int = -1) -> list[SavedCohort]:
        """The saved cohorts by name as people sort names (case-blind, "bulk 2" before "bulk 10");
        `limit` of them from `offset` (a page), or all."""
        if not self.path.exists():  # reading never creates the file
            return []
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {COLUMNS} FROM saved_cohorts WHERE {self._VISIBLE} "
                "ORDER BY name COLLATE names_as_read, slug LIMIT ? OFFSET ?",
                (*self._visible(), int(limit), max(0, int(offset))),
            ).fetchall()
        return [self._row(r) for r in rows]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect() as con:
            return int(
                con.execute(f"SELECT count(*) FROM saved_cohorts WHERE {self._VISIBLE}", self._visible()).fetchone()[0]
            )

    def opened(self, slug: str) -> SavedCohort | None:
        """The saved cohort a link or a menu opens (None: no such cohort); Refused when it is another user's
        private cohort and this user lacks the manage_cohorts right."""
        saved = self.get(slug)
        if saved is not None:
            self._may_open("saved cohort", slug, saved.owner, saved.shared)
        return saved

    def _may_open(self, kind: str, slug: str, owner: str, shared: bool) -> None:
        """Refused when the item (a saved cohort or a talk) is another user's private one and this user lacks
        the manage_cohorts right."""
        if not self.who.may_open(owner, shared):
            raise Refused(
                f"The {kind} {slug} is private to another user: opening it needs the {MANAGE} right. "
                "Ask its owner to share it with the team.",
                f"opening private {kind} {slug} ({whose(owner)}) without the {MANAGE} right",
            )

    def get(self, slug: str) -> SavedCohort | None:
        if not isinstance(slug, str) or not SLUG.fullmatch(slug) or not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute(f"SELECT {COLUMNS} FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone()
        return self._row(row) if row else None

    def save(
        self,
        name: str,
        query: dict[str, Any],
        dataset_name: str,
        fingerprint: str,
        counts: dict[str, int],
        note: str = "",
        shared: bool = True,
    ) -> SavedCohort:
        """Save a cohort under a new name, owned by this user, shared with the team or private; a name already
        used is refused."""
        clean_name, clean_note, now = _name(name), _note(note), _now()
        with self._connect(write=True) as con:
            if con.execute("SELECT 1 FROM saved_cohorts WHERE name = ? COLLATE NOCASE", (clean_name,)).fetchone():
                raise WorkspaceError(f"A saved cohort is already called {clean_name!r}: choose another name.")
            self._room_for(con, 1)
            slug = self._new_slug(con)
            con.execute(
                f"INSERT INTO saved_cohorts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    slug,
                    clean_name,
                    clean_note,
                    json.dumps(clean_query(query), sort_keys=True),
                    _label(dataset_name),
                    _label(fingerprint, MAX_FINGERPRINT),
                    json.dumps({k: int(v) for k, v in counts.items()}, sort_keys=True),
                    now,
                    now,
                    self.who.user,
                    int(bool(shared)),
                ),
            )
        saved = self.get(slug)
        assert saved is not None
        return saved

    def rename(self, slug: str, name: str, version: int) -> SavedCohort:
        got = self._got(slug)
        return self.update(slug, name, got.note, version)

    def set_note(self, slug: str, note: str, version: int) -> SavedCohort:
        got = self._got(slug)
        return self.update(slug, got.name, note, version)

    def update(self, slug: str, name: str, note: str, version: int) -> SavedCohort:
        """A new name and note together, from the cohort at `version`: both are checked before either
        is written, and the change is refused (CohortConflict) when the stored version moved on."""
        clean_name, clean_note = _name(name), _note(note)
        with self._connect(write=True) as con:
            self._require(con, slug, change=True)
            stored = con.execute(f"SELECT {COLUMNS} FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone()
            if stored[9] != version:
                raise CohortConflict(self._row(stored), version)
            clash = con.execute(
                "SELECT 1 FROM saved_cohorts WHERE name = ? COLLATE NOCASE AND slug <> ?", (clean_name, slug)
            ).fetchone()
            if clash:
                raise WorkspaceError(f"A saved cohort is already called {clean_name!r}: choose another name.")
            con.execute(
                "UPDATE saved_cohorts SET name = ?, note = ?, updated_at = ?, version = version + 1 WHERE slug = ?",
                (clean_name, clean_note, _now(), slug),
            )
        return self._got(slug)

    def set_shared(self, slug: str, shared: bool) -> SavedCohort:
        """Share a saved cohort with the team, or make it private (its owner, or the manage_cohorts right)."""
        with self._connect(write=True) as con:
            self._require(con, slug, change=True)
            con.execute(
                "UPDATE saved_cohorts SET shared = ?, updated_at = ?, version = version + 1 WHERE slug = ?",
                (int(bool(shared)), _now(), slug),
            )
        return self._got(slug)

    def duplicate(self, slug: str) -> SavedCohort:
        """A copy under "<name> (copy)", owned by this user, shared as the original is."""
        original = self.opened(slug)
        if original is None:
            raise WorkspaceError("That saved cohort no longer exists (deleted in another session?).")
        with self._connect() as con:  # every name, private ones too: names are unique in the workspace
            names = {r[0].lower() for r in con.execute("SELECT name FROM saved_cohorts")}
        copy_name = next(
            candidate
            for i in range(1, 1000)
            if (candidate := f"{original.name[: MAX_NAME - 12]} (copy{'' if i == 1 else f' {i}'})").lower() not in names
        )
        return self.save(
            copy_name,
            original.query,
            original.dataset_name,
            original.fingerprint,
            original.counts,
            original.note,
            shared=original.shared,
        )

    def delete(self, slug: str) -> None:
        with self._connect(write=True) as con:
            self._require(con, slug, change=True)
            con.execute("DELETE FROM saved_cohorts WHERE slug = ?", (slug,))

    def export_json(self, limited: bool = False) -> str:
        """Every saved cohort as the JSON an import reads. `limited` (a user who sees only some studies):
        without the patients per arm recorded when each was saved (the saver's view, perhaps of studies
        this user may not see) and with each fingerprint as its digest (access.hidden: no per-table counts)."""
        cohorts = [asdict(c) for c in self.cohorts()]  # those this user may open
        for entry in cohorts:  # the file's form stays as before: an import makes them the importer's
            del entry["owner"], entry["shared"]
        if limited:
            for entry in cohorts:
                entry["counts"] = {}
                if entry["fingerprint"] and not entry["fingerprint"].startswith("sha256:"):
                    entry["fingerprint"] = access.hidden(entry["fingerprint"])
        return json.dumps({"pts_saved_cohorts": 1, "cohorts": cohorts}, indent=2)

    def import_json(
        self, text: str | bytes, studies: list[str] | None = None, shared: bool = True
    ) -> tuple[int, list[str]]:
        """Add the cohorts of an export, owned by this user and shared with the team or private (a name
        already used gets ' (imported)'); all or nothing: the
        whole file is checked first (check_import; its study filters against `studies`, the studies
        of the data served, when given) and written in one transaction.
        Returns how many were added and what was skipped or renamed, in words."""
        entries = check_import(text, studies)
        notes, added = [], 0
        with self._connect(write=True) as con:
            self._room_for(con, len(entries), importing=True)
            taken = {r[0].lower() for r in con.execute("SELECT name FROM saved_cohorts").fetchall()}
            for entry in entries:
                name = _name(entry["name"])
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
                    f"INSERT INTO saved_cohorts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                    (
                        self._new_slug(con),
                        name,
                        _note(entry.get("note", "")),
                        json.dumps(clean_query(entry.get("query", {})), sort_keys=True),
                        entry.get("dataset_name", ""),
                        entry.get("fingerprint", ""),
                        json.dumps(entry.get("counts", {}), sort_keys=True),
                        entry.get("created_at") or now,
                        now,
                        self.who.user,
                        int(bool(shared)),
                    ),
                )
                added += 1
        return added, notes

    # -----------------------------------------------------------------------------------------------
    # Talks

    def talks(self) -> list[Talk]:
        """Every talk this user may open (without its slides), by title as people sort names."""
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute(
                f"SELECT {TALK_COLUMNS} FROM talks WHERE {self._VISIBLE} ORDER BY title COLLATE names_as_read, slug",
                self._visible(),
            ).fetchall()
        return [self._talk_row(row) for row in rows]

    @staticmethod
    def _talk_row(row: tuple, slides: tuple[Slide, ...] = ()) -> Talk:
        slug, title, created, updated, owner, shared = row
        return Talk(slug, title, created, updated, slides, owner, bool(shared))

    def opened_talk(self, slug: str) -> Talk | None:
        """The talk a link or a menu opens (None: no such talk); Refused when it is another user's private
        talk and this user lacks the manage_cohorts right."""
        found = self.talk(slug)
        if found is not None:
            self._may_open("talk", slug, found.owner, found.shared)
        return found

    def talk(self, slug: str) -> Talk | None:
        """A talk with its slides in order, or None."""
        if not isinstance(slug, str) or not SLUG.fullmatch(slug) or not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute(f"SELECT {TALK_COLUMNS} FROM talks WHERE slug = ?", (slug,)).fetchone()
            if row is None:
                return None
            slides = con.execute(
                "SELECT id, talk, position, page, query, title, notes, version FROM talk_slides WHERE talk = ? "
                "ORDER BY position, id",
                (slug,),
            ).fetchall()
        return self._talk_row(row, tuple(self._slide(s) for s in slides))

    def new_talk(self, title: str, shared: bool = True) -> Talk:
        """A talk without slides under a new title, owned by this user, shared with the team or private (a
        title already used is refused)."""
        clean, now = _name(title, "A talk needs a title.", "title"), _now()
        with self._connect(write=True) as con:
            self._title_free(con, clean)
            stored = int(con.execute("SELECT count(*) FROM talks").fetchone()[0])
            if stored >= MAX_TALKS:
                raise WorkspaceError(
                    f"{stored:,} talks are kept, the most a workspace holds: delete one you no longer need first."
                )
            slug = self._new_slug(con, "talks")
            con.execute(
                f"INSERT INTO talks ({TALK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (slug, clean, now, now, self.who.user, int(bool(shared))),
            )
        return self._talk(slug)

    def rename_talk(self, slug: str, title: str) -> Talk:
        clean = _name(title, "A talk needs a title.", "title")
        with self._connect(write=True) as con:
            self._require_talk(con, slug, change=True)
            self._title_free(con, clean, slug)
            con.execute("UPDATE talks SET title = ?, updated_at = ? WHERE slug = ?", (clean, _now(), slug))
        return self._talk(slug)

    def set_talk_shared(self, slug: str, shared: bool) -> Talk:
        """Share a talk with the team, or make it private (its owner, or the manage_cohorts right)."""
        with self._connect(write=True) as con:
            self._require_talk(con, slug, change=True)
            con.execute("UPDATE talks SET shared = ?, updated_at = ? WHERE slug = ?", (int(bool(shared)), _now(), slug))
        return self._talk(slug)

    def delete_talk(self, slug: str) -> None:
        with self._connect(write=True) as con:
            self._require_talk(con, slug, change=True)
            con.execute("DELETE FROM talk_slides WHERE talk = ?", (slug,))
            con.execute("DELETE FROM talks WHERE slug = ?", (slug,))

    def add_slide(self, talk: str, page: str, query: dict[str, Any], title: str, notes: str = "") -> Slide:
        """Add a view at the end of a talk: `page` (a page's name) with its settings (clean_view)."""
        if page not in {p.name for p in ANALYSIS_PAGES}:
            raise WorkspaceError(f"{page!r} is not a page with a chart: a slide shows one of the analysis pages.")
        clean_title, clean_notes = slide_text(title, notes)
        with self._connect(write=True) as con:
            self._require_talk(con, talk, change=True)
            count = int(con.execute("SELECT count(*) FROM talk_slides WHERE talk = ?", (talk,)).fetchone()[0])
            if count >= MAX_SLIDES:
                raise WorkspaceError(
                    f"The talk has {count:,} slides, the most a talk holds: delete one, or start another talk."
                )
            cursor = con.execute(
                "INSERT INTO talk_slides (talk, position, page, query, title, notes) VALUES (?, ?, ?, ?, ?, ?)",
                (talk, count + 1, page, json.dumps(clean_view(query)), clean_title, clean_notes),
            )
            self._touch(con, talk)
            slide_id = int(cursor.lastrowid or 0)
        return self._got_slide(slide_id)

    def update_slide(self, slide_id: int, title: str, notes: str, version: int) -> Slide:
        """A new title and notes from the slide at `version`; refused (SlideConflict) when it moved on."""
        clean_title, clean_notes = slide_text(title, notes)
        with self._connect(write=True) as con:
            stored = self._require_slide(con, slide_id, change=True)
            if stored.version != version:
                raise SlideConflict(stored)
            con.execute(
                "UPDATE talk_slides SET title = ?, notes = ?, version = version + 1 WHERE id = ?",
                (clean_title, clean_notes, slide_id),
            )
            self._touch(con, stored.talk)
        return self._got_slide(slide_id)

    def move_slide(self, slide_id: int, step: int) -> Slide:
        """Move a slide `step` places (-1 up, +1 down), within the talk's first and last place."""
        with self._connect(write=True) as con:
            slide = self._require_slide(con, slide_id, change=True)
            order = [r[0] for r in con.execute(self._ORDER, (slide.talk,)).fetchall()]
            here = order.index(slide_id)
            there = min(max(here + int(step), 0), len(order) - 1)
            order.insert(there, order.pop(here))
            self._renumber(con, order)
            self._touch(con, slide.talk)
        return self._got_slide(slide_id)

    def duplicate_slide(self, slide_id: int) -> Slide:
        """A copy of a slide right after it, titled "<title> (copy)", or "(copy 2)", "(copy 3)"... when
        the talk has that title already (a copy of a copy is numbered, not "(copy) (copy)")."""
        with self._connect(write=True) as con:
            slide = self._require_slide(con, slide_id, change=True)
            order = [r[0] for r in con.execute(self._ORDER, (slide.talk,)).fetchall()]
            if len(order) >= MAX_SLIDES:
                raise WorkspaceError(
                    f"The talk has {len(order):,} slides, the most a talk holds: delete one, or start another talk."
                )
            titles = {r[0].lower() for r in con.execute("SELECT title FROM talk_slides WHERE talk = ?", (slide.talk,))}
            base = re.sub(r" \(copy(?: \d+)?\)$", "", slide.title)
            title = next(
                candidate
                for i in range(1, MAX_SLIDES + 2)
                if (candidate := f"{base[: MAX_NAME - 12]} (copy{'' if i == 1 else f' {i}'})").lower() not in titles
            )
            cursor = con.execute(
                "INSERT INTO talk_slides (talk, position, page, query, title, notes) VALUES (?, ?, ?, ?, ?, ?)",
                (slide.talk, 0, slide.page, json.dumps(slide.query), title, slide.notes),
            )
            copy = int(cursor.lastrowid or 0)
            order.insert(order.index(slide_id) + 1, copy)
            self._renumber(con, order)
            self._touch(con, slide.talk)
        return self._got_slide(copy)

    def delete_slide(self, slide_id: int) -> Slide:
        """Delete a slide; returns it as it was (restore_slide puts it back)."""
        with self._connect(write=True) as con:
            slide = self._require_slide(con, slide_id, change=True)
            con.execute("DELETE FROM talk_slides WHERE id = ?", (slide_id,))
            self._renumber(con, [r[0] for r in con.execute(self._ORDER, (slide.talk,)).fetchall()])
            self._touch(con, slide.talk)
        return slide

    def restore_slide(self, slide: Slide) -> Slide:
        """A deleted slide back in its talk, at its place (or last, when the talk is shorter now), with
        its page, settings, title and notes (Undo after Delete)."""
        with self._connect(write=True) as con:
            self._require_talk(con, slide.talk, change=True)
            order = [r[0] for r in con.execute(self._ORDER, (slide.talk,)).fetchall()]
            if len(order) >= MAX_SLIDES:
                raise WorkspaceError(
                    f"The talk has {len(order):,} slides, the most a talk holds: delete one, or start another talk."
                )
            cursor = con.execute(
                "INSERT INTO talk_slides (talk, position, page, query, title, notes) VALUES (?, ?, ?, ?, ?, ?)",
                (slide.talk, 0, slide.page, json.dumps(slide.query), slide.title, slide.notes),
            )
            back = int(cursor.lastrowid or 0)
            order.insert(min(max(slide.position - 1, 0), len(order)), back)
            self._renumber(con, order)
            self._touch(con, slide.talk)
        return self._got_slide(back)

    _ORDER = "SELECT id FROM talk_slides WHERE talk = ? ORDER BY position, id"

    # -----------------------------------------------------------------------------------------------
    # Shares: a presenter's slide, followed by the room

    _SHARE = "SELECT code, secret, page, query, step, started_at, updated_at, presenter_seen, ended, shown FROM shares"

    def start_share(self, page: str, query: dict[str, Any], now: float | None = None) -> Share:
        """Share a view (a page's name and its settings, clean_view) to the room under a new code and
        secret; shares unseen for a day are removed first, and the oldest past MAX_SHARES."""
        self._share_page(page)
        now = time.time() if now is None else now
        with self._connect(write=True) as con:
            con.execute("DELETE FROM shares WHERE presenter_seen < ?", (now - SHARE_KEEP_SECONDS,))
            con.execute(
                "DELETE FROM shares WHERE code IN (SELECT code FROM shares ORDER BY presenter_seen DESC LIMIT -1 "
                "OFFSET ?)",
                (MAX_SHARES - 1,),
            )
            con.execute("DELETE FROM share_viewers WHERE code NOT IN (SELECT code FROM shares)")
            con.execute("DELETE FROM share_live WHERE code NOT IN (SELECT code FROM shares)")
            code = self._new_slug(con, "shares", "code")
            secret = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
            con.execute(
                "INSERT INTO shares (code, secret, page, query, step, started_at, updated_at, presenter_seen) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                (code, secret, page, json.dumps(share_view(query)), now, now, now),
            )
        found = self.share(code)
        assert found is not None
        return found

    def share(self, code: str) -> Share | None:
        """The share the audience's `code` names, or None (also for a code that cannot be one)."""
        if not isinstance(code, str) or not SLUG.fullmatch(code) or not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute(f"{self._SHARE} WHERE code = ?", (code,)).fetchone()
        return self._share(row) if row else None

    def share_by_secret(self, secret: str) -> Share | None:
        """The share a presenter's or speaker view's `secret` names, or None."""
        if not isinstance(secret, str) or not SECRET.fullmatch(secret) or not self.path.exists():
            return None
        with self._connect() as con:
            row = con.execute(f"{self._SHARE} WHERE secret = ?", (secret,)).fetchone()
        return self._share(row) if row else None

    def move_share(
        self,
        secret: str,
        page: str,
        query: dict[str, Any],
        now: float | None = None,
        *,
        expected: int | None = None,
        drawn: bool = False,
    ) -> Share:
        """The slide on screen is now `page` with `query`: a new step when it differs from the one
        stored (the same address again counts as the presenter's heartbeat only). `expected`: the
        step the writer last saw; when the share has stepped since (the speaker view moved the
        slide), nothing is written but the heartbeat, so a presenter's window still drawing the slide
        it is leaving never writes it back over the speaker's step (review 27, finding 1). `drawn`:
        the presenter's window writes the slide it draws (the room is on it); the speaker view's
        step is not drawn until the presenter's window opens it (Share.arriving)."""
        self._share_page(page)
        now = time.time() if now is None else now
        view = json.dumps(share_view(query))
        with self._connect(write=True) as con:
            row = self._require_share(con, secret)
            step = con.execute("SELECT step FROM shares WHERE secret = ?", (secret,)).fetchone()[0]
            if expected is not None and int(step) != int(expected):
                con.execute("UPDATE shares SET presenter_seen = ?, ended = 0 WHERE secret = ?", (now, secret))
            elif (row[2], row[3]) != (page, view):
                con.execute(
                    "UPDATE shares SET page = ?, query = ?, step = step + 1, updated_at = ?, presenter_seen = ?, "
                    "ended = 0, shown = CASE WHEN ? THEN step + 1 ELSE shown END WHERE secret = ?",
                    (page, view, now, now, drawn, secret),
                )
            else:
                con.execute(
                    "UPDATE shares SET presenter_seen = ?, ended = 0, shown = CASE WHEN ? THEN step ELSE shown END "
                    "WHERE secret = ?",
                    (now, drawn, secret),
                )
            row = con.execute(f"{self._SHARE} WHERE secret = ?", (secret,)).fetchone()
        return self._share(row)

    def keep_live(self, secret: str, talk: str, position: int, query: dict[str, Any] | None) -> None:
        """A slide of the shared talk as the presenter changed it live (its cohort, from the slide's
        drawer): `query` is the slide's address now, kept while the talk is presented (None: as
        stored again), so the speaker view names it and steps to it."""
        with self._connect(write=True) as con:
            code = self._require_share(con, secret)[0]
            if query is None:
                con.execute(
                    "DELETE FROM share_live WHERE code = ? AND talk = ? AND position = ?", (code, talk, int(position))
                )
            else:
                con.execute(
                    "INSERT INTO share_live (code, talk, position, query) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (code, talk, position) DO UPDATE SET query = excluded.query",
                    (code, talk, int(position), json.dumps(share_view(query))),
                )

    def forget_live(self, secret: str) -> None:
        """The presenter left the talk: its slides are shown as stored again."""
        with self._connect(write=True) as con:
            code = self._require_share(con, secret)[0]
            con.execute("DELETE FROM share_live WHERE code = ?", (code,))

    def live_views(self, secret: str) -> dict[tuple[str, int], dict[str, list[str]]]:
        """The slides of a shared talk changed live: (talk, position) -> the slide's address."""
        if not isinstance(secret, str) or not SECRET.fullmatch(secret) or not self.path.exists():
            return {}
        with self._connect() as con:
            rows = con.execute(
                "SELECT l.talk, l.position, l.query FROM share_live AS l JOIN shares AS s USING (code) "
                "WHERE s.secret = ?",
                (secret,),
            ).fetchall()
        return {(talk, int(position)): json.loads(query) for talk, position, query in rows}

    def presenter_seen(self, secret: str, now: float | None = None) -> Share:
        """The presenter's heartbeat: its window is still open."""
        now = time.time() if now is None else now
        with self._connect(write=True) as con:
            self._require_share(con, secret)
            con.execute("UPDATE shares SET presenter_seen = ? WHERE secret = ?", (now, secret))
            row = con.execute(f"{self._SHARE} WHERE secret = ?", (secret,)).fetchone()
        return self._share(row)

    def end_share(self, secret: str, now: float | None = None) -> None:
        """The presenter stopped sharing: followers are told so and stay on the last slide."""
        now = time.time() if now is None else now
        with self._connect(write=True) as con:
            self._require_share(con, secret)
            con.execute("UPDATE shares SET ended = 1, presenter_seen = ? WHERE secret = ?", (now, secret))

    def viewer_seen(self, code: str, viewer: str, now: float | None = None) -> None:
        """A follower's heartbeat (`viewer`: its window's own random name); nothing for a code that
        names no share."""
        if not SLUG.fullmatch(str(code)) or not SECRET.fullmatch(str(viewer)):
            return
        now = time.time() if now is None else now
        with self._connect(write=True) as con:
            if con.execute("SELECT 1 FROM shares WHERE code = ?", (code,)).fetchone() is None:
                return
            con.execute(
                "INSERT INTO share_viewers (code, viewer, seen) VALUES (?, ?, ?) "
                "ON CONFLICT (code, viewer) DO UPDATE SET seen = excluded.seen",
                (code, viewer, now),
            )
            con.execute("DELETE FROM share_viewers WHERE code = ? AND seen < ?", (code, now - FOLLOWER_SECONDS * 6))

    def followers(self, code: str, within: float | None = None, now: float | None = None) -> int:
        """How many windows followed `code` in the last `within` seconds (FOLLOWER_SECONDS)."""
        if not SLUG.fullmatch(str(code)) or not self.path.exists():
            return 0
        now = time.time() if now is None else now
        since = now - (FOLLOWER_SECONDS if within is None else within)
        with self._connect() as con:
            row = con.execute("SELECT count(*) FROM share_viewers WHERE code = ? AND seen >= ?", (code, since))
            return int(row.fetchone()[0])

    @staticmethod
    def _share_page(page: str) -> None:
        if page not in {p.name for p in ANALYSIS_PAGES}:
            raise WorkspaceError(f"{page!r} is not a page with a chart: only a slide can be shared to the room.")

    @staticmethod
    def _require_share(con: sqlite3.Connection, secret: str) -> tuple:
        row = con.execute("SELECT code, secret, page, query FROM shares WHERE secret = ?", (str(secret),)).fetchone()
        if row is None:
            raise WorkspaceError("That share no longer exists (ended a day ago, or kept in another workspace).")
        return row

    @staticmethod
    def _share(row: tuple) -> Share:
        code, secret, page, query, step, started, updated, seen, ended, shown = row
        return Share(code, secret, page, json.loads(query), int(step), started, updated, seen, bool(ended), int(shown))

    @staticmethod
    def _renumber(con: sqlite3.Connection, order: list[int]) -> None:
        con.executemany("UPDATE talk_slides SET position = ? WHERE id = ?", [(n, i) for n, i in enumerate(order, 1)])

    @staticmethod
    def _touch(con: sqlite3.Connection, talk: str) -> None:
        con.execute("UPDATE talks SET updated_at = ? WHERE slug = ?", (_now(), talk))

    @staticmethod
    def _title_free(con: sqlite3.Connection, title: str, slug: str = "") -> None:
        if con.execute("SELECT 1 FROM talks WHERE title = ? COLLATE NOCASE AND slug <> ?", (title, slug)).fetchone():
            raise WorkspaceError(f"A talk is already called {title!r}: choose another title.")

    def _require_talk(self, con: sqlite3.Connection, slug: str, change: bool = False) -> None:
        """The talk must exist; `change`: and be this user's, or this user hold the manage_cohorts right."""
        row = con.execute("SELECT title, owner FROM talks WHERE slug = ?", (slug,)).fetchone()
        if not row:
            raise WorkspaceError("That talk no longer exists (deleted in another session?).")
        if change and not self.who.may_change(row[1]):
            raise Refused(
                f"The talk {row[0]!r} is {whose(row[1])}: changing or deleting another user's talk (its title or "
                f"its slides) needs the {MANAGE} right. Nothing was changed.",
                f"changing talk {slug} ({whose(row[1])}) without the {MANAGE} right",
            )

    def _require_slide(self, con: sqlite3.Connection, slide_id: int, change: bool = False) -> Slide:
        row = con.execute(
            "SELECT id, talk, position, page, query, title, notes, version FROM talk_slides WHERE id = ?",
            (int(slide_id),),
        ).fetchone()
        if row is None:
            raise WorkspaceError("That slide no longer exists (deleted in another session?).")
        slide = self._slide(row)
        if change:
            self._require_talk(con, slide.talk, change=True)
        return slide

    def _got_slide(self, slide_id: int) -> Slide:
        with self._connect() as con:
            return self._require_slide(con, slide_id)

    def _talk(self, slug: str) -> Talk:
        found = self.talk(slug)
        if found is None:
            raise WorkspaceError("That talk no longer exists (deleted in another session?).")
        return found

    @staticmethod
    def _slide(row: tuple) -> Slide:
        slide_id, talk, position, page, query, title, notes, version = row
        return Slide(int(slide_id), talk, int(position), page, json.loads(query), title, notes, int(version))

    @staticmethod
    def _room_for(con: sqlite3.Connection, more: int, importing: bool = False) -> None:
        stored = int(con.execute("SELECT count(*) FROM saved_cohorts").fetchone()[0])
        if stored + more <= MAX_STORED:
            return
        if importing:
            raise WorkspaceError(
                f"The file holds {more:,} cohorts and {stored:,} are saved already; a workspace holds at most "
                f"{MAX_STORED:,}. Nothing was imported: delete saved cohorts you no longer need, or import a "
                "smaller file."
            )
        raise WorkspaceError(
            f"{stored:,} cohorts are saved, the most a workspace holds: delete one you no longer need first."
        )

    @staticmethod
    def _new_slug(con: sqlite3.Connection, table: str = "saved_cohorts", column: str = "slug") -> str:
        while True:
            slug = "".join(secrets.choice(_ALPHABET) for _ in range(8))
            if not con.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (slug,)).fetchone():  # noqa: S608 (fixed names)
                return slug

    def _require(self, con: sqlite3.Connection, slug: str, change: bool = False) -> None:
        """The cohort must exist; `change`: and be this user's, or this user hold the manage_cohorts right."""
        row = con.execute("SELECT name, owner FROM saved_cohorts WHERE slug = ?", (slug,)).fetchone()
        if not row:
            raise WorkspaceError("That saved cohort no longer exists (deleted in another session?).")
        if change and not self.who.may_change(row[1]):
            raise Refused(
                f"The saved cohort {row[0]!r} is {whose(row[1])}: changing or deleting another user's saved "
                f"cohort needs the {MANAGE} right. Nothing was changed.",
                f"changing saved cohort {slug} ({whose(row[1])}) without the {MANAGE} right",
            )

    def _got(self, slug: str) -> SavedCohort:
        saved = self.get(slug)
        if saved is None:
            raise WorkspaceError("That saved cohort no longer exists (deleted in another session?).")
        return saved

    @staticmethod
    def _row(row: tuple) -> SavedCohort:
        slug, name, note, query, dataset_name, fingerprint, counts, created, updated, version, owner, shared = row
        query_, counts_ = json.loads(query), json.loads(counts)
        return SavedCohort(
            slug, name, note, query_, dataset_name, fingerprint, counts_, created, updated, version, owner, bool(shared)
        )


# ---------------------------------------------------------------------------------------------------
# The schema of an imported set, checked whole before anything is written.

_TOP_KEYS = {"pts_saved_cohorts", "cohorts"}
_COUNT_KEYS = tuple(vocab.ARMS)
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+"?|[\[\]{}]', re.DOTALL)  # a string (even unterminated), or a bracket
_DO = "Nothing was imported: correct the file (or export the cohorts again from the app) and import it again."


class _Huge:
    """An integer in the file with too many digits to be a count (kept as text, never converted)."""

    def __init__(self, digits: str):
        self.digits = digits


class _Written(float):
    """A number of the file with a fraction or an exponent, kept with its text for messages (1e400 reads as
    infinity, 1e3 as 1000.0: a message quotes what the file holds)."""

    text: str

    def __new__(cls, text: str) -> _Written:
        value = super().__new__(cls, text)
        value.text = text
        return value


def _refuse(problem: str) -> WorkspaceError:
    return WorkspaceError(f"{problem} {_DO}")


def _decoded(text: str | bytes) -> str:
    if len(text) > MAX_IMPORT_BYTES:
        raise _refuse(f"The file is {len(text):,} bytes; a set of saved cohorts is at most {MAX_IMPORT_BYTES:,}.")
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _refuse(
                f"The file is not JSON: it is not UTF-8 text (byte {exc.start + 1:,} is {text[exc.start]:#04x})."
            ) from exc
    return text


def _check_depth(text: str) -> None:
    """Refuse deep nesting before the parser sees it (Python's parser recurses per level)."""
    depth = 0
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(
                    f"The file nests lists or objects more than {MAX_DEPTH} levels deep (at character "
                    f"{token.start() + 1:,}); an export of saved cohorts nests 5 deep."
                )
        elif mark in "]}":
            depth -= 1


def _no_constant(name: str) -> None:
    raise _refuse(f"The file is not strict JSON: it holds {name}, which JSON does not allow as a number.")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _refuse(f"The file gives the key {_shown(key)} twice in one object; JSON keys are given once.")
        out[key] = value
    return out


def _parse_int(digits: str) -> int | _Huge:
    return int(digits) if len(digits.lstrip("-")) <= 15 else _Huge(digits)


def _shown(value: object, limit: int = 40) -> str:
    """A value of the file as it may be quoted in a message: short, escaped (repr)."""
    if isinstance(value, _Huge):
        return f"a number of {len(value.digits.lstrip('-')):,} digits"
    text = value.text if isinstance(value, _Written) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: object) -> str:
    if isinstance(value, _Huge):
        return _shown(value)
    kinds = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        _Written: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _text_problem(value: object, limit: int, required: bool = False) -> str | None:
    if not isinstance(value, str):
        return f"is {_kind(value)}, not text"
    if required and not value.strip():
        return "is empty; a saved cohort needs a name"
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,} are allowed"
    if found := _SURROGATE.search(value):
        return (
            f"holds a lone UTF-16 surrogate (\\u{ord(found.group()):04x} at character {found.start() + 1:,}), "
            "which is not a character: the file was damaged or written by a faulty tool; remove it"
        )
    if found := _CONTROL.search(value):
        return f"holds a control character (\\x{ord(found.group()):02x} at character {found.start() + 1:,}); remove it"
    return None


def _whole_problem(value: object, low: int, high: int) -> str | None:
    if isinstance(value, _Written):
        return f"is written {_shown(value)}; write a whole number from {low:,} to {high:,}, digits only"
    if isinstance(value, bool) or not isinstance(value, int | _Huge):
        shown = f" ({_shown(value)})" if isinstance(value, float) else ""
        return f"is {_kind(value)}{shown}, not a whole number"
    if isinstance(value, _Huge) or not low <= value <= high:
        return f"is {_shown(value)}; it must be a whole number from {low:,} to {high:,}"
    return None


def _date_problem(value: object) -> str | None:
    if problem := _text_problem(value, MAX_TEXT):
        return problem
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return f"is {_shown(value)}, not a date and time like 2026-01-31T09:30:00+00:00"
    return None


def _counts_problems(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [("counts", f'is {_kind(value)}, not an object of patients per arm like {{"stent": 40, "medical": 38}}')]
    out = []
    for arm, count in value.items():
        if arm not in _COUNT_KEYS:
            out.append((f"counts.{arm}", f"is not an arm; the arms are {', '.join(_COUNT_KEYS)}"))
        elif problem := _whole_problem(count, 0, MAX_COUNT):
            out.append((f"counts.{arm}", problem))
    return out


def _filter_problem(key: str, values: object, studies: list[str] | None = None) -> str | None:
    """A filter's values must be a list of text values its allow-list (or its range) accepts; a
    study, one of `studies` (the data served), when they are given."""
    setting = SETTINGS[key]
    if not isinstance(values, list):
        return f"is {_kind(values)}, not a list of values like [{_shown(str(next(iter(setting.options), '18')))}]"
    if len(values) > 50:
        return f"holds {len(values):,} values; a filter holds at most 50"
    for value in values:
        if problem := _text_problem(value, MAX_RAW_LENGTH):
            return f"value {_shown(value)} {problem}"
    if setting.kind == "range":
        low, high = setting.bounds
        whole = [int(v) for v in values if re.fullmatch(r"[0-9]{1,3}", v)]
        if len(values) != 2 or len(whole) != 2 or not all(low <= n <= high for n in whole):
            return f'is {_shown(values)}; an age range is two whole numbers from {low} to {high}, like ["18", "59"]'
        return None
    if setting.kind == "choice" and len(values) != 1:
        return f"holds {len(values)} values; this filter takes one of {', '.join(map(str, setting.options))}"
    if setting.options:
        allowed = {str(o) for o in setting.options}
        for value in values:
            if value not in allowed:
                return f"value {_shown(value)} is not allowed; the values are {', '.join(sorted(allowed))}"
    if key == "study" and studies is not None:
        for value in values:
            if value not in studies:
                listed = ", ".join(map(_shown, studies[:10])) + (
                    f" and {len(studies) - 10:,} more" if len(studies) > 10 else ""
                )
                return f"value {_shown(value)} is not a study of the data served; its studies are {listed or 'none'}"
    return None


def _query_problems(value: object, studies: list[str] | None = None) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [("query", f'is {_kind(value)}, not an object of filters like {{"site": ["femoral"]}}')]
    out = []
    for key, values in value.items():
        if key not in COHORT_KEYS:
            out.append((f"query.{key}", f"is not a filter; the filters are {', '.join(COHORT_KEYS)}"))
        elif problem := _filter_problem(key, values, studies):
            out.append((f"query.{key}", problem))
    return out


_FIELDS: dict[str, Any] = {  # the keys of an exported cohort and how each is checked
    "slug": lambda v: _text_problem(v, MAX_TEXT),  # not kept: an imported cohort gets a link of its own
    "name": lambda v: _text_problem(v, MAX_NAME, required=True),
    "note": lambda v: _text_problem(v, MAX_NOTE),
    "query": _query_problems,
    "dataset_name": lambda v: _text_problem(v, MAX_TEXT),
    "fingerprint": lambda v: _text_problem(v, MAX_FINGERPRINT),
    "counts": _counts_problems,
    "created_at": _date_problem,
    "updated_at": _date_problem,
    "version": lambda v: _whole_problem(v, 1, 2**53),
}


def _entry_problems(entry: object, studies: list[str] | None = None) -> list[tuple[str, str]]:
    if not isinstance(entry, dict):
        return [("", f"is {_kind(entry)}, not an object with a name and a query")]
    out: list[tuple[str, str]] = []
    if "name" not in entry:
        out.append(("name", "is missing; a saved cohort needs a name"))
    if "query" not in entry:  # not read as "no filter": a cohort of every patient is written "query": {}
        out.append(("query", 'is missing; a saved cohort needs its filters (write "query": {} for every patient)'))
    for key, value in entry.items():
        check = _FIELDS.get(key)
        if check is None:
            out.append((key, f"is not a field of a saved cohort; the fields are {', '.join(_FIELDS)}"))
            continue
        found = _query_problems(value, studies) if key == "query" else check(value)
        if isinstance(found, str):
            out.append((key, found))
        elif found:
            out.extend(found)
    return out


def check_import(text: str | bytes, studies: list[str] | None = None) -> list[dict[str, Any]]:
    """The cohorts of an exported set, checked whole against the schema and its limits (a study
    filter against `studies`, the data served, when given); the first problems found (naming the
    cohort and the field) are raised as one WorkspaceError."""
    decoded = _decoded(text)
    _check_depth(decoded)
    try:
        data = json.loads(
            decoded, object_pairs_hook=_pairs, parse_int=_parse_int, parse_float=_Written, parse_constant=_no_constant
        )
    except ValueError as exc:
        if isinstance(exc, WorkspaceError):
            raise
        raise _refuse(f"The file is not JSON ({exc}).") from exc
    except RecursionError as exc:  # not reached past _check_depth; kept so no parse can end in a traceback
        raise _refuse(f"The file nests lists or objects more than {MAX_DEPTH} levels deep.") from exc
    shaped = isinstance(data, dict) and data.get("pts_saved_cohorts") == 1 and isinstance(data.get("cohorts"), list)
    if not shaped:
        raise _refuse(
            'The file is JSON but not an export of saved cohorts: it needs "pts_saved_cohorts": 1 and a list "cohorts".'
        )
    if unknown := sorted(set(data) - _TOP_KEYS):
        raise _refuse(f"The file has keys an export does not have: {', '.join(map(_shown, unknown[:5]))}.")
    entries = data["cohorts"]
    if len(entries) > MAX_IMPORT_COHORTS:
        raise _refuse(
            f"The file holds {len(entries):,} cohorts; one file imports at most {MAX_IMPORT_COHORTS:,} (split it)."
        )
    problems = []
    for number, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        who = f"Cohort {number} of {len(entries)}" + (f" ({_shown(name)})" if isinstance(name, str) else "")
        problems += [
            f"{who}, {f'field {_shown(field, 60)}' if field else 'the cohort'} {what}."
            for field, what in _entry_problems(entry, studies)
        ]
    if problems:
        more = f" ({len(problems) - 5:,} more problems not listed)" if len(problems) > 5 else ""
        raise _refuse(" ".join(problems[:5]) + more)
    return entries
