"""Cut strings and bytes: the true length, the kept head and tail, and refusals.

See ``cuts`` for the rules every cut value follows. A string adds its own:
``startswith`` and ``endswith`` answer from the kept ends when those are long
enough (or already tell the values apart), ``str()`` of a cut string shows the
marker between its ends, and every other ``str``/``bytes`` method raises, since
it would need the whole value.
"""

from __future__ import annotations

import operator
from typing import Any

from .cuts import ONE_LINE, NotCapturedError, Partial


class CutText(Partial):
    """A cut ``str``, ``bytes`` or ``bytearray``: the true length, the kept head and tail."""

    __slots__ = ("kind", "head", "omitted", "tail")

    def __init__(self, kind: str, head: Any, omitted: int, tail: Any) -> None:
        self.kind = kind
        self.head = head
        self.omitted = omitted
        self.tail = tail

    @property
    def unit(self) -> str:
        return "characters" if self.kind == "str" else "bytes"

    def __len__(self) -> int:
        return len(self.head) + self.omitted + len(self.tail)

    def __bool__(self) -> bool:
        return True

    __hash__ = object.__hash__

    def __getitem__(self, key: Any) -> Any:
        total = len(self)
        if isinstance(key, slice):
            wanted = range(total)[key]
            if len(wanted) > len(self.head) + len(self.tail):
                raise self._refuse(f"[{key.start}:{key.stop}:{key.step}]")
            parts = [self[i] for i in wanted]
            return "".join(parts) if self.kind == "str" else bytes(parts)
        index = operator.index(key)
        if index < 0:
            index += total
        if not 0 <= index < total:
            raise IndexError(f"{self.kind} index out of range")
        start = total - len(self.tail)
        if index < len(self.head):
            return self.head[index]
        if index >= start:
            return self.tail[index - start]
        raise NotCapturedError(
            f"character {index} of {total} was not captured (kept: 0–{len(self.head) - 1} and "
            f"{start}–{total - 1})" if self.kind == "str" else
            f"byte {index} of {total} was not captured (kept: 0–{len(self.head) - 1} and "
            f"{start}–{total - 1})")

    def __contains__(self, part: Any) -> bool:
        if part in self.head or part in self.tail:
            return True
        raise self._refuse("'in'")

    def startswith(self, prefix: Any) -> bool:
        """Answered from the head when it is long enough (or already tells them apart)."""
        if len(prefix) <= len(self.head):
            return self.head.startswith(prefix)
        if not prefix.startswith(self.head) or len(prefix) > len(self):
            return False
        raise self._refuse("startswith()")

    def endswith(self, suffix: Any) -> bool:
        """Answered from the tail when it is long enough (or already tells them apart)."""
        if len(suffix) <= len(self.tail):
            return self.tail.endswith(suffix)
        if self.tail and not suffix.endswith(self.tail) or len(suffix) > len(self):
            return False
        raise self._refuse("endswith()")

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if not isinstance(other, (str, bytes, bytearray, CutText)):
            return NotImplemented
        if isinstance(other, CutText):
            if len(other) != len(self) or other.kind != self.kind:
                return False
            raise self._refuse("comparing")
        if isinstance(other, str) != (self.kind == "str"):
            return False
        if len(other) != len(self) or not other.startswith(self.head) or (
                self.tail and not other.endswith(self.tail)):
            return False
        raise self._refuse("comparing")

    def __add__(self, other: Any) -> Any:
        raise self._refuse("'+'")

    __radd__ = __add__

    def __getattr__(self, name: str) -> Any:
        base = str if self.kind == "str" else bytes
        if not name.startswith("_") and hasattr(base, name):
            raise self._refuse(f"{base.__name__}.{name}()")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __str__(self) -> str:
        if self.kind != "str":
            return repr(self)
        return f"{self.head}<… {self.omitted:,} more characters>{self.tail}"

    def _write_repr(self, writer: Any, depth: int) -> None:
        self._write_parts(writer, depth, self.head, self.tail)

    def _write_one_line(self, writer: Any, depth: int) -> None:
        heads, tails = (10 * n for n in ONE_LINE)
        self._write_parts(writer, depth, self.head[:heads], self.tail[-tails:])

    def _write_parts(self, writer: Any, depth: int, head: Any, tail: Any) -> None:
        if self.kind == "bytearray":
            writer.write("bytearray(")
        writer.value(head, depth)
        if self.kind == "bytearray":
            writer.write(")")
        writer.write(f"{'…' if len(head) < len(self.head) else ''}<… {self.omitted:,} more "
                     f"{self.unit}>{'…' if len(tail) < len(self.tail) else ''}")
        if tail:
            writer.value(tail, depth)
