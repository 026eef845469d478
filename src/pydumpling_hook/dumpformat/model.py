"""The few value types a dump's safe section may hold besides plain builtins.

Capture turns every value it cannot copy as a builtin into one of these. They
are deliberately dumb (no behaviour beyond ``repr`` and pickling) because the
loader's restricted unpickler maps each of them, by name, to a factory of its
own: a file can therefore instantiate nothing but these shapes. Renaming or
removing a class here is a format change (see ``docs/FORMAT.md``).
"""

from __future__ import annotations

from itertools import chain

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


class Cut:
    """Stands where capture stopped copying, so that a cut is never silent.

    ``unit`` says what was left out: ``frames`` in a stack. Format 1 also
    appended it to cut containers (and used it as the key of an ``Ellipsis``
    value in dicts); format 2 writes ``CutContainer`` instead.
    """

    __slots__ = ("count", "unit")

    def __init__(self, count: int, unit: str = "items") -> None:
        self.count = count
        self.unit = unit

    def __reduce__(self) -> tuple:
        return (Cut, (self.count, self.unit))

    def __repr__(self) -> str:
        return f"<… {self.count:,} more {self.unit}>"


class Redacted:
    """Replaces a value that looked secret; the secret never reaches the file.

    ``rule`` says which kind of rule hid it (``name``, ``structure``, ``value``,
    ``propagated``; ``None`` in dumps of format 1), never what it was. When only
    part of a string was secret (the password of a URL), ``hint`` is the text
    with that part replaced by ``<redacted>``: ``postgresql://u:<redacted>@h/db``.
    It is not a ``str`` on purpose: a masked string would answer a wrong
    ``len()`` and compare unequal to the real value while looking like it.
    """

    __slots__ = ("rule", "hint")

    def __init__(self, rule: str | None = None, hint: Any = None) -> None:
        self.rule = rule
        self.hint = hint

    def __reduce__(self) -> tuple:
        return (Redacted, (self.rule,) if self.hint is None else (self.rule, self.hint))

    def __repr__(self) -> str:
        return "<redacted>" if self.hint is None else f"<redacted: {self.hint!r}>"


class TruncatedStr(str):
    """A string cut at the capture budget: the kept head (the ``str`` itself), how many
    characters were left out of the middle, and the kept tail (format 1: no tail)."""

    omitted: int
    tail: str

    def __new__(cls, prefix: str, omitted: int, tail: str = "") -> TruncatedStr:
        self = str.__new__(cls, prefix)
        self.omitted = omitted
        self.tail = tail
        return self

    def __reduce__(self) -> tuple:
        return (TruncatedStr, (str(self), self.omitted, self.tail))

    def __repr__(self) -> str:
        tail = str.__repr__(self.tail) if self.tail else ""
        return f"{str.__repr__(self)}<… {self.omitted:,} more characters>{tail}"


class TruncatedBytes(bytes):
    """A bytes or bytearray value cut at the capture budget; ``kind`` names which. Like
    ``TruncatedStr``: the head is the value itself, then what was left out, then the tail."""

    omitted: int
    kind: str
    tail: bytes

    def __new__(cls, prefix: bytes, omitted: int, kind: str = "bytes",
                tail: bytes = b"") -> TruncatedBytes:
        self = bytes.__new__(cls, prefix)
        self.omitted = omitted
        self.kind = kind
        self.tail = tail
        return self

    def __reduce__(self) -> tuple:
        return (TruncatedBytes, (bytes(self), self.omitted, self.kind, self.tail))

    def __repr__(self) -> str:
        body = bytes.__repr__(self)
        if self.kind != "bytes":
            body = f"{self.kind}({body})"
        tail = bytes.__repr__(self.tail) if self.tail else ""
        return f"{body}<… {self.omitted:,} more bytes>{tail}"


class CutContainer:
    """A container cut at the item budget: its true length and the items kept at both ends.

    ``kind`` names the container as the application had it (``list``, ``tuple``,
    ``set``, ``frozenset``, ``dict``, ``deque``, ``OrderedDict``, ``Counter``,
    ``defaultdict``), ``total`` is its true length, ``head`` and ``tail`` are
    the first and last items kept (lists, or dicts for the mapping kinds; a set
    has no order, so it keeps a head only). The content travels as pickle
    state, after the object exists, so a container that holds itself
    round-trips.
    """

    __slots__ = ("kind", "total", "head", "tail")

    def __init__(self, kind: str, total: int) -> None:
        self.kind = kind
        self.total = total
        self.head: Any = []
        self.tail: Any = []

    def __reduce__(self) -> tuple:
        return (CutContainer, (self.kind, self.total), (self.head, self.tail))

    def __setstate__(self, state: tuple) -> None:
        self.head, self.tail = state

    def __repr__(self) -> str:
        left_out = self.total - len(self.head) - len(self.tail)
        return f"<{self.kind} of {self.total:,} items, {left_out:,} not captured>"


