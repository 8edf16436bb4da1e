"""The README's tables of URL keys, pages, import profiles, make targets and environment variables
list exactly what their registries hold (issue 25, item 6): a row missing or a row too many fails.

The registries are read at test time: settings.SETTINGS, config.PAGES, the built-in import
profiles, the Makefile's `## ` help lines, and the environment variables the code reads."""

import re
from pathlib import Path
from typing import TypeVar

from pts_explorer.config import PAGES, PROJECT_ROOT
from pts_explorer.importer import formats
from pts_explorer.settings import SETTINGS

README = PROJECT_ROOT / "README.md"
MAKEFILE = PROJECT_ROOT / "Makefile"
# Where the app, the importer and the scripts read the environment (the tests' own are not settings).
ENV_SOURCES = ("pts_explorer", "app.py", "app_pages", "scripts")
ENV_READ = re.compile(
    r"""(?:environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""  # os.environ.get("X"), os.getenv("X")
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""  # os.environ["X"]
    r"""|["'](PTS_[A-Z0-9_]+)["']"""  # the project's own, also when passed through a helper
)
MAKE_TARGET = re.compile(r"^([a-z][a-z-]*):.*## ", re.M)  # what `make help` lists
MAKE_PTS = re.compile(r"\bPTS_[A-Z0-9_]+\b")
CODE = re.compile(r"`([^`]+)`")
T = TypeVar("T")


def _table(header: str, text: str | None = None) -> list[list[str]]:
    """The rows (as lists of cells) of every README table whose header line is `header`."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    assert starts, f"README.md has no table {header!r}"
    rows = []
    for start in starts:
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _names(cell: str) -> list[str]:
    """The code spans of a cell (`a`, `b` names two)."""
    return CODE.findall(cell)


def _no_repeats(names: list[T]) -> set[T]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert not repeated, f"listed twice: {repeated}"
    return set(names)


def _readme_url_keys(text: str | None = None) -> set[str]:
    filters = [k for row in _table("| key | values |", text) for k in _names(row[0])]
    settings = [k for row in _table("| page | key | values (default first) |", text) for k in _names(row[1])]
    return _no_repeats(filters + settings)


def test_url_key_tables_list_exactly_the_registry():
    assert _readme_url_keys() == set(SETTINGS.settings)


def _readme_pages(text: str | None = None) -> set[tuple[str, str]]:
    rows = _table("| Page | URL path | What it answers |", text)
    return _no_repeats([(row[0], row[1]) for row in rows])


def test_pages_table_lists_exactly_the_page_registry():
    registry = {(p.title, "`/`" if p.name == "home" else f"`/{p.url_path}`") for p in PAGES}
    assert _readme_pages() == registry


def _readme_profiles(text: str | None = None) -> set[str]:
    return _no_repeats([n for row in _table("| profile | what it reads |", text) for n in _names(row[0])])


def test_import_profile_table_lists_exactly_the_built_in_profiles():
    assert _readme_profiles() == set(formats.builtin_names())


def _makefile_targets() -> set[str]:
    return set(MAKE_TARGET.findall(MAKEFILE.read_text(encoding="utf-8")))


def _readme_targets(text: str | None = None) -> set[str]:
    names = [n for row in _table("| target | what it does |", text) for n in _names(row[0])]
    assert all(n.startswith("make ") for n in names), names
    return _no_repeats([n.removeprefix("make ") for n in names])


def test_make_target_table_lists_exactly_the_makefile_help_targets():
    assert _makefile_targets() >= {"run", "test", "help"}  # the parse found the Makefile's targets
    assert _readme_targets() == _makefile_targets()


def _environment_variables() -> set[str]:
    files: list[Path] = []
    for source in ENV_SOURCES:
        path = PROJECT_ROOT / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found = set(MAKE_PTS.findall(MAKEFILE.read_text(encoding="utf-8")))
    for path in files:
        for match in ENV_READ.finditer(path.read_text(encoding="utf-8")):
            found.add(next(g for g in match.groups() if g))
    return found


def _readme_variables(text: str | None = None) -> set[str]:
    return _no_repeats([n for row in _table("| variable | default | what it sets |", text) for n in _names(row[0])])


def test_environment_variable_table_lists_exactly_what_the_code_reads():
    assert {"PTS_DB", "PTS_ENGINE", "JAVA_HOME"} <= _environment_variables()  # the search works
    assert _readme_variables() == _environment_variables()
