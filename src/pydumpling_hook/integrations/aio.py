"""asyncio: exceptions nobody awaited, and everything handed to the loop's handler.

A Task that dies unawaited is reported from its ``__del__`` through
``loop.call_exception_handler(context)`` ("Task exception was never
retrieved"), and so are failing callbacks. That method is the one door
every such report goes through, whether the app set its own handler with
``loop.set_exception_handler`` or not, so we wrap it on ``BaseEventLoop``
itself: loops created later (``asyncio.run``) are covered, the app's handler
is neither replaced nor bypassed, and its output is unchanged. We dump
before calling it, so that the default handler's ``logger.error`` finds the
exception already dumped (with the task named) and the logging integration
skips it. Exceptions a Task raises into an ``await`` never get here, so a
retrieved exception is not dumped. Loops that do not derive from
``BaseEventLoop`` (uvloop) are not covered.
"""

from __future__ import annotations

from . import _patch
from ._common import capture_around

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

TAG = "aio"


def patch(asyncio: Any) -> None:
    """Called once ``asyncio`` is imported."""
    _patch.wrap(asyncio.base_events.BaseEventLoop, "call_exception_handler",
                _call_exception_handler, TAG)


def _call_exception_handler(original: Any, args: tuple, kwargs: dict) -> Any:
    context = args[1] if len(args) > 1 else kwargs.get("context")
    exc = context.get("exception") if isinstance(context, dict) else None
    if exc is None:
        return original(*args, **kwargs)
    return capture_around(lambda: original(*args, **kwargs), exc, "asyncio",
                          extra=_describe(context))


def _describe(context: dict) -> dict:
    """The loop's message and, for a task, its name and its coroutine's name."""
    extra = {"asyncio_message": context.get("message")}
    future = context.get("future") or context.get("task")
    try:
        if hasattr(future, "get_coro"):
            coro = future.get_coro()
            extra["task"] = future.get_name()
            extra["coroutine"] = getattr(coro, "__qualname__", None) or repr(type(coro))
        elif context.get("handle") is not None:
            extra["handle"] = context["handle"]  # copied safely, no repr() of app code
    except Exception:
        pass
    return extra
