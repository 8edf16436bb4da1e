"""Example exports: a contract database written in each profile's source format, so a user sees
what a valid input looks like (and the tests can import each back and compare). Each format writes
its own (formats/<name>.py); this module runs them all.

    python -m pts_explorer.importer.examples [--db data/pts_outcomes.duckdb] [--out data/examples]

- contract/: one CSV per table, every patient;
- adam/: ADSL, ADQS, ADAE and ADTTE as SAS transport files, randomized-trial patients (ADaM
  datasets describe one trial);
- sdtm/: DM, SUPPDM, SV, QS, AE, PR, SUPPPR and DS as SAS transport files, randomized-trial patients;
- redcap/: a flat export of raw values and its data dictionary, registry patients.

Each folder holds a dataset.toml that names the data and says whether it is synthetic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from pts_explorer.config import DEFAULT_DB_PATH, DUCKDB_CONFIG, PROJECT_ROOT
from pts_explorer.importer.formats import FORMATS, load

DEFAULT_OUT = PROJECT_ROOT / "data" / "examples"


def write_examples(db: Path, out: Path) -> dict[str, Path]:
    """Each format's example, written by that format (formats.FORMATS), in a folder named after it."""
    con = duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG)  # the app's settings: it may hold it open
    try:
        folders = {name: out / name for name in FORMATS}
        for name, fmt in FORMATS.items():
            folders[name].mkdir(parents=True, exist_ok=True)
            fmt.write_example(con, folders[name], load(name))
        return folders
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pts_explorer.importer.examples", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for profile, folder in write_examples(args.db, args.out).items():
        print(f"{profile}: {folder} ({', '.join(sorted(p.name for p in folder.iterdir()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
