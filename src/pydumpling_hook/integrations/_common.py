"""What every capture point does with what it caught, written once.

The rules themselves (dedup, storm limit, skip list, the warning line) live in
``engine.points.capture_exception``; this adds what the integrations share on top:
never letting our own failure escape into the application, dumping before the
wrapped code runs but announcing after its output, and dumping the live
stacks when there is no exception at all.
"""

from __future__ import annotations

from .. import config
from ..engine import points

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any, Callable


def capture(exc: Any, reason: str, extra: Any = None, tb: Any = None,
            announce: bool = True, outer: bool = True) -> Any:
    """Dump ``exc`` through ``engine.points.capture_exception``; return the path or ``None``.

    ``tb`` is attached first when the exception arrived without its traceback
    (``exc_info`` tuples and unraisable hooks carry it separately). ``outer``
    is passed on to ``engine.snapshot.take``. Any error
    here is one warning line: the caller is in the middle of the application's
    own error handling.
    """
    try:
        if tb is not None and isinstance(exc, BaseException) and exc.__traceback__ is None:
            exc.__traceback__ = tb
        return points.capture_exception(exc, reason, extra=extra, announce=announce,
                                        outer=outer)
    except Exception as error:
        points.warn(f"{reason} capture failed: {type(error).__name__}: {error}")
        return None


def capture_around(call: Callable[[], Any], exc: Any, reason: str, extra: Any = None,
                   tb: Any = None) -> Any:
    """Dump ``exc``, then ``call()`` the code we wrapped, then print our notice line.

    Dumping first makes the most specific capture point win: asyncio's default
    handler logs the exception, and the dump should say "asyncio" and name the
    task rather than "logging". The notice comes last, after the familiar
    output, as with the excepthook.
    """
    path = capture(exc, reason, extra, tb, announce=False)
    try:
        return call()
    finally:
        announce_dump(path)


def announce_dump(path: Any) -> None:
    """The one notice line, unless quiet; nothing if nothing was written."""
    points.announce_dump(path)


def dump_live(reason: str, extra: Any = None) -> Any:
    """Dump every thread's live stack (no exception); the program goes on."""
    try:
        from ..engine.dumping import CaptureFailed, write_dump

        settings = config.current()
        try:
            path = write_dump(settings, None, reason=reason, extra=extra)
        except CaptureFailed as error:
            points.warn(f"could not write dump: {error}")
            return None
    except Exception as error:
        points.warn(f"{reason} dump failed: {type(error).__name__}: {error}")
        return None
    if not settings.quiet:
        points.warn(f"dump written to {path}")
    return path
