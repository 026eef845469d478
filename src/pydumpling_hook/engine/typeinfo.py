"""What the copier learns once per type: its names, its attributes, its repr, its handler.

Everything here reads a class without running its code: attributes through
``type.__getattribute__`` (no metaclass ``__getattr__``), descriptors found in
the MRO's ``__dict__``s rather than looked up on instances.
"""

from __future__ import annotations

from . import handlers
from .redact.structure import class_fields

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

TRUSTED_REPR_MODULES = frozenset({
    "builtins", "datetime", "decimal", "fractions", "uuid", "pathlib", "ipaddress",
    "enum", "re", "socket", "_socket", "threading", "_thread", "io", "_io", "zoneinfo",
    "array", "functools", "types", "weakref", "_weakref", "asyncio",
    "asyncio.events", "asyncio.tasks", "asyncio.futures", "_asyncio", "logging",
    "subprocess", "queue", "_queue", "selectors", "ssl", "_ssl", "mmap", "itertools",
    "operator", "contextvars", "_contextvars", "_pydecimal", "posixpath", "ntpath",
    "os", "pickle", "_pickle", "json", "email.message", "http.client", "urllib.parse",
})
"""Modules whose classes' ``repr`` we trust to be bounded and side-effect free.

Not ``collections``: a ``deque`` or ``UserDict`` repr calls its items' reprs,
which are application code; its containers have handlers instead."""

BUILTIN_BASES = (str, bytes, bytearray, int, float, dict, list, tuple, set, frozenset)


class TypeInfo:
    """What we learn once per type: its names, how to reach its attributes, its repr."""

    __slots__ = ("module", "qualname", "dict_descr", "slots", "trusted_repr", "base", "handler",
                 "plain", "fields")

    def __init__(self, cls: type) -> None:
        self.module = type_attr(cls, "__module__", "?")
        self.qualname = type_attr(cls, "__qualname__", None) or type_attr(
            cls, "__name__", "?")
        self.dict_descr = None
        slots = []
        for klass in mro(cls):
            for name, descr in type_attr(klass, "__dict__", {}).items():
                kind = type(descr).__name__
                if kind == "member_descriptor":
                    slots.append((name, descr))
                elif name == "__dict__" and kind == "getset_descriptor" and not self.dict_descr:
                    self.dict_descr = descr
        self.slots = tuple(slots)
        self.base = next((b for b in BUILTIN_BASES if issubclass(cls, b)), None)
        repr_owner = next((k for k in mro(cls) if "__repr__" in type_attr(k, "__dict__", {})),
                          object)
        # object's own repr is what we would format anyway: no need to call it.
        self.trusted_repr = self.base is None and repr_owner is not object and (
            type_attr(repr_owner, "__module__", "") in TRUSTED_REPR_MODULES)
        self.handler = handlers.find(cls, self.module, self.qualname)
        # An application's record: all it shows is its ``__dict__`` and the default repr
        # (modules, functions and classes have trusted reprs), so many of one type can
        # be copied at once (``Containers.records``).
        bare = (self.base is None and not self.slots and self.dict_descr is not None
                and not self.trusted_repr and not class_fields(self.module, self.qualname))
        self.plain = bare and self.handler is None
        # A dataclass or attrs class (without slots) is such a record too, whose
        # snapshots also name its fields, in order: (all fields, those its repr shows).
        self.fields = getattr(self.handler, "fields", None) if bare else None


def type_attr(cls: Any, name: str, default: Any) -> Any:
    """Read a class attribute without running a metaclass ``__getattr__``."""
    try:
        return type.__getattribute__(cls, name)
    except Exception:
        return default


def mro(cls: type) -> tuple:
    mro = type_attr(cls, "__mro__", (cls,))
    return mro if isinstance(mro, tuple) else (cls,)
