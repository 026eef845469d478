"""What the variables presenter asks of a value: its repr, its type, and its children.

The protocol code never looks at a value's type: it calls ``view(value)`` and
gets a ``View`` that names the children and pages the indexed ones (a leaf's
view has none). ``view`` is a ``functools.singledispatch`` function, so a new
value type (the loader's cut-aware containers, say) plugs in with
``view.register(NewType)`` or by being a ``collections.abc`` Mapping,
Sequence or Set, without any change to the protocol side.

Values may come from a hostile file or be the user's own objects, so every
``len``, item access and repr is guarded: a failure becomes the text of that
one child (``<error: IndexError: ...>``), never an exception out of here.
"""

from __future__ import annotations

import collections.abc
import keyword
from functools import singledispatch
from itertools import islice
from typing import Any, List, NamedTuple

from ...dumpformat import model
from ..cuts import CutDict, CutList, CutValue
from ..cuttext import CutText
from ..text import bounded_repr
from ..values import Snapshot

VALUE_LIMIT = 4000
"""Characters of a value's repr sent in a variable or an evaluate result."""
NAME_LIMIT = 200
"""Characters of a dict key's repr used as a child's name."""
MAX_NAMED = 10_000
"""Named children listed for one value (a namespace from a file holds at most this many)."""
CUT_NAME = "…"
"""The name of a child that stands for the items capture left out."""


class Child(NamedTuple):
    """One child: its display name, its value, and how to reach it from the parent's
    expression (``[3]``, ``['key']``, ``.attr``), or None when no expression can."""

    name: str
    value: Any
    access: str | None


def error_text(error: BaseException, limit: int = 500) -> str:
    """``Type: message`` of an exception raised by a value or by the user's expression,
    which may itself fail to turn into text."""
    try:
        detail = str(error)
    except Exception:
        detail = "<str() failed>"
    text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Failed:
    """A child whose value could not be read: shown as the error, with no children."""

    __slots__ = ("text",)

    def __init__(self, exc: BaseException) -> None:
        self.text = f"<error: {error_text(exc)}>"

    def __repr__(self) -> str:
        return self.text


def _size(value: Any) -> int:
    try:
        return max(int(len(value)), 0)
    except Exception:
        return 0


class View:
    """A leaf has no children; subclasses override what they have."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def named_count(self) -> int:
        return 0

    def indexed_count(self) -> int:
        return 0

    def named(self) -> List[Child]:
        return []

    def indexed(self, start: int, stop: int) -> List[Child]:
        return []


class SizedView(View):
    """A container: as many indexed children as ``len()`` says (0 if ``len()`` fails)."""

    def indexed_count(self) -> int:
        return _size(self.value)


class SequenceView(SizedView):
    """Lists, tuples and any Sequence: children by position, read one at a time."""

    def indexed(self, start: int, stop: int) -> List[Child]:
        out = []
        for index in range(start, min(stop, self.indexed_count())):
            try:
                item = self.value[index]
            except Exception as exc:  # e.g. an index in the part capture left out
                item = Failed(exc)
            if isinstance(item, model.Cut):
                out.append(Child(CUT_NAME, item, None))
            else:
                out.append(Child(str(index), item, f"[{index}]"))
        return out


def _key_access(key: Any) -> str | None:
    """``[repr(key)]`` when that repr evaluates back to an equal key, else None."""
    if type(key) in (str, int, bool, bytes) or key is None:
        return f"[{bounded_repr(key, NAME_LIMIT * 12)}]" if _size(key) <= NAME_LIMIT else None
    return None


class MappingView(SizedView):
    """Dicts and any Mapping: entries as *indexed* children named by the key's repr,
    so that editors page a dict of a million entries as they page a list."""

    def indexed(self, start: int, stop: int) -> List[Child]:
        out = []
        try:
            for key, item in islice(self.value.items(), start, stop):
                if isinstance(key, model.Cut):
                    out.append(Child(CUT_NAME, key, None))
                else:
                    out.append(Child(bounded_repr(key, NAME_LIMIT), item, _key_access(key)))
        except Exception as exc:  # a mapping that fails while iterated
            out.append(Child("<error>", Failed(exc), None))
        return out


class SetView(SizedView):
    """Sets: children in iteration order, named by position (a set has no keys)."""

    def indexed(self, start: int, stop: int) -> List[Child]:
        try:
            items = list(islice(self.value, start, stop))
        except Exception as exc:
            return [Child("<error>", Failed(exc), None)]
        return [Child(CUT_NAME if isinstance(item, model.Cut) else str(start + i), item, None)
                for i, item in enumerate(items)]


class CutView(View):
    """A container capture cut (``cuts``): the kept head, one child standing for the
    items left out (``<… 4,000 more items>``), then the kept tail. Kept items of a
    list or tuple are named by their true position, so ``numbers[4999]`` is the
    live list's last item."""

    def __init__(self, value: CutValue) -> None:
        super().__init__(value)
        self.head, self.tail = list(self._pairs(value.head)), list(self._pairs(value.tail))

    def _pairs(self, part: Any) -> Any:
        return part.items() if isinstance(self.value, CutDict) else enumerate(part)

    def indexed_count(self) -> int:
        return len(self.head) + 1 + len(self.tail)

    def indexed(self, start: int, stop: int) -> List[Child]:
        value, kept = self.value, len(self.head)
        out = []
        for index in range(start, min(stop, self.indexed_count())):
            if index == kept:
                out.append(Child(CUT_NAME, model.Cut(value.omitted, value.unit), None))
                continue
            key, item = self.head[index] if index < kept else self.tail[index - kept - 1]
            if isinstance(value, CutDict):
                out.append(Child(bounded_repr(key, NAME_LIMIT), item, _key_access(key)))
            elif isinstance(value, CutList):
                position = key if index < kept else value.total - len(self.tail) + key
                out.append(Child(str(position), item, f"[{position}]"))
            else:  # a set: no positions to reach an item by
                out.append(Child(str(index if index < kept else index - 1), item, None))
        return out


