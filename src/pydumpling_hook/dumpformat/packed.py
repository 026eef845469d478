"""Reading the packed values back: dicts of strings and tables of records.

The writer packs what is common and costly to pickle entry by entry
(``model.pack_dict``, ``model.RECORDS``). Every reader sees the dict or the
list again, never the packing: ``dumpfile.read_body`` hands each ``Value`` to
``Unpacking`` first. The data comes from the file, so it is checked before it
is used, and a body may unpack at most ``MAX_UNPACKED`` values in all: the
pre-walk bounds what a file makes, and a text of NULs or a table of empty rows
would make one value per byte behind its back.
"""

from __future__ import annotations

from . import model

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Any, Callable

MAX_UNPACKED = 4_000_000
"""Values the packed data of one body may make, as many as the pre-walk allows
(``prewalk.MAX_ITEMS``)."""
MAX_NAMES = 10_000
"""Attribute names of a table's type."""
MAX_NAME = 10_000
"""Characters of a table's module and qualified name together."""
SAME_HASHES = 32
"""Keys of a table beyond their distinct hashes, as the pre-walk allows a dict
(``keys.MAX_EQUAL_HASHES``; not imported from there, which would bring ``pickle.py``
into a crashing process whose sweep unpacks a dict)."""


def unpack_dict(text: Any, limit: int) -> dict:
    """The dict ``model.pack_dict`` packed into ``text``; ValueError when ``text`` is
    not such a text or would make more than ``limit`` strings."""
    if type(text) is not str:
        raise ValueError("not a text")
    parts = text.count(model.SEP) + 1
    if parts % 2 or parts > limit:
        raise ValueError("not keys and values" if parts % 2 else "too many strings")
    split = text.split(model.SEP)
    return dict(zip(split[::2], split[1::2]))


def unpack_records(data: Any, snapshot: Callable, limit: int) -> Any:
    """The list or dict of snapshots a ``model.RECORDS`` table stands for, each made by
    ``snapshot(module, qualname, repr)`` and given its attributes (and the table's
    ``fields``, if any) as pickle state would;
    ValueError when ``data`` is not such a table or would make over ``limit`` values."""
    if type(data) is not tuple or len(data) not in (7, 8):
        raise ValueError("not a table")
    module, qualname, names, ids, values, keys, shared = data[:7]
    fields = data[7] if len(data) == 8 else None
    if fields is not None and (type(fields) is not tuple or len(fields) > MAX_NAMES):
        raise ValueError("not field names")
    state = () if fields is None else (fields,)
    if type(module) is not str or type(qualname) is not str or len(module) + len(
            qualname) > MAX_NAME:
        raise ValueError("not a type name")
    width = len(names) if type(names) is tuple else 0
    if not 0 < width <= MAX_NAMES or set(map(type, names)) != {str}:
        raise ValueError("not attribute names")
    if type(ids) is not list or type(values) is not list or len(values) != len(ids) * width:
        raise ValueError("rows and values disagree")
    if set(map(type, ids)) - {int} or type(shared) is not dict:
        raise ValueError("not a table")
    if keys is not None and (type(keys) is not list or len(keys) != len(ids) or len(
            keys) - len(set(map(hash, keys))) > SAME_HASHES):
        raise ValueError("keys and rows disagree")
    if len(values) + 2 * len(ids) > limit:
        raise ValueError("too many values")
    prefix = f"<{module}.{qualname} object at "
    rows = []
    for row, key in enumerate(ids):
        made = shared.get(row)
        if made is None:
            made = snapshot(module, qualname, f"{prefix}{key:#x}>")
            start = row * width
            made.__setstate__((dict(zip(names, values[start:start + width])), None, None,
                               *state))
        rows.append(made)
    return rows if keys is None else dict(zip(keys, rows))


class Unpacking:
    """Stands for ``model.Value`` while one body is unpickled: a packed value comes
    back as what it packs, every other ``Value`` goes to ``make_value``. Packed data
    that does not unpack goes there too, for the loader to show as not rebuilt."""

    def __init__(self, make_value: Callable, snapshot: Callable) -> None:
        self.make_value = make_value
        self.snapshot = snapshot
        self.left = MAX_UNPACKED

    def __call__(self, kind: Any = "", data: Any = None) -> Any:
        if type(kind) is str:
            try:
                if kind == model.PACKED_DICT:
                    entries = unpack_dict(data, self.left)
                    self.left -= 2 * len(entries)
                    return entries
                if kind == model.RECORDS:
                    rows = unpack_records(data, self.snapshot, self.left)
                    self.left -= len(data[4]) + 2 * len(data[3])
                    return rows
            except Exception:  # any defect of a hostile or damaged value
                pass
        return self.make_value(kind, data)
