"""Child processes: ``multiprocessing.Process`` targets, ``Pool`` and ``ProcessPoolExecutor`` tasks.

Each dump is written in the child, where the frames and their variables live.
How the child gets the hooks: a forked child inherits the patched modules; a
spawn or forkserver child is a fresh interpreter that installs them itself
through the inherited ``PYDUMPLING_DIR`` and the ``.pth`` file (so settings
given only to ``install()`` in code do not reach it).

- ``Process``: ``BaseProcess._bootstrap`` catches the target's exception and
  prints it with ``traceback.print_exc()``; ``sys.excepthook`` never runs. A
  wrapper around ``run`` would add its own frame to that printed traceback,
  so instead, in the child only, we intercept ``print_exc`` when it is called
  for an exception that ``_bootstrap`` caught (its traceback starts in
  ``_bootstrap``'s frame) and dump it there. Output is unchanged.
- ``Pool`` / ``ProcessPoolExecutor``: the worker catches the task's exception
  and wraps it in ``ExceptionWithTraceback`` (``_ExceptionWithTraceback``)
  to send it to the parent, dropping the traceback on the way. We replace
  that class in its module by a subclass that dumps first. Every failing task
  is dumped (within the per-site limit), also when the parent catches the
  re-raised error. The dump's mark travels with the pickled exception, so the
  parent's excepthook does not dump it a second time.
"""

from __future__ import annotations

import sys

from . import _patch
from ._common import capture, capture_around

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

TAG = "processes"
_state: dict = {}


def patch(module: Any) -> None:
    """Called once ``multiprocessing``, its ``pool`` or ``concurrent.futures.process``
    is imported."""
    {"multiprocessing": _patch_process, "multiprocessing.pool": _patch_pool,
     "concurrent.futures.process": _patch_executor}[module.__name__](module)


def _patch_process(multiprocessing: Any) -> None:
    from multiprocessing import process

    base = process.BaseProcess
    bootstrap = vars(base)["_bootstrap"]
    _state["bootstrap_code"] = getattr(bootstrap, "__wrapped__", bootstrap).__code__
    _patch.wrap(base, "_bootstrap", _bootstrap, TAG)


def _bootstrap(original: Any, args: tuple, kwargs: dict) -> Any:
    """Runs in the child only: arm the ``print_exc`` interception, then start."""
    try:
        import traceback

        _patch.wrap(traceback, "print_exc", _print_exc, TAG)
    except Exception:
        pass
    return original(*args, **kwargs)


def _print_exc(original: Any, args: tuple, kwargs: dict) -> Any:
    exc = sys.exc_info()[1]
    tb = getattr(exc, "__traceback__", None)
    if tb is None or tb.tb_frame.f_code is not _state.get("bootstrap_code"):
        return original(*args, **kwargs)
    return capture_around(lambda: original(*args, **kwargs), exc, "multiprocessing")


def _patch_pool(pool: Any) -> None:
    _patch.replace(pool, "ExceptionWithTraceback",
                   _dumping_subclass(pool.ExceptionWithTraceback, "multiprocessing.pool"), TAG)


def _patch_executor(process: Any) -> None:
    _patch.replace(process, "_ExceptionWithTraceback",
                   _dumping_subclass(process._ExceptionWithTraceback, "ProcessPoolExecutor"), TAG)


def _dumping_subclass(base: type, reason: str) -> type:
    """``base`` that dumps the exception before wrapping it (it may clear the traceback)."""

    def __init__(self: Any, exc: Any, tb: Any, *args: Any, **kwargs: Any) -> None:
        capture(exc, reason, tb=tb)
        base.__init__(self, exc, tb, *args, **kwargs)

    return type(base.__name__, (base,), {
        "__init__": __init__, "__module__": base.__module__,
        "__qualname__": base.__qualname__, "__doc__": base.__doc__,
    })
