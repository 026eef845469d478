"""Where a session's source lines come from: the dump, and this machine's disk only if asked.

Every debugger reads source through ``linecache``, and ``linecache`` reads the
disk for any file it does not hold. The file names are the dump's, so a
hostile dump can name ``/dev/zero`` (memory grows until the process dies when
pdb prints the first line), a FIFO (the session hangs), ``/dev/watchdog`` (an
``open`` alone has effects) or any file of the person opening it. So, for the
length of a session:

* each embedded source is served from ``linecache.cache`` (an ``mtime`` of
  ``None`` keeps ``checkcache`` from dropping it), its lines escaped for the
  terminal and cut at ``MAX_LINE``;
* every other file a frame names gets an empty entry: "no source", as for a
  file that is gone;
* ``linecache.updatecache``, which every miss goes through, reads nothing.

With ``local=True`` (``--local-source``) the misses are read from disk after
all, but only regular files of at most ``LOCAL_LIMIT`` bytes: the path is
``stat``-ed before it is opened, opened without blocking, and checked again.
Everything is put back when the session ends.
"""

from __future__ import annotations

import io
import linecache
import os
import stat
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, List

from .text import terminal

MAX_LINE = 10_000
"""Longest source line kept, in characters; the rest is shown as ``…``."""
LOCAL_LIMIT = 2 << 20
"""Largest local file read with ``--local-source``: capture's own per-file budget."""
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
    | getattr(os, "O_CLOEXEC", 0)


def source_lines(text: str) -> List[str]:
    """``text`` as linecache holds it: universal newlines, each line ending in ``\\n``,
    escaped for the terminal and cut at ``MAX_LINE`` characters."""
    lines = io.StringIO(text, newline=None).readlines()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return [terminal(row if len(row) <= MAX_LINE else row[:MAX_LINE] + "…\n", lines=True)
            for row in lines]


def read_local(filename: str) -> str | None:
    """The text of ``filename`` on this machine if it is a regular file of at most
    ``LOCAL_LIMIT`` bytes, else None. Nothing else is ever opened."""
    try:
        before = os.stat(filename)
        if not stat.S_ISREG(before.st_mode) or before.st_size > LOCAL_LIMIT:
            return None
        fd = os.open(filename, _FLAGS)
    except (OSError, ValueError):
        return None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (
                before.st_dev, before.st_ino):
            return None
        data = os.read(fd, LOCAL_LIMIT + 1)[:LOCAL_LIMIT]
    except OSError:
        return None
    finally:
        os.close(fd)
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding, "replace")
    except (SyntaxError, LookupError):
        return data.decode("utf-8", "replace")


def _entry(name: str, text: str) -> tuple:
    return (len(text), None, source_lines(text), name)


@contextmanager
def session_sources(sources: Any, filenames: Iterable[str] = (),
                    local: bool = False) -> Iterator[None]:
    """Serve ``sources`` (the dump's ``{filename: text}``) through ``linecache``, and
    nothing from disk for ``filenames`` or any other file unless ``local``."""
    from .rebuild import FILENAME_LIMIT
    from .values import clean_text

    absent = object()
    saved: dict[str, Any] = {}

    def put(name: str, entry: tuple) -> None:
        saved.setdefault(name, linecache.cache.get(name, absent))
        linecache.cache[name] = entry

    for filename, text in (sources.items() if isinstance(sources, dict) else ()):
        if isinstance(filename, str) and isinstance(text, str):
            name = clean_text(filename, "<unknown>", FILENAME_LIMIT)
            put(name, _entry(name, text))
    for name in filenames:
        if name not in saved and not local:
            put(name, (0, None, [], name))

    def updatecache(filename: str, module_globals: Any = None) -> List[str]:
        """linecache's reader of missing files, replaced: see the module docstring."""
        text = read_local(filename) if local and isinstance(filename, str) else None
        if text is None:
            return []
        put(filename, _entry(filename, text))
        return linecache.cache[filename][2]

    original = linecache.updatecache
    linecache.updatecache = updatecache
    try:
        yield
    finally:
        linecache.updatecache = original
        for name, old in saved.items():
            if old is absent:
                linecache.cache.pop(name, None)
            else:
                linecache.cache[name] = old
