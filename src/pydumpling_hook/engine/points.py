"""The rules every capture point shares, applied once per exception.

Hooks, integrations, decorators and the pytest plugin all end in
``capture_exception``: one dump per exception (a mark on it), at most
``max_per_site`` dumps per crash site, the skip list, the interactive-prompt
rule, and exactly one warning line when anything fails. This module imports
only ``sys`` and ``config`` at load, because it is imported at install time;
the engine is imported the first time something crashes.
"""

from __future__ import annotations

import sys

from .. import config

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_site_counts: dict[tuple, int] = {}
_site_dumps: dict[tuple, str] = {}
_DUMPED_ATTR = "__pydumpling_dump__"


def warn(message: str) -> None:
    """The one line a capture may print. Never raises: stderr may be closed by now."""
    try:
        stream = sys.stderr
        if stream is not None:
            stream.write(f"pydumpling: {message}\n")
            stream.flush()
    except Exception:
        pass


def already_dumped(exc: BaseException) -> Any:
    return getattr(exc, "__dict__", {}).get(_DUMPED_ATTR)


def mark_dumped(exc: BaseException, path: str) -> None:
    try:
        exc.__dict__[_DUMPED_ATTR] = path
    except Exception:
        pass


def _site(exc: BaseException) -> tuple:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ()
    return (type(exc).__qualname__, *where)


def _skipped(exc: BaseException, settings: config.Settings) -> bool:
    names = {k.__name__ for k in type(exc).__mro__}
    return bool(names.intersection(settings.skip))


def capture_exception(exc: Any, reason: str, *, thread_ident: Any = None,
                      extra: Any = None, announce: bool = True, outer: bool = True) -> Any:
    """Dump ``exc`` once, within the per-site limit; return the path or ``None``.

    This is the entry every automatic capture point shares. It swallows every
    failure (a warning line instead) because its caller is already handling a
    crash.
    """
    if not isinstance(exc, BaseException):
        return None
    settings = config.current()
    if already_dumped(exc) or _skipped(exc, settings):
        return None
    if hasattr(sys, "ps1") and not settings.interactive and not _ipython_running():
        return None
    site = _site(exc)
    seen = _site_counts[site] = _site_counts.get(site, 0) + 1
    if settings.max_per_site and seen > settings.max_per_site:
        if not _site_dumps.get("atexit"):
            import atexit

            atexit.register(_record_storms)
            _site_dumps["atexit"] = "registered"
        return None
    details = dict(extra or {})
    if seen > 1:
        details["occurrence"] = seen
    try:
        from .dumping import CaptureFailed, write_dump
    except BaseException as error:  # a broken install must not hide the crash
        warn(f"could not write crash dump: {type(error).__name__}: {error}")
        return None
    try:
        path = write_dump(settings, exc, reason=reason, extra=details,
                          thread_ident=thread_ident, outer=outer)
    except CaptureFailed as error:
        warn(f"could not write crash dump: {error}")
        return None
    except BaseException as error:  # KeyboardInterrupt during capture, etc.
        warn(f"crash dump abandoned: {type(error).__name__}")
        return None
    mark_dumped(exc, path)
    _site_dumps[site] = path
    if announce:
        announce_dump(path)
    return path


def _ipython_running() -> bool:
    """A kernel or ``ipython`` defines ``sys.ps1`` too, but is not the REPL of the rule:
    a cell's error never reaches the excepthook (the IPython integration dumps it),
    and threads, logging and asyncio in a kernel are the user's program."""
    module = sys.modules.get("IPython.core.interactiveshell")
    if module is None:
        return False
    try:
        return bool(module.InteractiveShell.initialized())
    except Exception:
        return False


def _record_storms() -> None:
    """At exit, note in each storm site's last dump how many crashes were not dumped."""
    limit = config.current().max_per_site
    for site, seen in list(_site_counts.items()):  # the "atexit" flag has no count
        path = _site_dumps.get(site)
        if getattr(path, "problem", "") or config.is_remote(str(path)):
            continue  # shipped, or about to be: the object is not ours to rewrite
        if path and limit and seen > limit:
            try:
                from .dumping import record_suppressed

                record_suppressed(path, seen - limit)
            except Exception as error:
                warn(f"could not record suppressed crashes in {path}: {error}")


def announce_dump(path: Any, written: bool = True) -> None:
    """After the traceback, so the familiar output comes first and ours last.

    A dump left in the spool (upload failed or too slow) is always reported,
    in the same one line; ``written=False`` reports only that.
    """
    problem = getattr(path, "problem", "")
    if problem:
        warn(f"crash dump kept in {path}: {problem}")
    elif path and written and not config.current().quiet:
        warn(f"crash dump written to {path}")
