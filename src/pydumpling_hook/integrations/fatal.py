"""Fatal errors: ``faulthandler`` writes the stacks of a segfault or abort to a file.

A fatal error kills the process before any Python code can run, so the only
record is what ``faulthandler`` writes from its signal handler, into a file
descriptor opened in advance. We open it in the dump directory at install,
private (``O_EXCL``, 0600, no symlink) and named like a dump with the
``.fatal`` suffix so that retention and ``pydumpling-open --list`` know it.
At normal exit the file is still empty and is removed. It is not closed:
``faulthandler`` keeps writing to the descriptor until the very end, and a
closed (or reused) descriptor is worse than an unlinked file.

A forked child inherits the descriptor and writes its own fatal error into
the parent's file. A process killed by a signal other than a fatal one (a
``Pool`` worker gets SIGTERM) cannot remove its empty file; the next process
that opens one in the directory removes the empty files of processes that are
gone. If ``faulthandler`` is already enabled (``-X faulthandler``,
``PYTHONFAULTHANDLER``), it is left as it is, with one warning line.
"""

from __future__ import annotations

import os

from ..engine.points import warn

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

_state: dict = {}
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(
    os, "O_CLOEXEC", 0)


def apply(settings: Any) -> None:
    if not settings.fatal:
        remove()
        return
    if _state.get("directory") == settings.directory:
        return
    remove()
    import faulthandler

    if faulthandler.is_enabled():
        warn("faulthandler is already enabled; fatal errors keep going where it writes")
        return
    try:
        path, fd = _open(settings)
    except Exception as error:
        warn(f"no fatal-error file: {error}")
        return
    faulthandler.enable(file=fd, all_threads=True)
    _state.update(directory=settings.directory, path=path, fd=fd, pid=os.getpid())
    if not _state.get("atexit"):
        import atexit

        atexit.register(_at_exit)
        _state["atexit"] = True


def remove() -> None:
    """``uninstall()``: stop writing to our file, close it, drop it if empty."""
    fd = _state.get("fd")
    if fd is None:
        return
    import faulthandler

    faulthandler.disable()
    _discard_if_empty()
    try:
        os.close(fd)
    except OSError:
        pass
    for key in ("directory", "path", "fd", "pid"):
        _state.pop(key, None)


def _open(settings: Any) -> tuple:
    import threading
    import time

    from ..engine.spool import local_directory
    from ..engine.writer import dump_name

    where = local_directory(settings)  # faulthandler writes a local file, even for a URL
    _sweep(where)
    name = dump_name(time.time(), os.getpid(), threading.current_thread().name, "FatalError",
                     suffix="fatal")
    path = os.path.join(where, name)
    fd = os.open(path, _FLAGS, 0o600)
    os.fchmod(fd, 0o600)
    return path, fd


def _sweep(directory: str) -> None:
    """Remove the empty ``.fatal`` files left by processes that no longer exist."""
    from ..engine.writer import is_dump_name

    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not (entry.name.endswith(".fatal") and is_dump_name(entry.name)) or (
                        entry.stat(follow_symlinks=False).st_size):
                    continue
                try:
                    os.kill(int(entry.name.split("-")[1]), 0)
                except ProcessLookupError:
                    os.unlink(entry.path)
                except (ValueError, IndexError, OSError):
                    continue
    except OSError:
        pass


def _discard_if_empty() -> None:
    path, fd = _state.get("path"), _state.get("fd")
    if path is None or _state.get("pid") != os.getpid():  # a forked child: not our file
        return
    try:
        mine, there = os.fstat(fd), os.lstat(path)
        if mine.st_size == 0 and (mine.st_ino, mine.st_dev) == (there.st_ino, there.st_dev):
            os.unlink(path)
    except OSError:
        pass


def _at_exit() -> None:
    _discard_if_empty()
