"""The Import page as a user starts it in AppTest: a copy of a served file, files uploaded with a profile,
the data said to be synthetic, then Check."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path


def checked(app_on, db: Path, tmp_path: Path, profile: str, files: Iterable[Path], mime: str = "text/csv"):
    """The page after Check (no exception), and the served file (a copy of `db`) an import replaces."""
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir()
    shutil.copyfile(db, served)
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value(profile)
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value([(f.name, f.read_bytes(), mime) for f in files])
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    return at, served


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def cli_counts(profile, files: Iterable[Path], tmp_path: Path, synthetic: bool = True) -> tuple[int, int]:
    """The errors and warnings the command line's import finds in the same files with the same profile
    (checked only), for the page's verdict to be compared with whole."""
    from pts_explorer.importer import Options, run_import

    out = tmp_path / "cli" / "pts_outcomes.duckdb"
    out.parent.mkdir(exist_ok=True)
    report = run_import(
        profile, list(files), out, Options(synthetic=synthetic, check_only=True), progress=lambda _: None
    )
    return report.errors, report.warnings


def rejected(errors: int, warnings: int, name: str = "pts_outcomes.duckdb") -> re.Pattern[str]:
    """The page's whole verdict on a refusal with these counts; only the seconds it took vary."""
    return re.compile(
        rf"\*\*Rejected: {re.escape(name)} was not changed \({_n(errors, 'error')}, {_n(warnings, 'warning')}, "
        r"\d+\.\d s\)\*\*\. Fix the problems below and import again\."
    )


def checked_clean(warnings: int) -> re.Pattern[str]:
    """The page's whole verdict on a check with no error and these warnings; only the seconds vary."""
    return re.compile(
        rf"\*\*Checked: no errors \(nothing written\) \(0 errors, {_n(warnings, 'warning')}, \d+\.\d s\)\*\*\."
    )
