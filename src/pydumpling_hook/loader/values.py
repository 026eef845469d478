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

What each kind of value answers (the contract presenters such as DAP and HTML
rely on; every ``repr()`` is bounded and runs no code from the file):

* ``ObjectSnapshot`` -> a ``Snapshot`` subclass named like the application's
  class: attributes in ``vars()``, a missing one raises "was not captured";
  ``len()``, iteration and indexing work when a container subclass's items
  were captured (``__pydumpling__[1]``) and raise ``TypeError`` otherwise; a
  record (dataclass, attrs, pydantic) shows ``Cfg(name='x', retries=3)``.
* ``CutContainer``, ``TruncatedStr``, ``TruncatedBytes`` -> the cut values of
  ``cuts``: true ``len()``, both ends kept, ``NotCapturedError`` for the rest.
* ``Value`` -> the real stdlib value (``stdvalues``), or a summary of a
  library object (``arrays``: numpy ``ndarray`` and torch ``Tensor``;
  ``frames``: pandas ``DataFrame``, ``Series``, ``Index``), a ``Snapshot``
  whose attributes are what was kept (``shape``, ``dtype``...) and whose
  element access raises ``NotCapturedError`` outside the kept sample.
* ``dir()`` is the default everywhere: the captured attributes and the methods
  that work.
"""

from __future__ import annotations

import keyword
from typing import Any

from .records import integer
from .text import Shown, terminal

NAME_LIMIT = 200
"""Longest type or frame name kept from a file, in characters."""
TEXT_LIMIT = 100_000
"""Longest kept prefix of a cut string or bytes, or of an object's repr (capture keeps
10,000 and 300 at its default budgets)."""
TEXT_BUDGET = 32 << 20
"""Characters the factories of one load keep in all; past that, ``SPENT_LIMIT`` each."""
SPENT_LIMIT = 80
MAX_FIELDS = 1000
"""Most field names a record's repr shows (capture keeps at most this many items)."""
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


class _SnapshotType(type):
    """``dir()`` of a snapshot class lists nothing of ours: tab completion (rlcompleter,
    IPython) adds the class's names to the instance's, and those are loader internals."""

    def __dir__(cls) -> list:
        return []


class Snapshot(Shown, metaclass=_SnapshotType):
    """Base of the classes that stand for the application's own types.

    Captured attributes live in the instance ``__dict__`` so that ``vars()``,
    pudb's variables pane and attribute access all see them; everything the
    loader needs for itself sits in one slot, out of ``vars()`` and ``dir()``:
    the repr text, the captured items, the note, a record's field names, and
    the load's ``TextBudget``.
    A snapshot with captured items becomes its class's container variant
    (``SnapshotItems``); one without has no ``__len__`` or ``__iter__`` at all,
    so debuggers (pudb's variables pane) do not show it as an empty container.
    There is no ``__getattr__``: a name that was not captured fails in CPython's
    own words, from the user's expression, with no frame of the loader in the
    traceback a debugger shows.
    """

    __slots__ = ("__pydumpling__", "__dict__")

    def __init__(self, repr_text: str, budget: TextBudget | None = None) -> None:
        self.__pydumpling__ = (repr_text, None, None, (), budget)

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) in (3, 4)):
            state = ({}, None, None)
        attrs, items, note = state[:3]
        if isinstance(attrs, dict):
            self.__dict__.update({k: v for k, v in attrs.items() if isinstance(k, str)})
        fields = state[3] if len(state) == 4 and isinstance(state[3], tuple) else ()
        fields = tuple(f for f in fields[:MAX_FIELDS] if isinstance(f, str) and f in self.__dict__)
        repr_text, budget = self.__pydumpling__[0], self.__pydumpling__[4]
        if isinstance(note, str):
            limit = min(len(note), 1000)
            note = clean_text(note, "", budget.limit(limit) if budget else limit)
        self.__pydumpling__ = (repr_text, items, note or None, fields, budget)
        if items is not None and not isinstance(self, SnapshotItems):
            self.__class__ = _items_class(type(self))

    def _write_repr(self, writer: Any, depth: int) -> None:
        fields = self.__pydumpling__[3]
        if not fields:
            writer.write(self.__pydumpling__[0])
            return
        writer.write(f"{type(self).__name__}(")
        for i, name in enumerate(fields):
            writer.write(f"{', ' if i else ''}{name}=")
            writer.value(self.__dict__.get(name), depth)
        writer.write(")")

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
_TOO_MANY = ("<pydumpling>", "UnnamedType")


def _identifier(text: str) -> str:
    """The last dotted part of a qualname, made usable as a class ``__name__``."""
    name = text.rsplit(".", 1)[-1]
    if not name or keyword.iskeyword(name):
        return "UnknownType"
    return name


def snapshot_class(module: Any, qualname: Any, base: type = Snapshot) -> type:
    """Return (and cache) a ``base`` subclass named like the original type."""
    module_s = clean_text(module, "<unknown>")
    qualname_s = clean_text(qualname, "UnknownType") or "UnknownType"
    key = (module_s, qualname_s, base)
    cls = _snapshot_classes.get(key)
    if cls is None and len(_snapshot_classes) >= MAX_SNAPSHOT_CLASSES:
        module_s, qualname_s = _TOO_MANY  # each class costs a kilobyte or two: bounded
        key = (module_s, qualname_s, base)
        cls = _snapshot_classes.get(key)
    if cls is None:
        namespace = {"__slots__": (), "__module__": module_s, "__qualname__": qualname_s}
        cls = type(_identifier(qualname_s), (base,), namespace)
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
