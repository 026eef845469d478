"""Cut values: containers, strings and bytes that capture did not keep whole.

A debugger that answers a wrong number is worse than one that says "not
captured". So a cut value knows its true length and keeps both of its ends
(capture keeps nine tenths of its budget from the start and one tenth from
the end: 900 + 100 items, 9,000 + 1,000 characters), and every question is
answered with the live program's answer or with ``NotCapturedError``:

* ``len()`` is the true length; ``repr()`` shows the kept items around a
  ``<… N more items>`` marker;
* an index (or slice) into the kept ends gives the item; one into the middle
  raises ``item 2500 of 5000 was not captured``;
* iteration raises (``sum(nums)`` must not be a smaller number); ``.head``
  and ``.tail`` are the kept ends as real lists, dicts or strings, to compute
  with on purpose;
* ``x in v``, ``d[key]`` and ``d.get(key)`` answer from the kept items when
  they can, else raise; ``==`` answers False when the lengths or the kept ends
  differ, else raises; hashable kinds (tuple, frozenset, str, bytes) hash by
  identity;
* any other ``str``/``bytes`` method raises (it would need the whole value;
  ``cuttext`` has the string kinds).

Presenters (DAP, HTML) show ``.head``, a marker for ``omitted`` items and
``.tail``; ``dir()`` lists those and the methods that work.
"""

from __future__ import annotations

import operator
from typing import Any

from .records import MAX_COUNT
from .text import Shown, as_text, bounded_repr

_OPENINGS = {
    "list": ("[", "]"), "tuple": ("(", ")"), "deque": ("deque([", "])"),
    "set": ("{", "}"), "frozenset": ("frozenset({", "})"), "dict": ("{", "}"),
    "OrderedDict": ("OrderedDict({", "})"), "Counter": ("Counter({", "})"),
    "defaultdict": ("defaultdict(…, {", "})"),
}
MAPPINGS = frozenset({"dict", "OrderedDict", "Counter", "defaultdict"})
ONE_LINE = (5, 2)
"""Items (characters: ten times as many) of the head and the tail that one-line displays
show around the marker, so that the marker fits in their 200 characters; ``…`` stands for
kept items left unshown."""
SETS = frozenset({"set", "frozenset"})


class NotCapturedError(Exception):
    """The dump does not hold what this question needs; the message says what it lacks."""


def _kept(head: Any, tail: Any) -> str:
    return f"the first {len(head):,} and the last {len(tail):,}" if tail else \
        f"the first {len(head):,}"


class Partial(Shown):
    """What every cut value shares: refusing, with what was kept, what needs the rest."""

    __slots__ = ()
    kind: str
    head: Any
    tail: Any
    omitted: int
    unit: str

    def _refuse(self, doing: str) -> NotCapturedError:
        return NotCapturedError(
            f"{doing} needs all {len(self):,} {self.unit} of this {self.kind}, but "
            f"{self.omitted:,} were not captured (kept: {_kept(self.head, self.tail)}, in "
            ".head and .tail)")

    def __iter__(self) -> Any:
        raise self._refuse("iterating")

    def __ne__(self, other: Any) -> Any:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal


class CutValue(Partial):
    """Shared behaviour of the cut kinds. ``omitted`` items sit between head and tail."""

    __slots__ = ("kind", "total", "head", "tail")
    unit = "items"
    part: type = list

    def __init__(self, kind: str, total: int, head: Any, tail: Any) -> None:
        self.kind = kind
        self.head = head
        self.tail = tail
        self.total = max(total, len(head) + len(tail))

    @property
    def omitted(self) -> int:
        """How many items (characters, bytes) were not captured."""
        return self.total - len(self.head) - len(self.tail)

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __setstate__(self, state: Any) -> None:
        """The pickle state ``(head, tail)``; a part of the wrong type is left empty."""
        if isinstance(state, tuple) and len(state) == 2:
            self.head, self.tail = (p if type(p) is self.part else self.part() for p in state)
            self.total = max(self.total, len(self.head) + len(self.tail))

    def _found(self, item: Any, found: bool) -> bool:
        if found:
            return True
        raise NotCapturedError(
            f"{bounded_repr(item, 60)} is not among the {len(self.head) + len(self.tail):,} "
            f"captured {self.unit} of this {self.kind}; {self.omitted:,} were not captured")

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        if self._comparable(other):
            if len(other) != self.total or self._differs(other):
                return False
            raise self._refuse("comparing")
        return NotImplemented

    def _comparable(self, other: Any) -> bool:
        return isinstance(other, CutValue) and other.kind == self.kind

    def _differs(self, other: Any) -> bool:
        """Whether the kept ends show ``other`` (of the same length) is different."""
        return False

    __hash__ = None  # type: ignore[assignment]

    def _write_marker(self, writer: Any) -> None:
        writer.write(f"<… {self.omitted:,} more {self.unit}>")

    def _write_repr(self, writer: Any, depth: int) -> None:
        self._write_parts(writer, depth, self.head, self.tail, False, False)

    def _write_one_line(self, writer: Any, depth: int) -> None:
        heads, tails = ONE_LINE
        head, tail = _part(self.head, 0, heads), _part(self.tail, -tails, None)
        self._write_parts(writer, depth, head, tail, len(head) < len(self.head),
                          len(tail) < len(self.tail))

    def _write_parts(self, writer: Any, depth: int, head: Any, tail: Any, more_head: bool,
                     more_tail: bool) -> None:
        opening, closing = _OPENINGS.get(self.kind, (f"{as_text(self.kind, 40)}([", "])"))
        writer.write(opening)
        self._write_items(writer, head, depth)
        writer.write(", …, " if more_head else ", " if head else "")
        self._write_marker(writer)
        writer.write(", …" if more_tail else "")
        self._write_items(writer, tail, depth, first=False)
        writer.write(closing)

    def _write_items(self, writer: Any, items: Any, depth: int, first: bool = True) -> None:
        writer.items(items, depth, first)


