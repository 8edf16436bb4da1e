"""The architecture is enforced, not hoped for: the project's own rules (import-linter contracts,
the ruff bans of app_pages/ruff.toml) fail on the fault each guards against.

Each test copies the project's code into a temporary folder, plants one fault, and runs the same
command `make lint` runs there. The tools themselves (mypy, ruff format) are not tested here:
`make lint` runs them on the real code.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pts_explorer.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
CODE = ("pts_explorer", "app_pages", "app.py", "pyproject.toml")


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name in CODE:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    return root


def _run(tool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _planted(project_copy: Path, relative: str, text: str):
    """Context: a file with a fault, removed afterwards so the other tests see clean code."""

    class Planted:
        def __enter__(self):
            self.path = project_copy / relative
            self.before = self.path.read_text() if self.path.exists() else None
            self.path.write_text((self.before or "") + text)

        def __exit__(self, *exc):
            if self.before is None:
                self.path.unlink()
            else:
                self.path.write_text(self.before)

    return Planted()


def test_import_linter_refuses_a_page_that_imports_the_database(project_copy):
    with _planted(project_copy, "app_pages/overview.py", "\nfrom pts_explorer import db  # noqa: E402,F401\n"):
        result = _run("lint-imports", cwd=project_copy)
    assert result.returncode != 0
    assert "app_pages.overview -> pts_explorer.db" in result.stdout


def test_import_linter_refuses_streamlit_in_the_core(project_copy):
    with _planted(project_copy, "pts_explorer/analytics/trajectories.py", "\nimport streamlit  # noqa: E402,F401\n"):
        result = _run("lint-imports", cwd=project_copy)
    assert result.returncode != 0
    assert "pts_explorer.analytics is not allowed to import streamlit" in result.stdout


def test_import_linter_refuses_a_cycle_between_sibling_modules(project_copy):
    """ui.data records each query in ui.recorder; the recorder importing ui.data back is a cycle."""
    with _planted(
        project_copy, "pts_explorer/ui/recorder.py", "\nfrom pts_explorer.ui import data  # noqa: E402,F401\n"
    ):
        result = _run("lint-imports", cwd=project_copy)
    assert result.returncode != 0
    assert "No cycles are allowed in pts_explorer.ui" in result.stdout


def test_no_pages_folder():
    """Streamlit's legacy auto-discovery of pages/ takes over deep links on a fresh server even
    with st.navigation; page scripts live in app_pages/."""
    assert not (PROJECT_ROOT / "pages").exists()


def test_every_core_module_is_held_to_the_no_streamlit_contract():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if "streamlit" in c["forbidden_modules"])
    core = {
        f"pts_explorer.{p.stem if p.is_file() else p.name}"
        for p in (PROJECT_ROOT / "pts_explorer").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert core - {"pts_explorer.ui"} == set(contract["source_modules"])


@pytest.mark.parametrize(
    "call", ["st.dataframe(pd.DataFrame())", "st.plotly_chart(None)", "st.table(pd.DataFrame())", "st.stop()"]
)
def test_ruff_refuses_drawing_past_the_exports_in_a_page(project_copy, call):
    """A table or chart a page draws itself never reaches its report: pages go through ui.table and
    ui.chart (app_pages/ruff.toml), as they go through ui.stop."""
    with _planted(project_copy, "app_pages/overview.py", f"\n{call}\n"):
        result = _run("ruff", "check", "app_pages/overview.py", cwd=project_copy)
    assert result.returncode != 0
    name = call.split("(")[0].replace("st.", "streamlit.")
    assert f"TID251 `{name}` is banned" in result.stdout


def test_ruff_still_allows_them_in_the_ui_layer(project_copy):
    with _planted(project_copy, "pts_explorer/ui/elements.py", "\n\ndef _probe() -> None:\n    st.dataframe(None)\n"):
        result = _run("ruff", "check", "pts_explorer/ui/elements.py", cwd=project_copy)
    assert result.returncode == 0, result.stdout


def test_no_page_draws_a_table_or_chart_on_a_container():
    """`left.dataframe(...)` on a column escapes the banned-api rule (it bans module attributes):
    no page calls a table or chart method on anything but ui."""
    import ast

    drawn = {"dataframe", "plotly_chart", "table", "data_editor"}
    found = []
    for path in sorted((PROJECT_ROOT / "app_pages").glob("*.py")):
        tree = ast.parse(path.read_text())
        ours = {  # pts_explorer's modules (ui.table, reproduce.table): not Streamlit
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pts_explorer")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in drawn:
                owner = node.func.value
                if not (isinstance(owner, ast.Name) and owner.id in ours):
                    found.append(f"{path.name}:{node.lineno}")
    assert not found
