"""Loader-side stand-ins for the ``model`` types found in a dump's safe body.

The restricted unpickler in ``pydumpling_hook.dumpfile`` calls these factories
instead of the model classes (see ``factories``). They exist because a debugger
user wants to see the *application's* types: ``whatis order`` should print
``<class '__main__.Order'>`` and ``order.total`` should just work, while every
name, number and string in the file stays untrusted data. So the factories
validate their arguments, sanitize type names before they become class names,
escape what a terminal would obey, and never import anything a file names.

A file may share one huge string among thousands of values (a few bytes of
pickle each), and each factory call copies what it keeps. So the calls of one
load share a ``TextBudget``: past it, kept text shrinks to a short prefix.
"""

from __future__ import annotations

import keyword
from typing import Any, Callable, Dict

from ..dumpformat import model
from .records import MAX_COUNT, integer
from .text import terminal

NAME_LIMIT = 200
"""Longest type or frame name kept from a file, in characters."""
TEXT_LIMIT = 100_000
"""Longest kept prefix of a cut string or bytes, or of an object's repr (capture keeps
10,000 and 300 at its default budgets)."""
TEXT_BUDGET = 32 << 20
"""Characters the factories of one load keep in all; past that, ``SPENT_LIMIT`` each."""
SPENT_LIMIT = 80
MAX_SNAPSHOT_CLASSES = 10_000
"""Distinct application types named in this process; further ones share one class."""


def clean_text(value: Any, default: str, limit: int = NAME_LIMIT, lines: bool = False) -> str:
    """Return ``value`` as a printable ``str`` of at most ``limit`` characters, or ``default``.

    The cut comes first, so a 10 MB string costs no more than a short one.
    Names from a file end up as class names, code names and file names, which
    CPython refuses when they hold NUL characters or lone surrogates, and which
    a terminal would obey when they hold escape sequences: ``terminal`` escapes
    both (``lines`` keeps newlines and tabs, for messages and reprs).
    """
    if not isinstance(value, str):
        return default
    return terminal(str(value[:limit]), lines)


class TextBudget:
    """What the factories of one load may still copy, in characters."""

    def __init__(self, total: int = TEXT_BUDGET) -> None:
        self.left = total

    def limit(self, wanted: int) -> int:
        """How much of a ``wanted``-character text to keep; charged at once."""
        kept = min(wanted, max(self.left, SPENT_LIMIT))
        self.left -= kept
        return kept


def clean_count(value: Any) -> int:
    """A non-negative int from a file, at most ``MAX_COUNT``; anything else counts as 0."""
    return integer(value) or 0


