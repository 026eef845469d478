"""Install and remove the process hooks.

Installing must cost nothing (it may happen at every interpreter start), so
this module imports only ``sys``, ``config`` and the small capture-point rules
at load; the engine is imported the first time something crashes. A hook must
never make a crash worse: the previous hook is always called, with the same
arguments, and a failed capture costs exactly one line on stderr.
"""

from __future__ import annotations

import sys

from . import config
from .engine.points import announce_dump, capture_exception

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_installed: dict[str, Any] = {}


def install(directory: Any = None, **options: Any) -> config.Settings:
    """Replace ``sys.excepthook`` and ``threading.excepthook``, chaining to the previous ones.

    Idempotent: a second call updates the settings, and re-chains only a hook
    that the application replaced in between. Keyword arguments
    override the ``PYDUMPLING_*`` environment variables (see ``config``).
    """
    settings = config.from_environment(directory=directory, **options)
    config.set_current(settings)
    if sys.excepthook is not _excepthook:
        _installed["excepthook"] = sys.excepthook
        sys.excepthook = _excepthook
    from . import integrations
    from .integrations import _patch

    # threading costs ~5 ms to import; a program that never imports it has no
    # threads to crash, so its hook is set when (and if) threading arrives.
    _patch.when_imported("threading", _hook_threading, "threading")
    integrations.apply(settings)
    if config.is_remote(settings.directory) and "retried" not in _installed:
        from .engine import retry

        _installed["retried"] = settings.directory
        retry.retry_at_start(settings)  # leftovers of earlier processes, in the background
    return settings


def _hook_threading(threading: Any) -> None:
    if threading.excepthook is not _threading_excepthook:
        _installed["threading"] = threading.excepthook
        threading.excepthook = _threading_excepthook


def uninstall() -> None:
    """Restore the hooks that were there before ``install()``, if nobody replaced ours since."""
    if "excepthook" not in _installed:
        return
    from . import integrations
    from .integrations import _patch

    integrations.remove()
    _patch.undo("threading")
    if sys.excepthook is _excepthook:
        sys.excepthook = _installed["excepthook"]
    threading = sys.modules.get("threading")
    if threading is not None and threading.excepthook is _threading_excepthook:
        threading.excepthook = _installed["threading"]
    _installed.clear()
    config.set_current(None)


def is_installed() -> bool:
    return "excepthook" in _installed


def _excepthook(exc_type: Any, value: Any, tb: Any) -> None:
    if isinstance(value, BaseException) and value.__traceback__ is None and tb is not None:
        try:
            value.__traceback__ = tb
        except Exception:
            pass
    path = capture_exception(value, "excepthook", announce=False)
    _installed.get("excepthook", sys.__excepthook__)(exc_type, value, tb)
    announce_dump(path)


def _threading_excepthook(args: Any) -> None:
    thread = getattr(args, "thread", None)
    path = capture_exception(args.exc_value, "threading", announce=False,
                             thread_ident=getattr(thread, "ident", None))
    previous = _installed.get("threading")
    if previous is None:  # uninstalled meanwhile by another thread
        import _thread

        previous = _thread._excepthook
    previous(args)
    announce_dump(path)
