"""Small text helpers shared by ``--print``, ``--list``, ``--json`` and the debuggers.

They live in one place so that the one-line summary of an exception reads the
same in a listing as in the last line of a printed traceback, so that every
output bounds a value's repr the same way, and so that there is exactly one
rule (``terminal``) for what of a file's text may reach a terminal.
"""

from __future__ import annotations

import re
from typing import Any, List

from ..dumpformat import model

REPR_LIMIT = 200
"""Longest repr ``--locals`` and the listing show for one value, in characters."""
LONG_REPR = 1_000_000
"""Longest ``repr()`` of a loader value (what ``p value`` prints in a debugger)."""
MAX_REPR_DEPTH = 200
"""Deeper containers are written ``[...]``: no 200-character repr shows more levels."""
MAX_INT_BITS = 14_000
"""Longer ints are written ``<int with N bits>``; CPython's default limit on int-to-str
conversion (4300 digits) is about 14,284 bits."""

_HIDDEN_MODULES = ("builtins", "__main__")

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_UNSAFE = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_UNSAFE.update({code: f"\\u{code:04x}" for code in _BIDI})
_ONE_LINE = str.maketrans(_UNSAFE)
_LINES = str.maketrans({k: v for k, v in _UNSAFE.items() if chr(k) not in "\t\n"})
_NEEDS_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff]")


def terminal(text: str, lines: bool = False) -> str:
    """``text`` with everything a terminal would obey written as an escape.

    A file's strings may hold ``ESC`` sequences (window titles, cleared
    screens, rewritten lines), other C0 and C1 controls, and bidi overrides
    that reorder what is shown. Each becomes ``\\x1b``-style text, and a lone
    surrogate becomes ``\\udc80``. ``lines=True`` keeps newlines and tabs, for
    text that is meant to span lines (source, messages, a whole printed
    traceback). ``--json`` never goes through here: it stays exact.
    """
    if text.isprintable() or (lines and not _NEEDS_LINES.search(text)):
        return text  # the usual case, decided in C
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.translate(_LINES if lines else _ONE_LINE)


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


_CONTROL = {c: "?" for c in (*range(32), 127) if chr(c) not in "\n\t"}


def printable(text: str) -> str:
    """``text`` with terminal control characters (escape sequences...) replaced by ``?``:
    a file's text must not be able to drive the user's terminal."""
    return text.translate(_CONTROL)


def one_line(text: str, limit: int = REPR_LIMIT) -> str:
    """Fold ``text`` onto one line and cut it at ``limit`` characters, visibly."""
    text = " ".join(text.split("\n"))
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


class _Full(Exception):
    """Raised inside ``_Repr`` once the text is longer than wanted: stop walking."""


class Shown:
    """Base of the loader's own value types (cut values, library summaries): they write
    their repr into a ``_Repr`` themselves, so it is bounded like a builtin's.

    ``repr()`` of such a value is its ``bounded_repr`` with a generous limit;
    one-line displays (``--print --locals``, listings) use ``_write_one_line``,
    which a multi-line value (a DataFrame's table) overrides.
    """

    __slots__ = ()

    def _write_repr(self, writer: _Repr, depth: int) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return bounded_repr(self, LONG_REPR, one_line=False)

    def _write_one_line(self, writer: _Repr, depth: int) -> None:
        """What one-line displays show; the repr itself unless it spans lines."""
        self._write_repr(writer, depth)


_CLOSED = {list: "[...]", tuple: "(...)", dict: "{...}", set: "set(...)",
           frozenset: "frozenset(...)"}
"""What CPython's repr writes for a container met again inside itself."""


