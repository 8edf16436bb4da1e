"""The Import page as a user starts it in AppTest: a copy of a served file, files uploaded with a profile,
the data said to be synthetic, then Check."""

from __future__ import annotations

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
