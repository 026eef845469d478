"""Small text helpers shared by ``--print``, ``--list`` and ``--json``.

They live in one place so that the one-line summary of an exception reads the
same in a listing as in the last line of a printed traceback, and so that every
output bounds a value's repr the same way.
"""

from __future__ import annotations

from typing import Any

REPR_LIMIT = 200
"""Longest repr ``--locals`` and the listing show for one value, in characters."""

_HIDDEN_MODULES = ("builtins", "__main__")


def type_name(module: str | None, qualname: str) -> str:
    """Name an exception type the way CPython's traceback does.

    ``builtins`` and ``__main__`` are left out, any other module is a prefix,
    and a type whose module is unknown gets ``<unknown>`` as CPython does.
    """
    if module is None:
        return f"<unknown>.{qualname}"
    if module in _HIDDEN_MODULES:
        return qualname
    return f"{module}.{qualname}"


def exception_line(type_str: str, message: str | None) -> str:
    """``Type: message``, or just ``Type`` for an empty message, as CPython prints it."""
    if not message:
        return type_str
    return f"{type_str}: {message}"


def one_line(text: str, limit: int = REPR_LIMIT) -> str:
    """Fold ``text`` onto one line and cut it at ``limit`` characters, visibly."""
    text = " ".join(text.split("\n"))
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def bounded_repr(value: Any, limit: int = REPR_LIMIT) -> str:
    """The repr of a captured value, cut at ``limit`` characters.

    Captured values are plain builtins and the ``model`` types, whose reprs
    run no code from the dump; a repr that fails anyway is reported, not raised.
    """
    try:
        text = repr(value)
    except Exception as exc:  # a malformed snapshot must not end a listing
        text = f"<repr failed: {type(exc).__name__}>"
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def human_size(size: int) -> str:
    """A file size as ``812 B``, ``3.4 KiB`` or ``1.2 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable; keeps type checkers content
