"""Standard-library values, kept as the plain data the loader rebuilds them from.

A ``datetime`` copied as an attribute snapshot has no ``year`` (its fields
are C slots the snapshot cannot see) and a ``Decimal`` cannot be added to.
So each type here is written as a ``model.Value`` of its defining data
(fields, a text form, an int) that the loader turns back into the real type.
What runs is the stdlib's own code for the exact type; a value that needs
more (a ``datetime`` with a ``tzinfo`` of the application's) keeps its fields
in a snapshot instead.
"""

from __future__ import annotations

import sys
from itertools import islice

from ...dumpformat.model import ObjectSnapshot
from ..containers import dict_ends

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

MAX_BITS = 64 * 1024
"""Ints longer than this (a ``Fraction``'s, a ``range``'s) are not kept, as in the copier."""
FACTORY_NAMES = frozenset({"list", "dict", "set", "int", "float", "str", "tuple", "frozenset",
                           "bytes", "bool", "complex"})
"""``defaultdict`` factories the loader can give back as they were: builtin types."""


def _offset(delta: Any) -> int:
    """A ``timedelta`` (a UTC offset) as microseconds."""
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _tz(tz: Any, value: Any) -> Any:
    """A tzinfo as ``(offset µs, name, zone key)``, None for a naive value, or
    ``False`` when it is a class of the application's, whose code must not run."""
    if tz is None:
        return None
    kind = type(tz)
    if kind is sys.modules["datetime"].timezone:
        args = tz.__getinitargs__()  # (offset,) or (offset, name): tells whether one was given
        return _offset(args[0]), args[1] if len(args) > 1 else None, None
    zoneinfo = sys.modules.get("zoneinfo")
    if zoneinfo is not None and kind is zoneinfo.ZoneInfo and hasattr(value, "date"):
        offset = value.utcoffset()
        return _offset(offset), None, tz.key if type(tz.key) is str else None
    return False


def _fields(copier: Any, value: Any, info: Any, depth: int, names: tuple) -> ObjectSnapshot:
    """A snapshot with the named fields as attributes, for a value the loader cannot
    rebuild (its tzinfo is the application's): ``when.year`` still works."""
    snap = ObjectSnapshot(info.module, info.qualname,
                          f"<{info.module}.{info.qualname} object at {id(value):#x}>")
    copier.memo[id(value)] = snap
    snap.attrs = copier.copy_namespace({n: getattr(value, n) for n in names}, depth + 1)
    return snap


_CLOCK = ("hour", "minute", "second", "microsecond")


def copy_datetime(copier: Any, value: Any, info: Any, depth: int) -> Any:
    kind = info.qualname
    if kind == "timedelta":
        return copier.value(value, "datetime.timedelta",
                            (value.days, value.seconds, value.microseconds))
    if kind == "timezone":
        return copier.value(value, "datetime.timezone", _tz(value, None))
    date = (value.year, value.month, value.day) if kind != "time" else ()
    if kind == "date":
        return copier.value(value, "datetime.date", date)
    tz = _tz(value.tzinfo, value)
    clock = (value.hour, value.minute, value.second, value.microsecond)
    if tz is False:
        names = (("year", "month", "day") if date else ()) + _CLOCK + ("tzinfo", "fold")
        return _fields(copier, value, info, depth, names)
    return copier.value(value, f"datetime.{kind}", date + clock + (tz, value.fold))


