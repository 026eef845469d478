"""What a dump records about the crashing process itself, apart from its stacks:
``meta`` (Python, host, argv, thread, time), the environment the redactor learns
secrets from, and the source text of each file. Stdlib only, and each read costs
no import a crashing program has not already paid for."""

from __future__ import annotations

import _thread
import os
import sys
import time

from .._version import __version__
from .writer import utc_stamp

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


def environment() -> dict:
    """``os.environ`` and ``os.environb`` in one dict, for the redactor's value rules.

    Read from the bytes ``os`` keeps underneath: ``os.environ`` decodes every item
    in Python, about 4 µs each on a busy machine (0.3 ms for 35 variables, both
    views), where one comprehension decodes them in a tenth of that.
    """
    data = getattr(os.environ, "_data", None)
    if not os.supports_bytes_environ or not isinstance(data, dict):
        return dict(os.environ)
    encoding = sys.getfilesystemencoding()
    out = {k.decode(encoding, "surrogateescape"): v.decode(encoding, "surrogateescape")
           for k, v in data.items() if type(k) is bytes and type(v) is bytes}
    out.update(data)
    return out


def source_text(filename: str, module_globals: Any, limit: int) -> str | None:
    """The text Python would show for ``filename``: linecache's copy if it has one
    (``<stdin>``, IPython cells, edited files), else the file, else the module's loader.

    Plain UTF-8 files are read directly, so a crash in a program that never imported
    ``linecache`` (and ``tokenize``, and ``re``) does not pay for them.
    """
    cache = getattr(sys.modules.get("linecache"), "cache", {})
    try:
        if filename not in cache and os.path.isfile(filename):
            size = os.path.getsize(filename)
            if size > limit:
                return None
            with open(filename, "rb") as fh:
                data = fh.read(size + 1)  # not limit + 1: a 2 MiB buffer costs more than a read
            head = data[:200].split(b"\n", 2)[:2]
            if not any(b"coding" in line for line in head):
                return data.decode("utf-8", "replace")[:limit]
            module_globals = None
        elif filename not in cache and filename.startswith("<") and filename.endswith(">"):
            return None
        import linecache

        text = "".join(linecache.getlines(filename, module_globals))
    except Exception:
        return None
    return text if len(text) <= limit else None


def current_thread() -> tuple[str, int]:
    """The name and ident of the thread running the capture.

    ``threading`` is asked only if the program imported it (importing it would
    cost a crash about 1 ms). Without it, a program's only thread is its main
    thread; threads started through ``_thread`` have no names at all.
    """
    ident = _thread.get_ident()
    threading = sys.modules.get("threading")
    if threading is not None:
        return threading.current_thread().name, ident
    alone = len(sys._current_frames()) == 1
    return ("MainThread" if alone else f"Thread-{ident}"), ident


def meta(reason: str, extra: Any = None) -> dict:
    now = time.time()
    thread_name, thread_ident = current_thread()
    try:
        uname = os.uname()
        host, platform = uname.nodename, f"{uname.sysname}-{uname.release}-{uname.machine}"
    except AttributeError:
        host, platform = os.environ.get("COMPUTERNAME", "?"), sys.platform
    host = os.environ.get("PYDUMPLING_HOST") or host  # containers all named after their id
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "implementation": sys.implementation.name,
        "platform": platform,
        "executable": sys.executable,
        "argv": list(getattr(sys, "argv", [])),
        "pid": os.getpid(),
        "hostname": host,
        "time": utc_stamp(now),
        "timestamp": now,
        "cwd": cwd,
        "thread": thread_name,
        "thread_ident": thread_ident,
        "package_version": __version__,
        "reason": reason,
        "extra": dict(extra or {}),
    }