class Value:
    """A value of a well-known type, as the plain data its loader rebuilds it from.

    ``kind`` names the type (``datetime.datetime``, ``decimal.Decimal``,
    ``numpy.ndarray``...; docs/FORMAT.md lists them) and ``data`` is builtins
    and model values only, never the object or a pickle of it: the loader
    validates ``data`` and builds the real value (a ``datetime``), or a
    summary that answers the same questions (an ``ndarray``'s ``shape``).
    """

    __slots__ = ("kind", "data")

    def __init__(self, kind: str, data: Any) -> None:
        self.kind = kind
        self.data = data

    def __reduce__(self) -> tuple:
        return (Value, (self.kind, self.data))

    def __repr__(self) -> str:
        return f"<{self.kind} value>"


class ObjectSnapshot:
    """A copy of an object that is not a plain builtin.

    ``module`` and ``qualname`` name the original type, so that the loader can
    show ``Order`` rather than a class of ours. ``repr`` is a bounded repr,
    either the object's own (for types whose repr is known to be cheap and
    side-effect free) or the default ``<module.Qualname object at 0x…>``.
    ``attrs`` holds copies of the instance ``__dict__`` and slots, read directly
    so that no property or ``__getattr__`` runs. ``items`` holds the content of
    a container subclass. ``note`` says why something is missing, e.g. that the
    depth budget ran out. ``fields`` names, in order, the attributes a record
    (a dataclass, an attrs class, a pydantic model) shows in its repr, so the
    loader can write ``Cfg(name='x', retries=3)`` from the copies in ``attrs``.
    """

    __slots__ = ("module", "qualname", "repr", "attrs", "items", "note", "fields")

    def __init__(self, module: str, qualname: str, repr: str,  # noqa: A002
                 attrs: dict[str, Any] | None = None) -> None:
        self.module = module
        self.qualname = qualname
        self.repr = repr
        self.attrs = attrs
        self.items: Any = None
        self.note: str | None = None
        self.fields: tuple | None = None

    def __reduce__(self) -> tuple:
        state = (self.attrs, self.items, self.note)
        if self.fields is not None:
            state += (self.fields,)
        return (ObjectSnapshot, (self.module, self.qualname, self.repr), state)

    def __setstate__(self, state: tuple) -> None:
        self.attrs, self.items, self.note = state[:3]
        self.fields = state[3] if len(state) > 3 else None

    def __repr__(self) -> str:
        return self.repr


PACKED_DICT = "builtins.dict"
"""The ``Value`` kind of a dict of strings packed into one text (``pack_dict``)."""
RECORDS = "records"
"""The ``Value`` kind of a list, or a dict's values, of objects of one plain type with
the same attribute names, written as one table: ``(module, qualname, names, ids,
values, keys, shared)``. Row ``i`` is the object whose default repr shows ``ids[i]``,
its attributes ``names`` with the values ``values[i * len(names):][:len(names)]``;
``keys`` is None for a list, else the dict's keys in order; ``shared`` maps a row
number to the ``ObjectSnapshot`` that stands for that row where the object is also
referenced from elsewhere, so that it keeps its identity. A table of a dataclass or
attrs class has an eighth element, the ``fields`` its rows' snapshots name."""
PACK_AT_LEAST = 16
"""Smaller dicts are written as they are: packing saves nothing on a few entries."""
SEP = "\x00"
_STR = {str}


def pack_dict(entries: dict) -> Value | None:
    """``entries`` as one ``Value(PACKED_DICT, text)`` when all its keys and values are
    exact ``str`` without a NUL, and there are at least ``PACK_AT_LEAST``; else None.

    The text is the keys and values, alternating, joined by NUL. A dict of headers or
    settings is the commonest big thing in a web app's frames; as one string its 400
    entries cost the loader one opcode instead of 1,600 (each string and its memo
    entry, pickled, walked and unpickled one by one), and ``packed.unpack_dict``
    splits it back in C. Every check and the join run in C as well.
    """
    if len(entries) < PACK_AT_LEAST or set(map(type, entries)) != _STR or set(
            map(type, entries.values())) != _STR:
        return None
    text = SEP.join(chain.from_iterable(entries.items()))
    if text.count(SEP) != 2 * len(entries) - 1:
        return None  # a key or value holds a NUL itself
    return Value(PACKED_DICT, text)


SAFE_TYPES = {
    cls.__name__: cls for cls in (Cut, Redacted, TruncatedStr, TruncatedBytes, ObjectSnapshot,
                                  CutContainer, Value)
}
"""The names the restricted unpickler accepts from this module."""
