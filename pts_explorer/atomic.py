"""Replace a database file atomically: readers see the old file or the new one, never a mixture."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(target: Path, build: Callable[[Path], None]) -> Path:
    """Let `build` write a new file beside `target` (same filesystem), flush it to disk and rename
    it over `target`, then flush the folder. If `build` fails, `target` keeps its exact bytes and
    no temporary file is left."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    leftovers = (tmp, Path(f"{tmp}.wal"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    try:
        build(tmp)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    return target


def keep_previous(target: Path) -> Path | None:
    """A hard link to the current file as <name>.previous<suffix>, so a replacement can be undone."""
    if not target.exists():
        return None
    previous = target.with_name(f"{target.stem}.previous{target.suffix}")
    previous.unlink(missing_ok=True)
    os.link(target, previous)
    return previous


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_previous(target: Path) -> None:
    """Serve the file that `keep_previous` kept again; the replaced one becomes the previous."""
    previous = target.with_name(f"{target.stem}.previous{target.suffix}")
    swap = target.with_name(f".{target.name}.swap-{os.getpid()}")
    os.link(target, swap)
    try:
        os.replace(previous, target)
        os.replace(swap, previous)
        _fsync(target.parent)
    finally:
        swap.unlink(missing_ok=True)
