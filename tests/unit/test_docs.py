"""The documents a cloner reads hold for this repository (issue 22, item 14): data/README.md lists
exactly the columns of pts_explorer/schema.sql, and no file refers to something outside the
repository or to a document that does not exist."""

import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from pts_explorer.config import PROJECT_ROOT, SCHEMA_PATH

DATA_README = PROJECT_ROOT / "data" / "README.md"
CONTRACT_TABLES = ("dataset_info", "studies", "patients", "visits", "procedures", "events")


def _schema_columns(table: str) -> list[str]:
    con = duckdb.connect(":memory:")
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index", {"t": table}
    ).fetchall()
    con.close()
    return [r[0] for r in rows]


def _readme_columns(table: str) -> list[str]:
    """The first cells of the `| column | meaning |` table under the heading ### `table`; a cell may
    name several columns, separated by commas."""
    text = DATA_README.read_text(encoding="utf-8")
    section = re.search(rf"^### `{table}`[^\n]*\n(.*?)(?=^#)", text, re.S | re.M)
    assert section, f"data/README.md has no section ### `{table}`"
    lines = section.group(1).splitlines()
    header = lines.index("| column | meaning |")
    columns = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        columns += [c.strip() for c in line.split("|")[1].split(",")]
    return columns


def test_the_schema_has_the_contract_tables():
    for table in CONTRACT_TABLES:
        assert _schema_columns(table), table


@pytest.mark.parametrize("table", CONTRACT_TABLES)
def test_data_readme_lists_exactly_the_schema_columns(table):
    listed = _readme_columns(table)
    assert len(listed) == len(set(listed)), f"a column listed twice: {listed}"
    assert sorted(listed) == sorted(_schema_columns(table))


def _repository_files() -> list[Path]:
    """Tracked files and new ones not ignored (what a commit would hold), text only."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files = []
    for name in names:
        path = PROJECT_ROOT / name
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            files.append(path)
    return files


OUTSIDE = re.compile(r"\.\./shared|shared/reference|/work/shared")
MD_REFERENCE = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b")
MD_LINK = re.compile(r"\]\(([^)\s#]+)")


def test_no_file_points_outside_the_repository():
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}"
        for path in _repository_files()
        if path.name != "test_docs.py"
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert not found, "\n".join(found)


def _resolves(reference: str, source: Path) -> bool:
    """A document (or folder) named in `source`: a path from the source's folder or the repository root, or a
    bare name of a file in the source's folder or the root."""
    if "/" in reference:
        candidates = [source.parent / reference, PROJECT_ROOT / reference.removeprefix("./")]
    else:
        candidates = [source.parent / reference, PROJECT_ROOT / reference]
    return any(c.resolve().exists() and c.resolve().is_relative_to(PROJECT_ROOT) for c in candidates)


def test_every_document_named_exists():
    missing = []
    for path in _repository_files():
        if path.name == "test_docs.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            refs = set(MD_REFERENCE.findall(line))
            if path.suffix == ".md":  # every relative link of a Markdown file
                refs |= {r for r in MD_LINK.findall(line) if not re.match(r"[a-z]+:", r)}
            missing += [f"{path.relative_to(PROJECT_ROOT)}:{n}: {r}" for r in sorted(refs) if not _resolves(r, path)]
    assert not missing, "\n".join(missing)


def test_the_checks_catch_what_they_guard():
    """The reference checks fail on the kinds of line the issue found (run on a file of our own)."""
    assert OUTSIDE.search("see shared/reference/data-contract.md") and OUTSIDE.search("../shared/x")
    source = PROJECT_ROOT / "README.md"
    assert not _resolves("scale-out.md", source)
    assert _resolves("docs/scale-out.md", source) and _resolves("data/README.md", source)
    assert not _resolves("../docs/scale-out.md", source)  # outside the repository
