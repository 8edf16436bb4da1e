"""Replace a database file atomically: readers see the old file or the new one, never a mixture;
and keep what an import writes on the way (uploads, the staging database) in one private folder,
where a process killed mid-import leaves nothing that the next start or import does not remove."""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

# Work folders are named <kind>-<pid>-<random> inside the private folder; a file being built beside
# the target is .<name>.building-<pid> (and DuckDB's .wal of it).
_WORK = re.compile(r"^[a-z]+-(\d+)-")
_BUILDING = re.compile(r"^\..+\.building-(\d+)(\.wal)?$")


def private_dir() -> Path:
    """The folder for uploads and staging databases: this user's own (mode 0700), in the system's
    temporary folder; refused if another user owns it."""
    folder = Path(tempfile.gettempdir()) / f"pts_explorer-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if info.st_uid != os.getuid() or not folder.is_dir() or folder.is_symlink():
        raise PermissionError(f"{folder} is not this user's own folder: remove it, or set TMPDIR elsewhere")
    if info.st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def work_dir(kind: str) -> Path:
    """A new folder for one import's `kind` of files (upload, import), named with this process's id."""
    return Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=private_dir()))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def sweep_leftovers(data_folder: Path | None = None) -> list[Path]:
    """Remove what a process that died mid-import (kill -9, a power cut) left: its work folders, and
    the half-built database (and WAL) beside the target in `data_folder`. A live process's are kept.
    Returns what was removed."""
    removed = []
    for path in private_dir().iterdir():
        match = _WORK.match(path.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path)
    if data_folder is not None and data_folder.is_dir():
        for path in data_folder.iterdir():
            match = _BUILDING.match(path.name)
            if match and not _alive(int(match.group(1))):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


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


NO_SPACE = "No space left on device"  # how the system (and DuckDB, quoting it) says a disk is full


def disk_full(exc: BaseException | None) -> bool:
    """Whether an import failed because a disk is full: an OSError ENOSPC (writing an upload) or
    DuckDB quoting it (writing the staging database or the new file)."""
    for _ in range(10):
        if exc is None:
            return False
        if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or NO_SPACE in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
