"""Install and remove the process hooks, and run a capture from inside one.

Installing must cost nothing (it may happen at every interpreter start), so
this module imports only ``sys``/``os`` at load; the engine is imported the
first time something crashes. A hook must never make a crash worse: the
previous hook is always called, with the same arguments, and a failed capture
costs exactly one line on stderr.
"""

from __future__ import annotations

import sys

from . import config

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_installed: dict[str, Any] = {}
_site_counts: dict[tuple, int] = {}
_site_dumps: dict[tuple, str] = {}
_DUMPED_ATTR = "__pydumpling_dump__"


def current_settings() -> config.Settings:
    """The installed settings, or fresh ones from the environment."""
    return _installed.get("settings") or config.from_environment()


def install(directory: Any = None, **options: Any) -> config.Settings:
    """Replace ``sys.excepthook`` and ``threading.excepthook``, chaining to the previous ones.

    Idempotent: a second call updates the settings, and re-chains only a hook
    that the application replaced in between. Keyword arguments
    override the ``PYDUMPLING_*`` environment variables (see ``config``).
    """
    settings = config.from_environment(directory=directory, **options)
    _installed["settings"] = settings
    if sys.excepthook is not _excepthook:
        _installed["excepthook"] = sys.excepthook
        sys.excepthook = _excepthook
    from . import integrations
    from .integrations import _patch

    # threading costs ~5 ms to import; a program that never imports it has no
    # threads to crash, so its hook is set when (and if) threading arrives.
    _patch.when_imported("threading", _hook_threading, "threading")
    integrations.apply(settings)
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


def is_installed() -> bool:
    return "excepthook" in _installed


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
                      extra: Any = None, announce: bool = True) -> Any:
    """Dump ``exc`` once, within the per-site limit; return the path or ``None``.

    This is the entry every automatic capture point shares. It swallows every
    failure (a warning line instead) because its caller is already handling a
    crash.
    """
    if not isinstance(exc, BaseException):
        return None
    settings = current_settings()
    if already_dumped(exc) or _skipped(exc, settings):
        return None
    if hasattr(sys, "ps1") and not settings.interactive:
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
                          thread_ident=thread_ident)
    except CaptureFailed as error:
        warn(f"could not write crash dump: {error}")
        return None
    except BaseException as error:  # KeyboardInterrupt during capture, etc.
        warn(f"crash dump abandoned: {type(error).__name__}")
        return None
    mark_dumped(exc, path)
    _site_dumps[site] = path
    if announce and not settings.quiet:
        warn(f"crash dump written to {path}")
    return path


def _record_storms() -> None:
    """At exit, note in each storm site's last dump how many crashes were not dumped."""
    limit = current_settings().max_per_site
    for site, seen in list(_site_counts.items()):  # the "atexit" flag has no count
        path = _site_dumps.get(site)
        if path and limit and seen > limit:
            try:
                from .dumping import record_suppressed

                record_suppressed(path, seen - limit)
            except Exception as error:
                warn(f"could not record suppressed crashes in {path}: {error}")


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


def announce_dump(path: Any) -> None:
    """After the traceback, so the familiar output comes first and ours last."""
    if path and not current_settings().quiet:
        warn(f"crash dump written to {path}")
