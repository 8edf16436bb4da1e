"""The command line the Import page prints, so that it works as printed when pasted in a shell in
the project folder (where `make run` starts): every path relative to that folder, or through
$PTS_DB when the database lies elsewhere; never the server's absolute path."""

from __future__ import annotations

import shlex
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer.formats import FORMATS


def out_argument(db: Path) -> str:
    """The --out to type: the database relative to the project folder, else "$PTS_DB", which names it."""
    try:
        return shlex.quote(db.resolve().relative_to(PROJECT_ROOT).as_posix())
    except ValueError:
        return '"$PTS_DB"'


def profile_argument(profile: str, db: Path) -> str:
    """The --profile to type: a built-in's name, or the profile file relative to the project folder,
    else relative to the database's folder through $PTS_DB (the edited profiles lie beside it)."""
    if profile in FORMATS:
        return profile
    path = Path(profile).resolve()
    try:
        return shlex.quote(path.relative_to(PROJECT_ROOT).as_posix())
    except ValueError:
        pass
    try:
        return f'"$(dirname "$PTS_DB")"/{shlex.quote(path.relative_to(db.resolve().parent).as_posix())}'
    except ValueError:
        return shlex.quote(path.name)  # neither: the user knows where they keep it


def command_line(profile: str, db: Path) -> str:
    """The command that imports with `profile` into `db`, its sources the format's example files
    (a built-in profile) or SOURCES... to replace with the files."""
    fmt = FORMATS.get(profile)
    sources = fmt.example_sources if fmt else "SOURCES..."
    return (
        f"python -m pts_explorer.importer --profile {profile_argument(profile, db)} --out {out_argument(db)} \\\n"
        f"    {sources} --report-html report.html"
    )
