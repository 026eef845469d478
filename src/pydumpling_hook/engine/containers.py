"""How the copier copies builtin containers: whole when they fit, else both ends.

The copier's hot path: most of what real frames hold is lists, dicts and
tuples of scalars and short strings, so those take C-speed paths (slices,
set-of-types checks). A container over the item budget keeps nine tenths of
the budget from its start and one tenth from its end (``split``) and becomes
a ``model.CutContainer`` that knows its true length.
"""

from __future__ import annotations

from itertools import chain, islice, repeat

from ..dumpformat.model import (
    PACK_AT_LEAST,
    PACKED_DICT,
    RECORDS,
    CutContainer,
    ObjectSnapshot,
    Value,
    pack_dict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

NoneType = type(None)
ATOMIC = frozenset({int, float, bool, NoneType, complex, type(Ellipsis)})
ATOMIC_OR_STR = ATOMIC | {str}
SCALAR_COST = 8
CONTAINER_COST = 24
KEEP_ALWAYS = 120
"""Strings up to this length are kept even when the size budget is spent."""
RECORDS_AT_LEAST = 8
"""Fewer objects than this are copied one by one: the batch's checks would cost more."""


class Containers:
    """The container half of ``Copier`` (a mixin: the state lives in the copier)."""

    def _over_budget(self) -> bool:
        return self.spent >= self.stop_at

    def split(self, total: int) -> tuple[int, int]:
        """How many items of a container of ``total`` to keep from its start and from its
        end: all of them when they fit the item budget, else nine tenths of the budget
        from the start and one tenth from the end (1,000 items: 900 + 100)."""
        limit = self.items if not self._over_budget() else 8
        if total <= limit:
            return total, 0
        return limit - limit // 10, limit // 10

    def _scalars_fast(self, items: list) -> bool:
        """True when ``items`` can be kept as they are: scalars and short, non-secret strings."""
        kinds = set(map(type, items))
        if kinds <= ATOMIC:
            # Huge ints are checked where it is cheap (all-int lists, in C); a
            # mixed list may carry one, which only costs its size in the file.
            if kinds == {int} and items and max(
                    max(items).bit_length(), min(items).bit_length()) > 64 * 1024:
                return False
            self.spent += SCALAR_COST * len(items)
            return True
        if not kinds <= ATOMIC_OR_STR:
            return False
        strs = items if len(kinds) == 1 else [i for i in items if type(i) is str]
        lengths = list(map(len, strs))
        longest = max(lengths, default=0)
        if longest > KEEP_ALWAYS and (longest > self.string or self._over_budget()):
            return False
        if not self.redactor.texts_clean(strs):
            return False
        self.spent += sum(lengths) + SCALAR_COST * len(items)
        return True

    def _copy_items(self, items: list, depth: int, table: Any = False) -> Any:
        """Copies of ``items``; ``items`` itself when all may be kept as they are, so the
        caller passes a fresh list or copies the result. With ``table`` (True for the
        items of a list, the keys for a dict's values), records may come back as one
        ``RecordTable`` that stands for the whole list or dict."""
        if self._scalars_fast(items):
            return items
        records = self._records(items, depth, table)
        if records is not None:
            return records
        return [self.copy(item, depth + 1) for item in items]

    def _records(self, items: list, depth: int, table: Any = False) -> Any:
        """Snapshots of ``items`` when all are distinct, not yet copied records of one
        plain type (``TypeInfo.plain``) with the same attribute names and only kept-as-is
        scalars in them, and the budget has room for all; else None. With ``table``
        (see ``_copy_items``), one ``RecordTable`` of them, which may also be of a
        dataclass or attrs class (``TypeInfo.fields``) whose instances hold their fields
        first, in order, as the long way would put them.

        A list or dict of an application's objects (rows, items of a catalogue) is the
        commonest big thing in a frame: here their names and texts are checked once for
        all of them, with C-speed passes, instead of once per object, and as a table
        they pickle as a few flat lists instead of an object each."""
        if len(items) < RECORDS_AT_LEAST or depth + 1 >= self.depth_limit:
            return None
        kinds = set(map(type, items))
        if len(kinds) != 1:
            return None
        info = self.type_info(kinds.pop())
        ids = list(map(id, items))
        fields = info.fields if table is not False else None
        if not (info.plain or fields) or not self.memo.keys().isdisjoint(ids) or len(
                set(ids)) < len(ids):
            return None
        try:
            namespaces = list(map(info.dict_descr.__get__, items))
        except Exception:
            return None
        shapes = set(map(tuple, namespaces)) if set(map(type, namespaces)) == {dict} else ()
        if len(shapes) != 1:
            return None
        names = list(shapes.pop())
        if not names or self.redactor.any_secret_name(names):
            return None
        if fields is not None:
            present = set(names)
            declared = [n for n in fields[0] if n in present]
            if declared != names[:len(declared)]:
                return None  # the long way would put the fields first: another order
            fields = tuple(n for n in fields[1] if n in declared)
        spent = self.spent
        prefix = f"<{info.module}.{info.qualname} object at "
        values = list(chain.from_iterable(map(dict.values, namespaces)))
        if not self._scalars_fast(values) or (
                self.spent + len(items) * (CONTAINER_COST + len(prefix) + 16) >= self.stop_at):
            self.spent = spent
            return None
        if table is not False:
            out = RecordTable(info, names, ids, values, None if table is True else table,
                              fields)
            self.memo.update(zip(ids, repeat(out.rows)))
            self.spent += len(ids) * (CONTAINER_COST + len(prefix) + 1) + sum(
                map(len, map(hex, ids)))
            return out
        reprs = [f"{prefix}{key:#x}>" for key in ids]
        out = list(map(ObjectSnapshot, repeat(info.module), repeat(info.qualname), reprs,
                       map(dict, namespaces)))
        self.memo.update(zip(ids, out))
        self.spent += len(out) * CONTAINER_COST + sum(map(len, reprs))
        return out

    def _copy_pairs(self, value: dict, depth: int, out: dict, table: bool = False) -> Any:
        """Copies of a plain dict's entries into ``out``, hiding the values under
        secret-looking keys; with ``table``, a ``RecordTable`` instead when the values
        are records. Not for a handler's mapping: a table loads as a plain dict."""
        keys = list(value)
        redactor = self.redactor
        secret = redactor.any_secret_name(keys)
        if not secret and self._scalars_fast(keys):
            copied = self._copy_items(list(value.values()), depth, keys if table else False)
            if type(copied) is RecordTable:
                return copied
            out.update(zip(keys, copied))
            return out
        for key, item in value.items():
            if secret and redactor.secret_name(key):
                out[self.copy(key, depth + 1)] = self.redact("name", item)
                continue
            try:
                out[self.copy(key, depth + 1)] = self.copy(item, depth + 1)
            except TypeError:  # a key whose copy is unhashable
                out[repr(key)] = self.copy(item, depth + 1)
        return out

    def copy_items(self, kind: str, owner: Any, total: int, head: list, tail: list,
                   depth: int) -> Any:
        """The content of ``owner`` (a container of ``kind`` with ``total`` items) from the
        ``head`` and ``tail`` that ``split`` chose: a plain list when nothing was left out,
        else a ``CutContainer`` that knows the true length. ``head`` and ``tail`` must be
        fresh lists."""
        table = kind == "list"  # not a tuple's: a namedtuple's items are redacted by name
        if len(head) + len(tail) >= total:
            return self._copy_items(head + tail if tail else head, depth, table)
        cut = CutContainer(kind, total)
        self.memo[id(owner)] = cut  # made before its items, so a cycle through it closes
        self.spent += CONTAINER_COST
        self.cuts += 1
        cut.head = self._copy_items(head, depth, table)
        cut.tail = self._copy_items(tail, depth, table) if tail else []
        return cut

    def copy_entries(self, kind: str, owner: Any, total: int, head: dict, tail: dict,
                     depth: int) -> Any:
        """``copy_items`` for mappings: ``head`` and ``tail`` are plain dicts."""
        table = kind == "dict"
        if len(head) + len(tail) >= total:
            if tail:
                head.update(tail)
            return self._copy_pairs(head, depth, {}, table)
        cut = CutContainer(kind, total)
        self.memo[id(owner)] = cut
        self.spent += CONTAINER_COST
        self.cuts += 1
        cut.head = self._copy_pairs(head, depth, {}, table)
        cut.tail = self._copy_pairs(tail, depth, {}, table) if tail else {}
        return cut

    def _copy_list(self, value: list, depth: int) -> Any:
        total = len(value)
        keep, tail = self.split(total)
        if keep < total:
            return self.copy_items("list", value, total, value[:keep],
                                   value[total - tail:] if tail else [], depth)
        out: list = []
        self.memo[id(value)] = out
        self.spent += CONTAINER_COST
        hide = self.redactor.secret_pair(value) if 2 <= total <= 3 else -1
        if hide < 0:
            copied = self._copy_items(value, depth, True)
            if type(copied) is RecordTable:
                self.memo[id(value)] = copied
                return copied
            out.extend(copied)
        else:
            out.extend([self.redact("structure", item) if i == hide else self.copy(item, depth + 1)
                        for i, item in enumerate(value)])
        return out

    def _copy_collection(self, value: Any, cls: type, depth: int) -> Any:
        total = len(value)
        keep, tail = self.split(total)
        if keep < total:
            if cls is tuple:
                return self.copy_items("tuple", value, total, list(value[:keep]),
                                       list(value[total - tail:]) if tail else [], depth)
            # A set has no order: it keeps a head only, of the whole budget.
            return self.copy_items(cls.__name__, value, total, list(islice(value, keep + tail)),
                                   [], depth)
        head = list(value)
        self.spent += CONTAINER_COST
        hide = self.redactor.secret_pair(head) if cls is tuple and 2 <= total <= 3 else -1
        if hide >= 0 or not self._scalars_fast(head):
            if cls is tuple:
                # A tuple cannot be created before its items, so a cycle through it is
                # cut rather than followed.
                self.hold(value, self.type_info(cls), "cycle through a tuple")
            head = [self.redact("structure", item) if i == hide else self.copy(item, depth + 1)
                    for i, item in enumerate(head)]
        try:
            result = cls(head)
        except TypeError:  # a frozenset item whose copy is unhashable
            result = tuple(head)
        self.memo[id(value)] = result
        return result

    def _copy_dict(self, value: dict, depth: int) -> Any:
        total = len(value)
        keep, tail = self.split(total)
        if keep < total:
            return self.copy_entries("dict", value, total, *dict_ends(value, keep, tail),
                                     depth)
        self.spent += CONTAINER_COST
        self.memo[id(value)] = out = {}
        copied = self._copy_pairs(value, depth, out, True)
        if copied is out and total >= PACK_AT_LEAST:
            copied = pack_dict(out) or out
        if copied is not out:
            # Only strings or records in it: nothing reached the dict meanwhile.
            self.memo[id(value)] = copied
        return copied

    def _base_items(self, value: Any, info: Any, depth: int) -> Any:
        """The copied content of a builtin container's subclass (a list or dict subclass
        of the application's), read through the base type's C methods so no override
        runs, and never more than the item budget."""
        base = info.base
        if base not in (dict, list, tuple, set, frozenset):
            return None
        try:
            total = base.__len__(value)
            keep, tail = self.split(total)
            if base is dict:
                return self.copy_entries("dict", value, total,
                                         *dict_ends(dict.items(value), keep, tail), depth)
            if base is list or base is tuple:
                head = list(base.__getitem__(value, slice(0, keep)))
                end = list(base.__getitem__(value, slice(total - tail, total))) if tail else []
            else:
                head, end = list(islice(base.__iter__(value), keep)), []
            return self.copy_items(base.__name__, value, total, head, end, depth)
        except Exception:
            return None


class RecordTable(Value):
    """Capture's side of a ``model.RECORDS`` table: pickles as that ``model.Value``.

    The memo holds ``rows`` for each object of the table. An object met again
    elsewhere (a local that is one of the rows) gets its snapshot from ``row``,
    which also lists it in the table's ``shared``, so that both places load as
    one object, as they were one in the process.
    """

    __slots__ = ("rows", "_position")

    def __init__(self, info: Any, names: list, ids: list, values: list,
                 keys: list | None, fields: tuple | None = None) -> None:
        data = (info.module, info.qualname, tuple(names), ids, values, keys, {})
        super().__init__(RECORDS, data if fields is None else (*data, fields))
        self.rows = TableRows(self)
        self._position: dict | None = None

    def __reduce__(self) -> tuple:
        return (Value, (self.kind, self.data))

    def row(self, key: int) -> ObjectSnapshot:
        """The snapshot of the object whose ``id`` is ``key``."""
        module, qualname, names, ids, values, _, shared = self.data[:7]
        if self._position is None:
            self._position = dict(zip(ids, range(len(ids))))
        row = self._position[key]
        snap = shared.get(row)
        if snap is None:
            start = row * len(names)
            snap = shared[row] = ObjectSnapshot(
                module, qualname, f"<{module}.{qualname} object at {key:#x}>",
                dict(zip(names, values[start:start + len(names)])))
            snap.fields = self.data[7] if len(self.data) > 7 else None
        return snap

    def expanded(self) -> Any:
        """The list or dict of snapshots this table stands for. Each is listed in
        ``shared``, so a later reference to the same object is the same snapshot."""
        rows = list(map(self.row, self.data[3]))
        keys = self.data[5]
        return rows if keys is None else dict(zip(keys, rows))


def as_entries(copy: Any) -> Any:
    """A copy as the dict or list it stands for, for a handler that merges its entries
    into another dict: a packed dict unpacked, a record table expanded."""
    if type(copy) is RecordTable:
        return copy.expanded()
    if type(copy) is Value and copy.kind == PACKED_DICT:
        from ..dumpformat.packed import unpack_dict

        return unpack_dict(copy.data, len(copy.data) + 1)
    return copy


class TableRows:
    """What the memo holds for every object copied into a ``RecordTable``."""

    __slots__ = ("table",)

    def __init__(self, table: RecordTable) -> None:
        self.table = table


def dict_ends(items: Any, keep: int, tail: int) -> tuple[dict, dict]:
    """The first ``keep`` and last ``tail`` entries of a dict (or of its ``items()``
    view), as two plain dicts, reading nothing in between."""
    if type(items) is dict:
        items = items.items()
    head = dict(islice(items, keep))
    end = dict(reversed(list(islice(reversed(items), tail)))) if tail else {}
    return head, end
