"""The few value types a dump's safe section may hold besides plain builtins.

Capture turns every value it cannot copy as a builtin into one of these. They
are deliberately dumb (no behaviour beyond ``repr`` and pickling) because the
loader's restricted unpickler maps each of them, by name, to a factory of its
own: a file can therefore instantiate nothing but these shapes. Renaming or
removing a class here is a format change (see ``docs/FORMAT.md``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any



class Cut:
    """Stands where capture stopped copying, so that a cut is never silent.

    ``unit`` says what was left out: ``items`` in a container, ``frames`` in a
    stack. It is appended to sequences and sets, and used as the key of an
    ``Ellipsis`` value in dicts.
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
    """Replaces a value that looked secret; the value never reaches the file.

    ``rule`` says which kind of rule hid it (``name``, ``structure``, ``value``,
    ``propagated``; ``None`` in dumps of format 1), never what it was.
    """

    __slots__ = ("rule",)

    def __init__(self, rule: str | None = None) -> None:
        self.rule = rule

    def __reduce__(self) -> tuple:
        return (Redacted, (self.rule,))

    def __repr__(self) -> str:
        return "<redacted>"


class TruncatedStr(str):
    """A string cut at the capture budget. It still behaves as the kept prefix."""

    omitted: int

    def __new__(cls, prefix: str, omitted: int) -> TruncatedStr:
        self = str.__new__(cls, prefix)
        self.omitted = omitted
        return self

    def __reduce__(self) -> tuple:
        return (TruncatedStr, (str(self), self.omitted))

    def __repr__(self) -> str:
        return f"{str.__repr__(self)}<… {self.omitted:,} more characters>"


class TruncatedBytes(bytes):
    """A bytes or bytearray value cut at the capture budget; ``kind`` names which."""

    omitted: int
    kind: str

    def __new__(cls, prefix: bytes, omitted: int, kind: str = "bytes") -> TruncatedBytes:
        self = bytes.__new__(cls, prefix)
        self.omitted = omitted
        self.kind = kind
        return self

    def __reduce__(self) -> tuple:
        return (TruncatedBytes, (bytes(self), self.omitted, self.kind))

    def __repr__(self) -> str:
        body = bytes.__repr__(self)
        if self.kind != "bytes":
            body = f"{self.kind}({body})"
        return f"{body}<… {self.omitted:,} more bytes>"


class ObjectSnapshot:
    """A copy of an object that is not a plain builtin.

    ``module`` and ``qualname`` name the original type, so that the loader can
    show ``Order`` rather than a class of ours. ``repr`` is a bounded repr,
    either the object's own (for types whose repr is known to be cheap and
    side-effect free) or the default ``<module.Qualname object at 0x…>``.
    ``attrs`` holds copies of the instance ``__dict__`` and slots, read directly
    so that no property or ``__getattr__`` runs. ``items`` holds the content of
    a container subclass (an ``OrderedDict``, a ``deque``...). ``note`` says
    why something is missing, e.g. that the depth budget ran out.
    """

    __slots__ = ("module", "qualname", "repr", "attrs", "items", "note")

    def __init__(self, module: str, qualname: str, repr: str) -> None:  # noqa: A002
        self.module = module
        self.qualname = qualname
        self.repr = repr
        self.attrs: dict[str, Any] | None = None
        self.items: Any = None
        self.note: str | None = None

    def __reduce__(self) -> tuple:
        return (
            ObjectSnapshot,
            (self.module, self.qualname, self.repr),
            (self.attrs, self.items, self.note),
        )

    def __setstate__(self, state: tuple) -> None:
        self.attrs, self.items, self.note = state

    def __repr__(self) -> str:
        return self.repr


SAFE_TYPES = {
    cls.__name__: cls for cls in (Cut, Redacted, TruncatedStr, TruncatedBytes, ObjectSnapshot)
}
"""The names the restricted unpickler accepts from this module."""
