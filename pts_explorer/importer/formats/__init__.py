"""The import formats: one module each, holding everything about that format (its mapper onto
the contract, its help text, its example writer) beside its built-in profile (<name>.toml):
the contract's own layout (contract), CDISC ADaM (adam), CDISC SDTM (sdtm) and REDCap (redcap), on
what they all build on (base). FORMATS lists them; the pipeline, the CLI, the examples and the Import page read
it. A new format is a module and a profile beside them, named in FORMATS.
"""

from __future__ import annotations

from pathlib import Path

from pts_explorer.importer.formats import adam, contract, redcap, sdtm
from pts_explorer.importer.formats.base import Format
from pts_explorer.importer.profiles import KnownKeys, Profile, ProfileError, read

FORMATS: dict[str, Format] = {f.name: f for f in (contract.FORMAT, adam.FORMAT, redcap.FORMAT, sdtm.FORMAT)}
# Per format the sections and keys its profile may set: any other refuses the profile when it is loaded, naming
# it, the file and the closest known key (profiles.check_keys), the same way for every format.
KNOWN_KEYS: dict[str, KnownKeys] = {
    "contract": KnownKeys("a contract", contract.PROFILE_KEYS, instead={"datasets": "tables"}),
    "adam": KnownKeys("an adam", adam.PROFILE_KEYS, instead={"tables": "datasets"}),
    "redcap": KnownKeys(
        "a redcap",
        redcap.PROFILE_KEYS,
        {"fields": "the contract's columns and the date keys"},
        "; see the README, Your own data",
    ),
    "sdtm": KnownKeys("an sdtm", {**sdtm.PROFILE_KEYS}, instead={"tables": "datasets"}),
}


def builtin_names() -> list[str]:
    """The built-in profiles' names: one per format."""
    return sorted(FORMATS)


def load(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a profile file by path."""
    path = Path(name_or_path)
    if str(name_or_path) in FORMATS:
        path = FORMATS[str(name_or_path)].profile
    elif path.suffix.lower() == ".toml" or len(path.parts) > 1:
        if not path.is_file():  # a path: say it is not there, from where a relative one was looked for
            where = (
                ""
                if path.is_absolute()
                else f" (a relative path is read from the folder the import runs in, {Path.cwd()})"
            )
            raise ProfileError(f"no file {str(name_or_path)!r}{where}")
    elif not path.is_file():
        raise ProfileError(f"no profile {str(name_or_path)!r}: use one of {', '.join(builtin_names())} or a .toml path")
    return read(path, tuple(FORMATS), {name: f.profile for name, f in FORMATS.items()}, KNOWN_KEYS)


__all__ = ["FORMATS", "Format", "builtin_names", "load"]
