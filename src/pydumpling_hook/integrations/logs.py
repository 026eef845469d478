"""``logging``: a record at ERROR or above that carries ``exc_info`` leaves a dump.

Most frameworks (Django, Flask, Celery, gunicorn...) catch the exception and
``logger.exception(...)`` it, so the excepthook never sees it. We patch
``logging.Logger.callHandlers`` on the class rather than adding a handler:
a handler would be dropped by ``dictConfig``, ``basicConfig(force=True)`` or a
framework resetting the root logger, while a class attribute survives all of
them, covers every logger (including subclasses set by ``setLoggerClass``),
and is only reached by records that passed the logger's level, ``disabled``
flag and filters, so logging the app silenced does not dump either. The
handlers see the record unchanged; our notice line comes after their output.
"""

from __future__ import annotations

from . import _patch
from ._common import capture_around

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

TAG = "logs"
ERROR = 40


def patch(logging: Any) -> None:
    """Called once ``logging`` is imported (unless ``settings.logging`` is off)."""
    _patch.wrap_with(logging.Logger, "callHandlers", _build, TAG)


def _build(original: Any) -> Any:
    """Every record passes here: the common case is two attribute reads, then the original."""

    def callHandlers(self: Any, record: Any) -> Any:  # named like the method it replaces
        info = getattr(record, "exc_info", None)
        if not info or getattr(record, "levelno", 0) < ERROR:
            return original(self, record)
        return _dump_and_call(original, self, record, info)

    return callHandlers


def _dump_and_call(original: Any, logger: Any, record: Any, info: Any) -> Any:
    try:
        exc, tb = info[1], info[2]
        extra = {"logger": record.name, "level": record.levelname, "log_message": record.msg}
    except Exception:  # an exc_info that is not a triple: nothing we can dump
        return original(logger, record)
    return capture_around(lambda: original(logger, record), exc, "logging", extra=extra, tb=tb)
