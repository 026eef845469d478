"""``@capture`` and ``with capture():``: dump an exception on its way through, then let it go.

For code whose exceptions never reach a hook because a framework catches
them (a request handler, a job runner), or to dump at a chosen boundary. The
exception propagates unchanged, and the dump marks it, so an outer
``capture``, the logging integration or the excepthook do not dump it again.

The decorator is built with wrapt so that the result stays what it wraps for
``inspect`` (signature, ``iscoroutinefunction``, ``isgeneratorfunction``) and
for descriptors (methods, classmethods, staticmethods). Coroutine and
generator functions get a wrapper of their own kind, because the exception
only appears once the coroutine or generator runs. Control-flow exceptions
(``GeneratorExit``, ``asyncio.CancelledError``, and the configured skip list)
are not dumped.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import wrapt

from .integrations._common import capture as _capture

REASON = "capture"
_CONTROL_FLOW = {"CancelledError", "GeneratorExit", "StopIteration", "StopAsyncIteration"}


def _dump(exc: BaseException) -> None:
    if type(exc).__name__ not in _CONTROL_FLOW:
        _capture(exc, REASON)


@wrapt.decorator
def _plain(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    __tracebackhide__ = True  # noqa: F841 (pytest hides this frame)
    try:
        return wrapped(*args, **kwargs)
    except BaseException as exc:
        _dump(exc)
        raise


@wrapt.decorator
async def _coroutine(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    __tracebackhide__ = True  # noqa: F841
    try:
        return await wrapped(*args, **kwargs)
    except BaseException as exc:
        _dump(exc)
        raise


@wrapt.decorator
def _generator(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    __tracebackhide__ = True  # noqa: F841
    try:
        return (yield from wrapped(*args, **kwargs))
    except BaseException as exc:
        _dump(exc)
        raise


@wrapt.decorator
async def _async_generator(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    __tracebackhide__ = True  # noqa: F841
    agen = wrapped(*args, **kwargs)
    try:
        value = await agen.__anext__()
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                await agen.aclose()
                raise
            except BaseException as thrown:
                value = await agen.athrow(thrown)
            else:
                value = await agen.asend(sent)
    except StopAsyncIteration:
        return
    except BaseException as exc:
        _dump(exc)
        raise


def _decorate(wrapped: Callable) -> Callable:
    target = getattr(wrapped, "__func__", wrapped)  # classmethod / staticmethod objects
    if inspect.isasyncgenfunction(target):
        return _async_generator(wrapped)
    if inspect.iscoroutinefunction(target):
        return _coroutine(wrapped)
    if inspect.isgeneratorfunction(target):
        return _generator(wrapped)
    return _plain(wrapped)


class capture:  # lower case: used like a function (@capture, with capture())
    """Dump any exception that passes through; usable bare, called, or as a context manager.

    ``@capture`` / ``@capture()`` on a function, method, ``async def`` function or
    generator, and ``with capture():`` around a block. The exception is
    re-raised unchanged.
    """

    def __new__(cls, wrapped: Callable | None = None) -> Any:
        if wrapped is not None:
            return _decorate(wrapped)
        return super().__new__(cls)

    def __call__(self, wrapped: Callable) -> Callable:
        return _decorate(wrapped)

    def __enter__(self) -> capture:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if isinstance(exc, BaseException):
            _dump(exc)
        return False

    async def __aenter__(self) -> capture:
        return self

    async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return self.__exit__(kind, exc, tb)