class CutList(CutValue):
    """A cut list, tuple or deque: items by position from both ends."""

    __slots__ = ()

    def _position(self, key: Any) -> int:
        index = operator.index(key)
        total = self.total
        if index < 0:
            index += total
        if not 0 <= index < total:
            raise IndexError(f"{self.kind} index out of range")
        return index

    def _at(self, index: int) -> Any:
        kept = len(self.head)
        if index < kept:
            return self.head[index]
        start = self.total - len(self.tail)
        if index >= start:
            return self.tail[index - start]
        raise NotCapturedError(
            f"item {index} of {self.total} was not captured (kept: items 0–{kept - 1} and "
            f"{start}–{self.total - 1})")

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return self._at(self._position(key))
        if self.kind == "deque":
            raise TypeError("sequence index must be integer, not 'slice'")
        wanted = range(self.total)[key]
        try:
            if len(wanted) > len(self.head) + len(self.tail):
                raise NotCapturedError
            items = [self._at(i) for i in wanted]
        except NotCapturedError:
            raise NotCapturedError(
                f"{self.kind}[{key.start}:{key.stop}:{key.step}] reaches items that were not "
                f"captured (kept: {_kept(self.head, self.tail)} of {self.total:,})") from None
        return tuple(items) if self.kind == "tuple" else items

    def __contains__(self, item: Any) -> bool:
        return self._found(item, item in self.head or item in self.tail)

    def index(self, item: Any) -> int:
        """The position of ``item`` if it is among the kept items (else it is unknown)."""
        if item in self.head:
            return self.head.index(item)
        if item in self.tail:
            return self.total - len(self.tail) + self.tail.index(item)
        return self._found(item, False)

    def _comparable(self, other: Any) -> bool:
        plain = {"list": list, "tuple": tuple}.get(self.kind)
        return super()._comparable(other) or (plain is not None and type(other) is plain)

    def _differs(self, other: Any) -> bool:
        if isinstance(other, CutValue):
            return False
        head, tail = list(self.head), list(self.tail)
        return list(other[:len(head)]) != head or bool(tail) and list(other[-len(tail):]) != tail


class CutTuple(CutList):
    __slots__ = ()
    __hash__ = object.__hash__  # a key of a captured dict: identity is all we know


class CutSet(CutValue):
    """A cut set: membership answers True from the kept items, else it is unknown."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state)
        self.tail = []  # a set has no order, so no end to keep

    def __contains__(self, item: Any) -> bool:
        return self._found(item, item in self.head)

    def _comparable(self, other: Any) -> bool:
        return super()._comparable(other) or type(other) in (set, frozenset)

    def _differs(self, other: Any) -> bool:
        return not isinstance(other, CutValue) and any(item not in other for item in self.head)


class CutFrozenSet(CutSet):
    __slots__ = ()
    __hash__ = object.__hash__


class CutDict(CutValue):
    """A cut dict (or OrderedDict, Counter, defaultdict): keys looked up in the kept
    entries; a key that is not there may be in the part that was not captured."""

    __slots__ = ()
    unit = "entries"
    part = dict

    def _entry(self, key: Any) -> Any:
        for part in (self.head, self.tail):
            if key in part:
                return part[key]
        raise NotCapturedError(
            f"key {bounded_repr(key, 60)} is not among the {len(self.head) + len(self.tail):,} "
            f"captured entries of this {self.kind}; {self.omitted:,} were not captured")

    def __getitem__(self, key: Any) -> Any:
        return self._entry(key)

    def get(self, key: Any, default: Any = None) -> Any:
        """Like ``dict.get``, except that a key not captured raises instead of ``default``."""
        return self._entry(key)

    def __contains__(self, key: Any) -> bool:
        self._entry(key)
        return True

    def keys(self) -> Any:
        raise self._refuse("keys()")

    def values(self) -> Any:
        raise self._refuse("values()")

    def items(self) -> Any:
        raise self._refuse("items()")

    def _comparable(self, other: Any) -> bool:
        return super()._comparable(other) or type(other) is dict

    def _differs(self, other: Any) -> bool:
        if isinstance(other, CutValue):
            return False
        missing = object()
        return any(other.get(k, missing) != v for part in (self.head, self.tail)
                   for k, v in part.items())

    def _write_items(self, writer: Any, items: Any, depth: int, first: bool = True) -> None:
        for key, item in items.items():
            if not first:
                writer.write(", ")
            first = False
            writer.value(key, depth)
            writer.write(": ")
            writer.value(item, depth)


def _part(items: Any, start: int, stop: int | None) -> Any:
    """A slice of a list or of a dict's entries."""
    if isinstance(items, dict):
        keys = list(items)[start:stop]
        return {k: items[k] for k in keys}
    return items[start:stop]


def cut_container(kind: Any = "list", total: Any = 0) -> CutValue:
    """Factory for ``model.CutContainer``: the class by kind; the content (``head``,
    ``tail``) comes from the pickle state."""
    name = kind[:40] if isinstance(kind, str) else "list"
    count = total if isinstance(total, int) and not isinstance(total, bool) and \
        0 <= total <= MAX_COUNT else 0
    if name in MAPPINGS:
        return CutDict(name, count, {}, {})
    if name in SETS:
        return (CutFrozenSet if name == "frozenset" else CutSet)(name, count, [], [])
    return (CutTuple if name == "tuple" else CutList)(name, count, [], [])