def names(namespace: Any, attribute: bool) -> List[Child]:
    """Children named by the str keys of ``namespace`` (locals, globals, ``vars()``).

    Named children are not paged by editors, so past ``MAX_NAMED`` the rest is
    one visible cut. ``attribute``: reached as ``.name`` rather than as ``name``.
    """
    out = []
    try:
        for name, item in namespace.items():
            if len(out) == MAX_NAMED:
                out.append(Child(CUT_NAME, model.Cut(_size(namespace) - MAX_NAMED, "names"), None))
                break
            if isinstance(name, str):
                access = f".{name}" if attribute else name
                usable = name.isidentifier() and not keyword.iskeyword(name)
                out.append(Child(name, item, access if usable else None))
    except Exception as exc:  # a namespace that fails while iterated
        out.append(Child("<error>", Failed(exc), None))
    return out


class AttributesView(View):
    """An object with a ``__dict__``: its attributes as named children; a Snapshot's
    captured items (an OrderedDict's entries, a deque's items) as indexed ones."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        try:
            namespace = vars(value)
            self._named = names(namespace, attribute=True) if isinstance(namespace, (
                dict, collections.abc.Mapping)) else []
        except Exception:
            self._named = []
        items = value.__pydumpling__[1] if isinstance(value, Snapshot) else None
        self._items = view(items) if items is not None else View(None)

    def named_count(self) -> int:
        return len(self._named)

    def named(self) -> List[Child]:
        return self._named

    def indexed_count(self) -> int:
        return self._items.indexed_count()

    def indexed(self, start: int, stop: int) -> List[Child]:
        return self._items.indexed(start, stop)


@singledispatch
def view(value: Any) -> View:
    """The ``View`` of ``value``; anything unknown is shown by its attributes, if any."""
    try:
        has_dict = isinstance(getattr(value, "__dict__", None), (dict, collections.abc.Mapping))
    except Exception:
        has_dict = False
    return AttributesView(value) if has_dict else View(value)


for _leaf in (str, bytes, bytearray, int, float, complex, bool, type(None), model.Cut,
              model.Redacted, Failed, type, type(Ellipsis), CutText):
    view.register(_leaf)(View)
view.register(collections.abc.Sequence)(SequenceView)
view.register(collections.abc.Mapping)(MappingView)
view.register(collections.abc.Set)(SetView)
view.register(Snapshot)(AttributesView)
view.register(CutValue)(CutView)


def text(value: Any, limit: int = VALUE_LIMIT) -> str:
    """The value's repr as shown, bounded; never raises.

    A string or bytes value longer than ``limit`` shows its first ``limit``
    characters and says how many follow, and how many of those capture did
    not keep: a string has no children to expand, so its cut must be in the text.
    """
    try:
        if isinstance(value, (str, bytes, bytearray)) and len(value) > limit:
            unit = "characters" if isinstance(value, str) else "bytes"
            omitted = value.omitted if isinstance(
                value, (model.TruncatedStr, model.TruncatedBytes)) else 0
            lost = f", then {omitted:,} not captured" if omitted else ""
            head = bounded_repr(value[:limit], limit * 12)
            return f"{head}<… {len(value) - limit:,} more {unit}{lost}>"
        # past the variable's one line (Copy Value): the whole kept text, head and tail
        return bounded_repr(value, limit, one_line=limit <= VALUE_LIMIT)
    except Exception as exc:  # bounded_repr guards reprs; this is for anything it missed
        return f"<repr failed: {type(exc).__name__}>"


def type_name(value: Any) -> str:
    """The type a user expects to see: the application's type for a snapshot, the
    original type for a cut value (``str`` for a cut string)."""
    if isinstance(value, model.TruncatedStr):
        return "str"
    if isinstance(value, model.TruncatedBytes):
        return value.kind
    if isinstance(value, (CutValue, CutText)):
        return str(value.kind)
    if isinstance(value, model.Cut):
        return "cut"
    if isinstance(value, model.Redacted):
        return "redacted"
    if isinstance(value, Failed):
        return "error"
    return type(value).__qualname__
