"""Who may see what: the permissions file, and the studies and rights of one Identity.

The file (TOML; `pts_permissions.toml` beside the workspace, or $PTS_PERMISSIONS; docs/permissions.md) is
a list of grants, each naming users (the sign-in's user claim) and/or groups (the groups claim), the
studies they see (study_id values, or "*" for every study) and their rights:

    [[grant]]
    groups = ["pts-attract"]
    studies = ["ATTRACT"]
    rights = ["export_rows"]

A user's access is the union of every grant that names them or one of their groups. Rights:
export_rows (patient-row exports), import (the Import page's writing actions, restore and undo),
manage_cohorts (edit and delete others' saved cohorts and talks), admin (the audit trail).

Without a permissions file the local tool's one user sees every study with every right; with sign-in
configured a missing file gives everybody nothing (pts_explorer/ui/auth.py current_access). A file
that cannot be read or does not follow these rules gives `PermissionsError` (the line and the fix) and,
for everybody, no study and no right (`NOTHING`): never everything by mistake.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pts_explorer.identity import Identity

RIGHTS = ("export_rows", "import", "manage_cohorts", "admin")
ALL_STUDIES = "*"
FILE_NAME = "pts_permissions.toml"
_KEYS = {"users", "groups", "studies", "rights"}
_LINE = re.compile(r"at line (\d+)")


class PermissionsError(ValueError):
    """The permissions file cannot be used: the message names the line and the fix."""


@dataclass(frozen=True)
class Access:
    """What one user may see and do. studies None: every study; else exactly those (empty: none)."""

    studies: frozenset[str] | None
    rights: frozenset[str]

    def may(self, right: str) -> bool:
        if right not in RIGHTS:
            raise KeyError(right)
        return right in self.rights

    def sees(self, study: str) -> bool:
        return self.studies is None or study in self.studies

    def allowed_studies(self) -> list[str] | None:
        """The bound parameter $allowed_studies (queries/fragments/allowed_studies.sql)."""
        return None if self.studies is None else sorted(self.studies)

    @property
    def restricted(self) -> bool:
        return self.studies is not None


EVERYTHING = Access(studies=None, rights=frozenset(RIGHTS))
NOTHING = Access(studies=frozenset(), rights=frozenset())


@dataclass(frozen=True)
class Grant:
    users: frozenset[str]
    groups: frozenset[str]
    studies: frozenset[str] | None  # None: every study ("*")
    rights: frozenset[str]

    def names(self, who: Identity) -> bool:
        return bool(who.user) and (who.user in self.users or bool(self.groups & set(who.groups)))


@dataclass(frozen=True)
class Permissions:
    grants: tuple[Grant, ...]

    def access(self, who: Identity) -> Access:
        """The union of the grants naming `who` (by user or group); none: no study, no right."""
        mine = [g for g in self.grants if g.names(who)]
        every = any(g.studies is None for g in mine)
        studies = None if every else frozenset(s for g in mine for s in (g.studies or ()))
        return Access(studies=studies, rights=frozenset(r for g in mine for r in g.rights))


def _grant_lines(text: str) -> list[int]:
    """The line (1-based) of each [[grant]] header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*grant\s*\]\]", line)]


def _key_line(text: str, start: int, key: str) -> int:
    """The line of `key = ...` in the grant starting at line `start` (else the header's line)."""
    lines = text.splitlines()
    for n in range(start, len(lines) + 1):
        line = lines[n - 1]
        if n > start and re.match(r"\s*\[", line):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return start


