"""The Import page's verdict in Chromium, compared whole: the text of the alert that says how the check or import
ended, against the command line's run of the same files with the same profile (its counts and the patients an
import brings); only the seconds it took vary."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb
from playwright.sync_api import Page, expect

from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.importer import Options, run_import

STARTS = {"rejected": "Rejected: ", "checked": "Checked: ", "imported": "Imported "}


def _profile_file(path: Path) -> bool:
    """An uploaded profile (a .toml with a [profile] table), which the page takes as the profile, not a source
    (a dataset.toml is a source)."""
    return path.suffix == ".toml" and "profile" in tomllib.loads(path.read_text(encoding="utf-8"))


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def expect_verdict(
    page: Page, kind: str, profile: str | Path, files: list[Path], tmp_path: Path, synthetic: bool | None = True
) -> None:
    """The page's verdict is `kind` ("rejected", "checked" or "imported"), whole, with the counts the command
    line's import of `files` with `profile` gives (an uploaded profile .toml is no source)."""
    runs = len(list(tmp_path.glob("verdict-*")))
    out = tmp_path / f"verdict-{runs}" / "pts_outcomes.duckdb"
    out.parent.mkdir(parents=True)
    sources = [f for f in files if not _profile_file(f)]
    cli = run_import(
        profile, sources, out, Options(synthetic=synthetic, check_only=kind != "imported"), progress=lambda _: None
    )
    counts = rf"\({_n(cli.errors, 'error')}, {_n(cli.warnings, 'warning')}, \d+\.\d s\)"
    if kind == "imported":
        assert cli.imported, cli.text()
        with duckdb.connect(str(out), read_only=True, config=DUCKDB_CONFIG) as con:
            (patients,) = con.execute("SELECT count(*) FROM patients").fetchone() or (0,)
        whole = (
            rf"Imported {_n(patients, 'patient')} into pts_outcomes\.duckdb {counts}\. Every page now shows the new "
            r"data\."
        )
    elif kind == "rejected":
        assert cli.errors, cli.text()
        whole = rf"Rejected: pts_outcomes\.duckdb was not changed {counts}\. Fix the problems below and import again\."
    else:
        assert not cli.errors, cli.text()
        whole = rf"Checked: no errors \(nothing written\) {counts}\."
    alert = page.get_by_test_id("stAlert").filter(has_text=STARTS[kind])  # the icon's name precedes its text
    expect(alert.get_by_test_id("stMarkdownContainer")).to_have_text(re.compile(f"^{whole}$"), timeout=240_000)