class NotCaptured:
    """Stands for an argument whose value the dump does not hold.

    A rebuilt function frame must receive *some* value for every parameter;
    this one says plainly that the real value is unknown.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not captured>"


NOT_CAPTURED = NotCaptured()


class Snapshot:
    """Base of the classes that stand for the application's own types.

    Captured attributes live in the instance ``__dict__`` so that ``vars()``,
    pudb's variables pane and attribute access all see them; everything the
    loader needs for itself sits in one slot, out of ``vars()``.
    """

    __slots__ = ("__pydumpling__", "__dict__")

    def __init__(self, repr_text: str, budget: TextBudget | None = None) -> None:
        self.__pydumpling__ = (repr_text, None, None, budget or TextBudget(NAME_LIMIT))

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 3):
            state = ({}, None, None)
        attrs, items, note = state
        if isinstance(attrs, dict):
            self.__dict__.update({k: v for k, v in attrs.items() if isinstance(k, str)})
        repr_text, _, _, budget = self.__pydumpling__
        if isinstance(note, str):
            note = clean_text(note, "", budget.limit(min(len(note), NAME_LIMIT)))
        self.__pydumpling__ = (repr_text, items, note or None, budget)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. for names not captured.
        if name == "__pydumpling__":
            raise AttributeError(name)
        note = self.__pydumpling__[2]
        why = f" ({note})" if note else ""
        raise AttributeError(
            f"{type(self).__name__!r} object attribute {name!r} was not captured in the dump{why}"
        )

    def __repr__(self) -> str:
        return self.__pydumpling__[0]

    def __bool__(self) -> bool:
        items = self.__pydumpling__[1]
        return True if items is None else bool(items)

    def _items(self, operation: str) -> Any:
        items = self.__pydumpling__[1]
        if items is None:
            raise TypeError(f"{type(self).__name__!r} object {operation} (no items captured)")
        return items

    def __len__(self) -> int:
        return len(self._items("has no len()"))

    def __iter__(self) -> Any:
        return iter(self._items("is not iterable"))

    def __getitem__(self, key: Any) -> Any:
        return self._items("is not subscriptable")[key]

    def __contains__(self, value: Any) -> bool:
        return value in self._items("does not support 'in'")


_snapshot_classes: dict[tuple[str, str], type] = {}
_TOO_MANY = ("<pydumpling>", "UnnamedType")


def _identifier(text: str) -> str:
    """The last dotted part of a qualname, made usable as a class ``__name__``."""
    name = text.rsplit(".", 1)[-1]
    if not name or keyword.iskeyword(name):
        return "UnknownType"
    return name


def snapshot_class(module: Any, qualname: Any) -> type:
    """Return (and cache) a ``Snapshot`` subclass named like the original type."""
    module_s = clean_text(module, "<unknown>")
    qualname_s = clean_text(qualname, "UnknownType") or "UnknownType"
    key = (module_s, qualname_s)
    cls = _snapshot_classes.get(key)
    if cls is None and len(_snapshot_classes) >= MAX_SNAPSHOT_CLASSES:
        key = _TOO_MANY  # each class costs a kilobyte or two: bounded like every amount
        module_s, qualname_s = key
        cls = _snapshot_classes.get(key)
    if cls is None:
        namespace = {"__slots__": (), "__module__": module_s, "__qualname__": qualname_s}
        cls = type(_identifier(qualname_s), (Snapshot,), namespace)
        _snapshot_classes[key] = cls
    return cls


def _cut(text: Any, omitted: Any, budget: TextBudget) -> tuple:
    """``text`` (a str or bytes) cut to what the budget allows, and the new omitted count."""
    omitted = clean_count(omitted)
    kept = budget.limit(min(len(text), TEXT_LIMIT))
    if kept < len(text):
        omitted = min(omitted + len(text) - kept, MAX_COUNT)
    return text[:kept], omitted


def _exact(value: Any, default: str, limit: int = NAME_LIMIT, lines: bool = False) -> str:
    """``clean_text`` without the escaping, for ``--json``, which must stay exact."""
    return str(value[:limit]) if isinstance(value, str) else default


def factories(budget: TextBudget | None = None,
              exact: bool = False) -> Dict[str, Callable[..., Any]]:
    """What ``dumpfile.read_body(path, classes=factories())`` builds instead of the model
    types: one fresh set per load, sharing one ``TextBudget``.

    ``exact`` (for ``--json``) keeps the model types and the text as it is (no
    escaping); only the copies a cut string or bytes value makes are budgeted.
    """
    budget = budget or TextBudget()
    text = _exact if exact else clean_text

    def object_snapshot(module: Any = None, qualname: Any = None,
                        repr_text: Any = None) -> Any:
        """Factory for ``ObjectSnapshot(module, qualname, repr)``; state comes via
        ``__setstate__``."""
        if exact:  # the model type keeps references: nothing is copied
            return model.ObjectSnapshot(module, qualname, repr_text)
        cls = snapshot_class(module, qualname)
        default = f"<{cls.__module__}.{cls.__qualname__} object>"
        wanted = min(len(repr_text), TEXT_LIMIT) if isinstance(repr_text, str) else 0
        return cls(clean_text(repr_text, default, budget.limit(wanted), lines=True), budget)

    def cut(count: Any = 0, unit: Any = "items") -> model.Cut:
        """Factory for ``Cut``: a bad count or unit must not break its repr later."""
        return model.Cut(clean_count(count), text(unit, "items", 40))

    def redacted(rule: Any = None) -> model.Redacted:
        """Factory for ``Redacted``; the rule kind is a short name or nothing."""
        return model.Redacted(text(rule, "", 40) or None)

    def truncated_str(prefix: Any = "", omitted: Any = 0) -> model.TruncatedStr:
        """Factory for ``TruncatedStr``, which behaves as its prefix and shows the cut."""
        return model.TruncatedStr(*_cut(prefix if isinstance(prefix, str) else "", omitted,
                                        budget))

    def truncated_bytes(prefix: Any = b"", omitted: Any = 0,
                        kind: Any = "bytes") -> model.TruncatedBytes:
        """Factory for ``TruncatedBytes``."""
        data = prefix if isinstance(prefix, (bytes, bytearray)) else b""
        kept, omitted = _cut(data, omitted, budget)
        return model.TruncatedBytes(bytes(kept), omitted, text(kind, "bytes", 40))

    return {
        "ObjectSnapshot": object_snapshot,
        "Cut": cut,
        "Redacted": redacted,
        "TruncatedStr": truncated_str,
        "TruncatedBytes": truncated_bytes,
    }