def _names(value: object, key: str, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PermissionsError(f'{where}: {key} must be a list of quoted names, e.g. {key} = ["..."]')
    return frozenset(v.strip() for v in value)


def parse(text: str, source: str = FILE_NAME) -> Permissions:
    """The grants of a permissions file's text; PermissionsError names the line and the fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _LINE.search(str(exc))
        where = f"{source}, line {line.group(1)}" if line else source
        raise PermissionsError(f"{where}: not valid TOML ({exc}); fix the line as TOML writes it") from None
    unknown = sorted(set(data) - {"grant"})
    if unknown:
        raise PermissionsError(f"{source}: unknown table {unknown[0]!r}; the file holds only [[grant]] tables")
    raw = data.get("grant", [])
    if not isinstance(raw, list):
        raise PermissionsError(f"{source}: write each grant as a [[grant]] table (double brackets)")
    if not raw:
        raise PermissionsError(
            f"{source}: the file holds no grant, so nobody would see any study; add [[grant]] tables (users or "
            'groups, studies = ["<study_id>", ...]) as docs/permissions.md shows'
        )
    headers = _grant_lines(text)
    grants = []
    for i, entry in enumerate(raw):
        start = headers[i] if i < len(headers) else 1
        where = f"{source}, line {start} (grant {i + 1})"
        extra = sorted(set(entry) - _KEYS)
        if extra:
            where = f"{source}, line {_key_line(text, start, extra[0])} (grant {i + 1})"
            raise PermissionsError(f"{where}: unknown key {extra[0]!r}; a grant has users, groups, studies, rights")
        users = _names(entry.get("users", []), "users", where) if "users" in entry else frozenset()
        groups = _names(entry.get("groups", []), "groups", where) if "groups" in entry else frozenset()
        if not users and not groups:
            raise PermissionsError(f'{where}: name who it is for: users = ["..."] and/or groups = ["..."]')
        if "studies" not in entry:
            raise PermissionsError(f'{where}: add studies = ["<study_id>", ...] (or ["*"] for every study)')
        at = f"{source}, line {_key_line(text, start, 'studies')} (grant {i + 1})"
        if entry["studies"] == []:
            raise PermissionsError(f'{at}: studies is empty; name them, studies = ["<study_id>", ...] (or ["*"])')
        spaced = [v for v in entry["studies"] if isinstance(v, str) and v.strip() and re.search(r"\s", v)]
        if spaced:
            raise PermissionsError(
                f"{at}: the study id {spaced[0]!r} holds a space; write it exactly as study_id holds it, "
                f"e.g. {spaced[0].strip().split()[0]!r}"
            )
        studies_named = _names(entry["studies"], "studies", at)
        studies = None if ALL_STUDIES in studies_named else studies_named
        rights: frozenset[str] = frozenset()
        if "rights" in entry:
            at = f"{source}, line {_key_line(text, start, 'rights')} (grant {i + 1})"
            rights = _names(entry["rights"], "rights", at)
            wrong = sorted(rights - set(RIGHTS))
            if wrong:
                raise PermissionsError(f"{at}: unknown right {wrong[0]!r}; the rights are {', '.join(RIGHTS)}")
        grants.append(Grant(users=users, groups=groups, studies=studies, rights=rights))
    return Permissions(grants=tuple(grants))


def path(workspace: Path) -> Path:
    """The permissions file: $PTS_PERMISSIONS, else pts_permissions.toml beside the workspace file."""
    given = os.environ.get("PTS_PERMISSIONS")
    return Path(given) if given else workspace.parent / FILE_NAME


def load(file: Path) -> Permissions | None:
    """The file's grants; None when there is no file (everybody sees everything)."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PermissionsError(
            f"{file.name}: cannot be read ({type(exc).__name__}); make it readable UTF-8 text"
        ) from None
    return parse(text, file.name)


def access_for(who: Identity, permissions: Permissions | None) -> Access:
    """`who`'s access: everything without a permissions file (the caller decides when that applies: only
    without sign-in), else what its grants give."""
    return EVERYTHING if permissions is None else permissions.access(who)


def unknown_studies(permissions: Permissions, served: list[str]) -> list[str]:
    """The study ids the grants name that the data served do not hold (a typo, a case slip, or a study to be
    imported later), sorted: said as a warning, never an error."""
    named = {s for g in permissions.grants for s in (g.studies or ())}
    return sorted(named - set(served))


def describe(access: Access) -> str:
    """Which studies the user sees, as the pages say it ("" when every study)."""
    if access.studies is None:
        return ""
    return "Studies you may see: " + (", ".join(sorted(access.studies)) if access.studies else "none")


def hidden(value: str) -> str:
    """A fingerprint as a user limited to some studies is handed it: a SHA-256 digest of the whole file's
    fingerprint ("sha256:<64 hex>"), which tells two files apart without its per-table counts (those
    would give the size of studies the user may not see). reproduce.py accepts either form."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
