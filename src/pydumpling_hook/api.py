"""The explicit, call-it-yourself API, including the predecessor's names.

These are called by the application in its own ``except`` blocks, so unlike
the automatic hooks they always write (no per-site limit, no "already
dumped" check). They still never raise because of a failed capture: they
print the one warning line and return ``None``.
"""

from __future__ import annotations

import sys

from . import config, hooks
from .engine import points

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


def _write(exc: Any, filename: Any, reason: str) -> Any:
    from .engine.dumping import CaptureFailed, write_dump

    try:
        path = write_dump(config.current(), exc, reason=reason, filename=filename)
    except CaptureFailed as error:
        points.warn(f"could not write dump: {error}")
        return None
    if isinstance(exc, BaseException):
        points.mark_dumped(exc, path)
    points.announce_dump(path, written=False)
    return path


def save_dumping(filename: Any = None, exc_info: Any = None) -> Any:
    """Dump the exception being handled (or ``exc_info``); return the path written.

    With no ``filename`` the dump goes to the dump directory under the usual
    time-sorted name. An explicit ``filename`` is replaced if it exists, as the
    predecessor did (atomically, and a symlink there is replaced, not followed).
    """
    if exc_info is None:
        exc_info = sys.exc_info()
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if exc is None:
        raise ValueError("save_dumping() needs an exception: call it in an except block")
    if exc.__traceback__ is None and isinstance(exc_info, tuple) and exc_info[2] is not None:
        exc.__traceback__ = exc_info[2]
    return _write(exc, filename, "save_dumping")


def dump_current_traceback(filename: Any = None) -> Any:
    """Dump every thread's live stack, with locals; the program goes on."""
    return _write(None, filename, "dump_current_traceback")


def dump(filename: Any = None) -> Any:
    """Dump the exception being handled, or the live stacks outside an ``except``."""
    exc = sys.exc_info()[1]
    return _write(exc, filename, "dump" if exc is not None else "dump_current_traceback")


def catch_any_exception() -> None:
    """The predecessor's name for ``install()``: dump every uncaught exception."""
    hooks.install()


def load_dumpling(path: Any) -> Any:
    """Load a dump safely (no code from the file runs); see ``pydumpling_hook.load``."""
    from .loader import load

    return load(path)


def debug_dumpling(path: Any, debugger: str = "pdb") -> None:
    """Open a dump in a post-mortem debugger at the crashing line."""
    load_dumpling(path).debug(debugger)
