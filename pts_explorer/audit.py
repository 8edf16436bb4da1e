"""The audit trail: who opened which page with which cohort, who exported what, who imported or restored
data, and every attempt the permissions refused (issue 30).

An append-only file beside the workspace (`pts_audit.jsonl`, or $PTS_AUDIT), one JSON object per line:
time (UTC, ISO 8601), user, action, page, cohort (the cohort as its URL query), kind (an export's file
kind), size (bytes), detail (words). Never patient-level values: no patient id, no row, no value of a
patient; the cohort is its filter, as a link carries it.

Several sessions and several server processes append at once: each event is one os.write of one line on
a descriptor opened with O_APPEND, so lines never interleave (the kernel places each write at the end).
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "pts_audit.jsonl"
ACTIONS = ("open", "export", "import", "restore", "denied", "sign_in", "sign_out", "save")
COLUMNS = ("time", "user", "action", "page", "cohort", "kind", "size", "detail")
MAX_TEXT = 1000  # characters of one field: a line stays one small write


def path(workspace: Path) -> Path:
    """The trail: $PTS_AUDIT, else pts_audit.jsonl beside the workspace file."""
    given = os.environ.get("PTS_AUDIT")
    return Path(given) if given else workspace.parent / FILE_NAME


def _text(value: object) -> str:
    return str(value)[:MAX_TEXT] if value is not None else ""


def event(
    user: str, action: str, page: str = "", cohort: str = "", kind: str = "", size: int | None = None, detail: str = ""
) -> dict[str, Any]:
    """One event as the trail stores it (time now, UTC)."""
    if action not in ACTIONS:
        raise ValueError(f"not an audited action: {action!r}")
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": _text(user),
        "action": action,
        "page": _text(page),
        "cohort": _text(cohort),
        "kind": _text(kind),
        "size": int(size) if size is not None else None,
        "detail": _text(detail),
    }


def append(file: Path, entry: dict[str, Any]) -> None:
    """Add one event as one line, in one write on an O_APPEND descriptor (safe beside other writers)."""
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        written = os.write(fd, line)
        if written != len(line):  # a full disk: the line is torn; the reader skips it, and says so
            raise OSError(f"the audit trail {file.name} took {written} of {len(line)} bytes")
    finally:
        os.close(fd)


def read(file: Path) -> tuple[list[dict[str, Any]], int]:
    """The events in the order written, and how many lines could not be read (torn by a full disk)."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return [], 0
    events, bad = [], 0
    for line in raw.splitlines():
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            bad += 1
            continue
        if isinstance(entry, dict):
            events.append({c: entry.get(c) for c in COLUMNS})
        else:
            bad += 1
    return events, bad


def to_csv(events: list[dict[str, Any]]) -> bytes:
    """The events as CSV (UTF-8, a header line, the columns of COLUMNS)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in events:
        writer.writerow({c: "" if entry.get(c) is None else entry.get(c) for c in COLUMNS})
    return out.getvalue().encode("utf-8")
