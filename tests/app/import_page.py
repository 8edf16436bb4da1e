"""The Import page as a user starts it in AppTest: a copy of a served file, files uploaded with a profile,
the data said to be synthetic, then Check."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterable
from pathlib import Path

import duckdb


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


def _profile_file(path: Path) -> bool:
    """An uploaded profile (a .toml with a [profile] table), which the page takes as the profile, not a source
    (a dataset.toml is a source)."""
    return path.suffix == ".toml" and "profile" in tomllib.loads(path.read_text(encoding="utf-8"))


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


def _counts(errors: int, warnings: int) -> str:
    return rf"\({_n(errors, 'error')}, {_n(warnings, 'warning')}, \d+\.\d s\)"


def rejected(errors: int, warnings: int, name: str = "pts_outcomes.duckdb") -> re.Pattern[str]:
    """The page's whole verdict on a refusal with these counts; only the seconds it took vary."""
    return re.compile(
        rf"\*\*Rejected: {re.escape(name)} was not changed {_counts(errors, warnings)}\*\*\. Fix the problems "
        r"below and import again\."
    )


def checked_clean(warnings: int) -> re.Pattern[str]:
    """The page's whole verdict on a check with no error and these warnings; only the seconds vary."""
    return re.compile(rf"\*\*Checked: no errors \(nothing written\) {_counts(0, warnings)}\*\*\.")


def imported(patients: int, warnings: int, name: str = "pts_outcomes.duckdb") -> re.Pattern[str]:
    """The page's whole verdict on an import of this many patients with these warnings; only the seconds vary."""
    return re.compile(
        rf"\*\*Imported {_n(patients, 'patient')} into {re.escape(name)} {_counts(0, warnings)}\*\*\. Every page "
        r"now shows the new data\."
    )


SYNTHETIC = {"As the files say": None, "Real patients": False, "Synthetic (simulated)": True}


def verdict(at, files: Iterable[Path], tmp_path: Path) -> str:
    """The page's verdict (the first of its success, error or info boxes), asserted whole against the command
    line's import of the same files with the profile the page used (an uploaded profile .toml is that profile,
    not a source) and the same answer to "synthetic?": its outcome, error and warning counts, the patients an
    import brings, the served file's name; only the seconds it took vary. Returns the verdict."""
    from pts_explorer.importer import Options, run_import

    boxes = [("imported", b.value) for b in at.success if str(b.value).startswith("**Imported ")]
    boxes += [("rejected", b.value) for b in at.error if str(b.value).startswith("**Rejected: ")]
    boxes += [("checked", b.value) for b in at.info if str(b.value).startswith("**Checked: ")]
    assert len(boxes) == 1, [b.value for b in (*at.success, *at.error, *at.info)]
    kind, shown = boxes[0]
    profile = at.session_state["import_report_profile"]
    sources = [f for f in files if not _profile_file(f)]
    runs = sorted(tmp_path.glob("verdict-*"))
    out = tmp_path / f"verdict-{len(runs)}" / "pts_outcomes.duckdb"
    out.parent.mkdir()
    synthetic = SYNTHETIC[at.radio(key="import_synthetic").value]
    cli = run_import(
        profile, sources, out, Options(synthetic=synthetic, check_only=kind != "imported"), progress=lambda _: None
    )
    if kind == "imported":
        assert cli.imported
        with duckdb.connect(str(out), read_only=True) as con:
            (patients,) = con.execute("SELECT count(*) FROM patients").fetchone() or (0,)
        want = imported(patients, cli.warnings)
    elif cli.errors:
        want = rejected(cli.errors, cli.warnings)
    else:
        want = checked_clean(cli.warnings)
    assert want.fullmatch(shown), (shown, want.pattern)
    return kind
