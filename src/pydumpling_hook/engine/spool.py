"""The local spool of a remote dump directory: where a dump waits to be uploaded.

A dump bound for object storage is written here first, so nothing is lost
when the upload fails, hangs or the process is killed; ``ship`` then uploads
it and removes it. Each destination URL has its own 0700 subdirectory, so a
process only ever ships dumps to the destination they were captured for.

This module is imported at interpreter start when ``PYDUMPLING_DIR`` is a URL
(``retry`` looks for leftovers then), so it imports only builtins.
"""

from __future__ import annotations

import os

from ..config import is_remote

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")


class Spooled(str):
    """The path of a dump that is still in the spool; ``problem`` says why it was not shipped."""

    problem = ""


def spooled(path: str, problem: str) -> Spooled:
    out = Spooled(path)
    out.problem = problem
    return out


def root(settings: Any) -> str:
    """``$PYDUMPLING_SPOOL``, else the user's cache directory."""
    if settings.spool:
        return os.path.abspath(settings.spool)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "pydumpling-hook", "spool")


def _key(url: str) -> str:
    """A directory name for a destination: readable, and told apart by an FNV-1a hash
    (``hashlib`` would cost milliseconds at interpreter start)."""
    digest = 0xCBF29CE484222325
    for byte in url.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    readable = "".join(c if c in _SAFE else "_" for c in url)[:60].strip("._")
    return f"{readable}-{digest:016x}"


def directory_for(settings: Any) -> str:
    """Where dumps for ``settings.directory`` (a URL) wait to be uploaded."""
    return os.path.join(root(settings), _key(settings.directory))


def local_directory(settings: Any) -> str:
    """Create and return where this process writes files: the dump directory, or for a
    URL its spool (the root first, so that both levels are private)."""
    from .writer import ensure_directory

    if not is_remote(settings.directory):
        return ensure_directory(settings.directory)
    ensure_directory(root(settings))
    return ensure_directory(directory_for(settings))


def pending(directory: str) -> list:
    """Paths of the complete dumps waiting in a spool directory, oldest first."""
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.name.endswith(".dump")
                     and not e.name.startswith(".")]
    except OSError:
        return []
    return [os.path.join(directory, name) for name in sorted(names)]


def claim(path: str) -> Any:
    """An open descriptor holding an exclusive lock on a spooled dump, or None.

    Two processes started at once must not both upload the same dump: the lock
    says who does, and it is released by the kernel if its holder dies. A file
    already shipped (unlinked) by the previous holder is not claimed.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_nlink:
            return fd
    except ImportError:  # pragma: no cover - no flock (Windows): at worst a second upload
        return fd
    except OSError:
        pass
    os.close(fd)
    return None
