"""Per-type knowledge for the copier, one small module per family of types.

The copier knows builtins; everything it knows about a particular library or
stdlib type (what to keep of a ``deque``, a ``datetime``, an ``ndarray``)
lives in a handler module here. A handler is found by the exact ``module``
and ``qualname`` of a type, once per type (the copier caches it), and its
module is imported only when such a type is met, so a crash in a program
without numpy never imports the numpy handler.

A handler is ``handler(copier, value, info, depth) -> copy``: it returns what
the dump holds for ``value`` (usually an ``ObjectSnapshot``), uses the copier
for every nested value (budgets, memo, redaction), and must run no
application code. Handler modules declare ``HANDLERS = {(module, qualname):
function}``; ``TYPES`` below says which module serves which type.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

TYPES: dict[tuple[str, str], str] = {
    ("collections", "deque"): "stdlib",
}
"""``(module, qualname)`` of a type -> the handler module (in this package) that copies it."""


def find(cls: type, module: str, qualname: str) -> Callable[..., Any] | None:
    """The handler for exactly this type, or ``None``; subclasses are not matched."""
    name = TYPES.get((module, qualname))
    if name is None:
        return None
    full = f"{__name__}.{name}"
    handlers = sys.modules.get(full)
    if handlers is None:
        __import__(full)
        handlers = sys.modules[full]
    return handlers.HANDLERS.get((module, qualname))
