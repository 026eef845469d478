"""Loader-side stand-ins for the ``model`` types found in a dump's safe body.

The restricted unpickler in ``pydumpling_hook.dumpfile`` calls these factories
instead of the model classes (see ``FACTORIES``). They exist because a debugger
user wants to see the *application's* types: ``whatis order`` should print
``<class '__main__.Order'>`` and ``order.total`` should just work, while every
name, number and string in the file stays untrusted data. So the factories
validate their arguments, sanitize type names before they become class names,
and never import anything a file names.
"""

from __future__ import annotations

import keyword
from typing import Any

from ..dumpformat import model
from .records import integer

NAME_LIMIT = 200
"""Longest type or frame name kept from a file, in characters."""


def clean_text(value: Any, default: str, limit: int = NAME_LIMIT) -> str:
    """Return ``value`` as a printable, bounded ``str``, or ``default``.

    Names from a file end up as class names, code names and file names, which
    CPython refuses when they hold NUL characters or lone surrogates, and which
    a terminal would choke on. Escaping them keeps every later step infallible.
    """
    if not isinstance(value, str):
        return default
    text = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text[:limit]


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


class _SnapshotType(type):
    """``dir()`` of a snapshot class lists nothing of ours: tab completion (rlcompleter,
    IPython) adds the class's names to the instance's, and those are loader internals."""

    def __dir__(cls) -> list:
        return []


class Snapshot(metaclass=_SnapshotType):
    """Base of the classes that stand for the application's own types.

    Captured attributes live in the instance ``__dict__`` so that ``vars()``,
    pudb's variables pane and attribute access all see them; everything the
    loader needs for itself sits in one slot, out of ``vars()`` and ``dir()``.
    A snapshot with captured items becomes its class's container variant
    (``SnapshotItems``); one without has no ``__len__`` or ``__iter__`` at all,
    so debuggers (pudb's variables pane) do not show it as an empty container.
    There is no ``__getattr__``: a name that was not captured fails in CPython's
    own words, from the user's expression, with no frame of the loader in the
    traceback a debugger shows.
    """

    __slots__ = ("__pydumpling__", "__dict__")

    def __init__(self, repr_text: str) -> None:
        self.__pydumpling__ = (repr_text, None, None)

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 3):
            state = ({}, None, None)
        attrs, items, note = state
        if isinstance(attrs, dict):
            self.__dict__.update({k: v for k, v in attrs.items() if isinstance(k, str)})
        self.__pydumpling__ = (self.__pydumpling__[0], items, clean_text(note, "", 1000) or None)
        if items is not None and not isinstance(self, SnapshotItems):
            self.__class__ = _items_class(type(self))

    def __repr__(self) -> str:
        return self.__pydumpling__[0]

    def __dir__(self) -> list:
        return sorted(self.__dict__)


class SnapshotItems(Snapshot):
    """A snapshot of a container object: its captured items behave like the original's."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return bool(self.__pydumpling__[1])

    def __len__(self) -> int:
        return len(self.__pydumpling__[1])

    def __iter__(self) -> Any:
        return iter(self.__pydumpling__[1])

    def __getitem__(self, key: Any) -> Any:
        return self.__pydumpling__[1][key]

    def __contains__(self, value: Any) -> bool:
        return value in self.__pydumpling__[1]


_snapshot_classes: dict[Any, type] = {}


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
    if cls is None:
        namespace = {"__slots__": (), "__module__": module_s, "__qualname__": qualname_s}
        cls = type(_identifier(qualname_s), (Snapshot,), namespace)
        _snapshot_classes[key] = cls
    return cls


def _items_class(cls: type) -> type:
    """The container variant of a snapshot class, named and printed like it."""
    variant = _snapshot_classes.get(cls)
    if variant is None:
        namespace = {"__slots__": (), "__module__": cls.__module__,
                     "__qualname__": cls.__qualname__}
        variant = _snapshot_classes[cls] = type(cls.__name__, (cls, SnapshotItems), namespace)
    return variant


def object_snapshot(module: Any = None, qualname: Any = None, repr_text: Any = None) -> Snapshot:
    """Factory for ``ObjectSnapshot(module, qualname, repr)``; state comes via ``__setstate__``."""
    cls = snapshot_class(module, qualname)
    default = f"<{cls.__module__}.{cls.__qualname__} object>"
    return cls(clean_text(repr_text, default, 100_000))


def cut(count: Any = 0, unit: Any = "items") -> model.Cut:
    """Factory for ``Cut``: a bad count or unit must not break its repr later."""
    return model.Cut(clean_count(count), clean_text(unit, "items", 40))


def redacted(rule: Any = None) -> model.Redacted:
    """Factory for ``Redacted``; the rule kind is a short name or nothing."""
    return model.Redacted(clean_text(rule, "", 40) or None)


def truncated_str(prefix: Any = "", omitted: Any = 0) -> model.TruncatedStr:
    """Factory for ``TruncatedStr``, which behaves as its prefix and shows the cut."""
    return model.TruncatedStr(prefix if isinstance(prefix, str) else "", clean_count(omitted))


def truncated_bytes(prefix: Any = b"", omitted: Any = 0,
                    kind: Any = "bytes") -> model.TruncatedBytes:
    """Factory for ``TruncatedBytes``."""
    data = bytes(prefix) if isinstance(prefix, (bytes, bytearray)) else b""
    return model.TruncatedBytes(data, clean_count(omitted), clean_text(kind, "bytes", 40))


FACTORIES = {
    "ObjectSnapshot": object_snapshot,
    "Cut": cut,
    "Redacted": redacted,
    "TruncatedStr": truncated_str,
    "TruncatedBytes": truncated_bytes,
}
"""What ``dumpfile.read_body(path, classes=FACTORIES)`` builds instead of the model types."""
