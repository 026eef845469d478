"""The local spool of a remote dump directory, and the retry of what it holds.

A dump bound for object storage is written here first, so nothing is lost
when the upload fails, hangs or the process is killed; ``ship`` then uploads
it and removes it. Each destination URL has its own 0700 subdirectory, so a
process only ever ships dumps to the destination they were captured for.

This module is imported at interpreter start when ``PYDUMPLING_DIR`` is a URL,
so it imports only builtins: looking for leftovers costs one ``scandir`` of
a (usually missing) directory on the main thread; the upload itself runs in a
``_thread`` thread (``threading`` costs ~5 ms to import), and the interpreter
gives it up to the upload budget at exit.
"""

from __future__ import annotations

import os

from ..config import is_remote

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
RETRY_DELAY = 1.0
"""Seconds the start-up retry waits before it imports fsspec and its backend: hundreds of
milliseconds of work under the GIL that must not slow the application's own start.
An exiting process (or ``--ship``) lets it go at once."""
_retrying: list = []
shipped_at_start: list = []
"""``(destination, url)`` of what this process's start-up retry uploaded, for ``--ship``."""


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


def retry_at_start(settings: Any) -> None:
    """Ship what earlier processes left in the spool, off the main thread.

    Nothing to do (the usual case) costs one ``scandir``. Otherwise a thread
    uploads after ``RETRY_DELAY``, and an exit handler starts it at once and
    waits for it up to the upload budget, so that even ``python -c pass``
    ships the spool; what is not shipped by then stays for the next process.
    """
    if not pending(directory_for(settings)):
        return
    import _thread
    import atexit

    go, done = _thread.allocate_lock(), _thread.allocate_lock()
    go.acquire()
    done.acquire()
    _thread.start_new_thread(_retry, (settings, go, done))
    _retrying.append((go, done, os.getpid()))
    atexit.register(wait_for_retry, settings.upload_timeout)


def _retry(settings: Any, go: Any, done: Any) -> None:
    try:
        go.acquire(timeout=RETRY_DELAY)  # sleeps without the GIL
        from .ship import ship_pending

        shipped_at_start.extend((settings.directory, url) for url in ship_pending(settings)[0])
    except BaseException:  # a background retry is silent: the next process tries again
        pass
    finally:
        done.release()


def wait_for_retry(budget: float) -> None:
    """Give this process's retry up to ``budget`` seconds to finish (at exit, or before
    ``pydumpling-open --ship`` ships the same files itself)."""
    for go, done, pid in _retrying:
        if os.getpid() != pid:  # a forked child has no retry thread
            continue
        try:
            go.release()
        except RuntimeError:  # let go already
            pass
        if done.acquire(timeout=budget):
            done.release()
