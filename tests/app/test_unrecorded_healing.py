"""Ulcer healing the visits show but nobody recorded: after an import that warned of it, Durability's
healing curve says so (with the count the import found, and the key that derives the events),
rather than a bare 'no event in this cohort'; with the events derived the note is gone."""

from __future__ import annotations

from pathlib import Path

import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from tests.unit import test_import_adam_sponsor as sponsor


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("healing")
    sources = folder / "delivery"
    sources.mkdir()
    vil, vcss = sponsor._adqs()
    for name, frame in (("ADSL", sponsor._adsl()), ("ADQSVIL", vil), ("ADQSVCSS", vcss), ("ADAE", sponsor._adae())):
        pyreadstat.write_xport(frame, str(sources / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)
    profile = folder / "venstent301.toml"
    profile.write_text(sponsor.SPONSOR_PROFILE, encoding="utf-8")
    return profile, sorted(sources.iterdir())


def _durability_warnings(app_on, db: Path) -> list[str]:
    at = app_on(db, {"endpoint": "ulcer_healing"}).run()
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    return [str(w.value) for w in at.warning]


def test_durability_names_the_healings_the_import_found_unrecorded(app_on, delivery, tmp_path):
    profile, sources = delivery
    out = tmp_path / "warned.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported
    (found,) = [r.count for r in report.rules if r.rule == "events:healing"]
    note = (
        f"**The import found {found:,} ulcer healing(s) in the visits with no healing event recorded**: this curve "
        "counts recorded events only. Import again with `[derive] ulcer_healed = true` in the profile to derive them "
        "from the visits (README, Your own data)."
    )
    assert note in _durability_warnings(app_on, out)

    derived = profile.with_name("derived.toml")
    derived.write_text(sponsor.SPONSOR_PROFILE + "\n[derive]\nulcer_healed = true\n", encoding="utf-8")
    out = tmp_path / "derived.duckdb"
    assert run_import(derived, sources, out, Options(synthetic=False), progress=lambda _: None).imported
    assert not [w for w in _durability_warnings(app_on, out) if w.startswith("**The import found")]