def copy_text(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """Decimal, paths and IP addresses: their stdlib text form parses back exactly."""
    text = str(value)
    if len(text) > copier.string:
        return copier.object_snapshot(value, info, depth)
    kind = info.qualname
    if kind in ("PosixPath", "WindowsPath"):  # no disk on the loader's side: the pure flavour
        kind = "Pure" + kind
    module = "pathlib" if info.module.startswith("pathlib") else info.module
    return copier.value(value, f"{module}.{kind}", text)


def _ints(copier: Any, value: Any, info: Any, depth: int, kind: str, numbers: tuple) -> Any:
    if any(n.bit_length() > MAX_BITS for n in numbers):
        return copier.object_snapshot(value, info, depth)
    return copier.value(value, kind, numbers)


def copy_fraction(copier: Any, value: Any, info: Any, depth: int) -> Any:
    return _ints(copier, value, info, depth, "fractions.Fraction",
                 (value.numerator, value.denominator))


def copy_range(copier: Any, value: Any, info: Any, depth: int) -> Any:
    return _ints(copier, value, info, depth, "builtins.range",
                 (value.start, value.stop, value.step))


def copy_uuid(copier: Any, value: Any, info: Any, depth: int) -> Any:
    return copier.value(value, "uuid.UUID", value.int)


def _dict_content(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """A dict subclass's content, read with dict's own C methods (no override runs)."""
    total = dict.__len__(value)
    keep, tail = copier.split(total)
    copier.hold(value, info, f"cycle through an {info.qualname}")
    return copier.copy_entries(info.qualname, value, total,
                               *dict_ends(dict.items(value), keep, tail), depth)


def copy_mapping(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """OrderedDict, Counter and defaultdict: rebuilt whole, or a cut of that kind."""
    content = _dict_content(copier, value, info, depth)
    if type(content) is not dict:
        return content
    if info.qualname != "defaultdict":
        return copier.value(value, f"collections.{info.qualname}", content)
    factory = value.default_factory
    if factory is not None:
        name = getattr(factory, "__name__", None) if type(factory) is type else None
        builtin = name in FACTORY_NAMES and _builtin(name) is factory
        factory = name if builtin else copier.copy(factory, depth + 1)
    return copier.value(value, "collections.defaultdict", (factory, content))


def _builtin(name: str) -> Any:
    return getattr(sys.modules["builtins"], name, None)


def copy_deque(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """A deque is no builtin container subclass, so its content is read here, in C."""
    total = len(value)
    keep, tail = copier.split(total)
    copier.hold(value, info, "cycle through a deque")
    end = list(islice(reversed(value), tail))[::-1] if tail else []
    content = copier.copy_items("deque", value, total, list(islice(value, keep)), end, depth)
    if type(content) is not list:
        return content
    return copier.value(value, "collections.deque", (content, value.maxlen))


def copy_chainmap(copier: Any, value: Any, info: Any, depth: int) -> Any:
    maps = info.dict_descr.__get__(value, type(value)).get("maps")
    if type(maps) is not list:
        return copier.object_snapshot(value, info, depth)
    copier.hold(value, info, "cycle through a ChainMap")
    copies = copier.copy(maps, depth + 1)
    if type(copies) is not list:
        return copier.object_snapshot(value, info, depth)
    return copier.value(value, "collections.ChainMap", copies)


_SIMPLE = frozenset({int, float, bool, str, bytes, type(None)})


def copy_enum_member(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """``<Color.RED: 1>`` with ``.name`` and ``.value``, not the member's internals
    (``_value_``, ``__objclass__``...); the class's own code never runs."""
    ns = info.dict_descr.__get__(value, type(value)) if info.dict_descr is not None else None
    if type(ns) is not dict or "_value_" not in ns:
        return copier.object_snapshot(value, info, depth)
    snap = ObjectSnapshot(info.module, info.qualname, "")
    copier.memo[id(value)] = snap
    snap.attrs = copier.copy_namespace({"name": ns.get("_name_"), "value": ns["_value_"]},
                                       depth + 1)
    name, shown = snap.attrs["name"], snap.attrs["value"]
    short = type(shown) in _SIMPLE and len(repr(shown)) <= copier.budgets.repr
    member = f".{name}" if type(name) is str else ""
    cls_name = info.qualname.rsplit(".", 1)[-1]
    snap.repr = f"<{cls_name}{member}: {repr(shown) if short else '…'}>"
    return snap


def for_class(cls: type, own: Any) -> Any:
    """Enum classes: members of a class made by the stdlib's own metaclass."""
    enum = sys.modules.get("enum")
    meta = type(cls)
    if enum is not None and meta is getattr(enum, "EnumMeta", None):
        return copy_enum_member
    return None


HANDLERS = {
    **{("datetime", n): copy_datetime for n in ("datetime", "date", "time", "timedelta",
                                                 "timezone")},
    ("decimal", "Decimal"): copy_text,
    ("fractions", "Fraction"): copy_fraction,
    ("uuid", "UUID"): copy_uuid,
    ("builtins", "range"): copy_range,
    **{(m, n): copy_text for m in ("pathlib", "pathlib._local")
       for n in ("PurePosixPath", "PosixPath", "PureWindowsPath", "WindowsPath")},
    **{("ipaddress", n): copy_text for n in ("IPv4Address", "IPv6Address", "IPv4Network",
                                             "IPv6Network", "IPv4Interface", "IPv6Interface")},
    **{("collections", n): copy_mapping for n in ("OrderedDict", "defaultdict", "Counter")},
    ("collections", "deque"): copy_deque,
    ("collections", "ChainMap"): copy_chainmap,
}
