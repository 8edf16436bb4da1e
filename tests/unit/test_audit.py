"""The audit trail: one JSON line per event, appended by several processes at once without a torn or
interleaved line, read back whole, and written out as CSV; never more than the fields it names."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pts_explorer import audit

WRITERS, EVENTS = 2, 400
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# Each writer is its own interpreter running this code (not a function of this module: a spawned
# process must import the test module by a name pytest's other modules may have changed).
WRITER = """
import sys
from pathlib import Path
from pts_explorer import audit
file, who, events = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(events):
    audit.append(file, audit.event(who, "open", page="overview", cohort=f"study=TRIAL&arm=stent&n={n}"))
"""


def test_two_processes_appending_at_once_leave_every_line_whole(tmp_path):
    file = tmp_path / "pts_audit.jsonl"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(file), f"user{w}@example.org", str(EVENTS)],
            cwd=PROJECT_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    for w in workers:
        _, err = w.communicate(timeout=300)  # an interpreter importing the project: slow on a loaded machine
        assert w.returncode == 0, err
    lines = file.read_bytes().splitlines()
    assert len(lines) == WRITERS * EVENTS
    entries = [json.loads(line) for line in lines]  # every line whole JSON
    for w in range(WRITERS):
        mine = [e["cohort"] for e in entries if e["user"] == f"user{w}@example.org"]
        assert mine == [f"study=TRIAL&arm=stent&n={n}" for n in range(EVENTS)]  # each writer's order kept
    events, bad = audit.read(file)
    assert bad == 0 and len(events) == WRITERS * EVENTS


def test_an_event_holds_its_fields_only_and_the_csv_reads_back_whole(tmp_path):
    file = tmp_path / "pts_audit.jsonl"
    audit.append(file, audit.event("a@b.org", "export", "overview", "study=TRIAL", "csv", 1234, "patient rows"))
    audit.append(file, audit.event("=cmd|' /C calc'!A0", "denied", "import", "", "", None, 'a "quoted", text'))
    events, bad = audit.read(file)
    assert bad == 0
    assert [set(e) for e in events] == [set(audit.COLUMNS)] * 2
    rows = list(csv.DictReader(io.StringIO(audit.to_csv(events).decode("utf-8"))))
    assert [{k: v for k, v in r.items() if k != "time"} for r in rows] == [
        {"user": "a@b.org", "action": "export", "page": "overview", "cohort": "study=TRIAL", "kind": "csv",
         "size": "1234", "detail": "patient rows"},
        {"user": "=cmd|' /C calc'!A0", "action": "denied", "page": "import", "cohort": "", "kind": "", "size": "",
         "detail": 'a "quoted", text'},
    ]  # fmt: skip
    assert rows[0]["time"] == events[0]["time"] and rows[0]["time"].endswith("+00:00")


def test_a_torn_line_is_counted_not_read(tmp_path):
    file = tmp_path / "pts_audit.jsonl"
    audit.append(file, audit.event("a@b.org", "open", "home"))
    with open(file, "ab") as f:
        f.write(b'{"time":"2026-12-06T22:00:00+00:00","user":"b@c')  # a write cut short by a full disk
    events, bad = audit.read(file)
    assert (len(events), bad) == (1, 1)


def test_only_the_audited_actions_and_no_file_is_no_event(tmp_path):
    with pytest.raises(ValueError):
        audit.event("a@b.org", "download")
    assert audit.read(tmp_path / "missing.jsonl") == ([], 0)