class _Repr:
    """``repr()`` of a captured value, written only as far as ``limit`` characters.

    Captured containers may be shared and cyclic (see ``docs/FORMAT.md``): a
    list of two references to one list, thirty levels deep, has a repr with
    2**30 leaves, which ``repr()`` would expand. Here every node writes at
    least one character and the walk stops past ``limit`` characters, so the
    work is bounded by ``limit`` whatever the shape; nesting beyond
    ``MAX_REPR_DEPTH`` is written ``...`` as ``reprlib`` does. Up to the cut,
    the text is CPython's repr of the same value (cycles included). Only the
    exact types a dump can hold are written here; anything else (the loader's
    stand-ins, a real object restored under ``--trust``) writes its own repr.
    """

    def __init__(self, limit: int, one_line: bool = True) -> None:
        self.limit = limit
        self.one_line = one_line
        self.parts: List[str] = []
        self.size = 0
        self.active: set = set()

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > self.limit:
            raise _Full

    def value(self, value: Any, depth: int = 0) -> None:
        kind = type(value)
        if kind in _CLOSED:
            self.container(value, kind, depth)
        elif kind is str or kind is model.TruncatedStr:
            self.write(_str_repr(value, self.limit - self.size + 2))
            if isinstance(value, model.TruncatedStr):
                self.write(f"<… {_count(value.omitted)} more characters>")
                if isinstance(value.tail, str) and value.tail:
                    self.write(_str_repr(value.tail, self.limit - self.size + 2))
        elif kind in (bytes, bytearray, model.TruncatedBytes):
            body = _bytes_repr(value, self.limit - self.size + 2)
            kind_name = value.kind if isinstance(value, model.TruncatedBytes) else kind.__name__
            if kind_name != "bytes":
                body = f"{as_text(kind_name)}({body})"
            self.write(body)
            if isinstance(value, model.TruncatedBytes):
                self.write(f"<… {_count(value.omitted)} more bytes>")
                if isinstance(value.tail, bytes) and value.tail:
                    self.write(_bytes_repr(value.tail, self.limit - self.size + 2))
        elif kind is int:
            self.write(int_text(value))
        elif kind in (bool, float, complex) or value is None or value is Ellipsis \
                or value is NotImplemented:
            self.write(repr(value))
        elif kind is slice:
            self.write("slice(")
            for i, part in enumerate((value.start, value.stop, value.step)):
                if i:
                    self.write(", ")
                self.value(part, depth + 1)
            self.write(")")
        elif isinstance(value, model.Cut):
            self.write(f"<… {_count(value.count)} more {as_text(value.unit)}>")
        elif isinstance(value, model.ObjectSnapshot):
            if isinstance(value.repr, str):
                self.write(value.repr[: self.limit - self.size + 1])
            else:
                self.value(value.repr, depth + 1)
        elif isinstance(value, Shown):
            if id(value) in self.active:
                self.write("...")
                return
            self.active.add(id(value))
            try:
                if self.one_line:
                    value._write_one_line(self, depth + 1)
                else:
                    value._write_repr(self, depth + 1)
            finally:
                self.active.discard(id(value))
        else:  # the loader's own stand-ins, or a real object restored under --trust
            try:
                text = repr(value)
            except Exception as exc:  # a malformed snapshot must not end a listing
                text = f"<repr failed: {type(exc).__name__}>"
            self.write(text[: self.limit - self.size + 1])

    def items(self, values: Any, depth: int, first: bool = True) -> None:
        """Write ``values`` separated by commas (after one, unless ``first``)."""
        for value in values:
            if not first:
                self.write(", ")
            first = False
            self.value(value, depth)

    def container(self, value: Any, kind: type, depth: int) -> None:
        if id(value) in self.active:
            self.write(_CLOSED[kind])
            return
        if kind is dict:
            opening, closing = "{", "}"
        elif kind is list:
            opening, closing = "[", "]"
        elif kind is tuple:
            opening, closing = "(", ",)" if len(value) == 1 else ")"
        else:
            if not value:
                self.write(f"{kind.__name__}()")
                return
            opening = "{" if kind is set else f"{kind.__name__}({{"
            closing = "}" if kind is set else "})"
        if depth >= MAX_REPR_DEPTH and value:
            self.write(f"{opening}...{closing}")
            return
        self.write(opening)
        self.active.add(id(value))
        try:
            for i, item in enumerate(value.items() if kind is dict else value):
                if i:
                    self.write(", ")
                if kind is dict:
                    self.value(item[0], depth + 1)
                    self.write(": ")
                    item = item[1]
                self.value(item, depth + 1)
        finally:
            self.active.discard(id(value))
        self.write(closing)


def _str_repr(text: str, limit: int) -> str:
    """``repr(text)``, from at most ``limit`` of its characters (its end is cut anyway)."""
    return str.__repr__(text if len(text) <= limit else text[:limit])


def _bytes_repr(data: Any, limit: int) -> str:
    return bytes.__repr__(bytes(data if len(data) <= limit else data[:limit]))


def _count(value: Any) -> str:
    """A count as ``1,234`` (the model types' style), safe for any value from a file."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value, "{:,}")
    return bounded_repr(value, 60)


def int_text(value: int, style: str = "{}") -> str:
    """``repr`` of an int, or ``<int with N bits>`` for one too long to write as digits.

    Converting a huge int to decimal is quadratic, and refused past
    ``sys.get_int_max_str_digits()``; a file can hold an int of millions of bits.
    """
    value = int(value)
    bits = value.bit_length()
    if bits <= MAX_INT_BITS:
        try:
            return style.format(value)
        except ValueError:  # a lower sys.set_int_max_str_digits() than the default
            pass
    return f"<int with {bits:,} bits>"


def as_text(value: Any, limit: int = REPR_LIMIT) -> str:
    """A value from a file that belongs in a line of text: a ``str`` as it is, else its
    bounded repr. Use it wherever a name, line number or message goes into an f-string."""
    if isinstance(value, str):
        return value
    return bounded_repr(value, limit)


def bounded_repr(value: Any, limit: int = REPR_LIMIT, one_line: bool = True) -> str:
    """The repr of a captured value, cut at ``limit`` characters.

    Captured values are plain builtins and the ``model`` types, whose reprs
    run no code from the dump; a repr that fails anyway is reported, not raised.
    The work is bounded by ``limit`` too (see ``_Repr``), so a shared or huge
    value costs no more than a small one. ``one_line``: a value that prints on
    several lines (a DataFrame's table) writes its one-line form.
    """
    writer = _Repr(limit, one_line)
    try:
        writer.value(value)
    except _Full:
        pass
    except RecursionError:  # only a --trust object's own repr can nest this deep
        writer.parts.append("<repr failed: RecursionError>")
    text = "".join(writer.parts)
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
