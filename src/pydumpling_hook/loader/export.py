"""``--json``: the whole dump (header and safe body) as JSON, for tools.

The body is pickle-shaped (tuples, sets, bytes, shared and cyclic containers,
the ``model`` types), so it is converted first:

* ``str``, ``int``, ``bool``, ``None`` and finite floats stay as they are;
  tuples, lists, sets and frozensets become arrays (sets sorted by repr, so the
  output is stable); dicts become objects, with non-string keys as their repr.
* Every other value becomes its repr string (bytes, complex, NaN, ranges...).
* ``ObjectSnapshot`` -> ``{"__type__": "module.Qualname", "repr": ..., "attrs": {...}}``
  (plus ``items``, ``note`` and a record's ``fields`` when present);
  ``Cut`` -> ``{"__cut__": count, "unit": ...}``;
  ``Redacted`` -> ``{"__redacted__": true, "rule": ...}`` (plus ``hint``, the masked
  text of a partly secret value);
  ``TruncatedStr``/``TruncatedBytes`` -> ``{"__truncated__": kind, "value": ..., "omitted": n,
  "tail": ...}``; ``CutContainer`` -> ``{"__cut__": omitted, "unit": "items", "kind": ...,
  "total": n, "head": [...], "tail": [...]}`` (head and tail are objects for the mapping
  kinds); ``Value`` -> ``{"__value__": kind, "data": ...}``.
* An int too long for digits becomes ``"<int with N bits>"``.
* A container met again inside itself becomes ``{"__cycle__": "<type>"}``; shared
  but acyclic ones are written at each place (exception chains are small).
  Depth beyond ``MAX_DEPTH`` and nodes beyond ``MAX_NODES`` become ``Cut``-like
  markers, and strings past ``MAX_CHARS`` in all are truncated like capture's, so
  a hostile body (a few bytes of pickle can share one list a billion times) cannot
  make the work or the output unbounded: any body converts in well under a second.
* The budget applies to each top-level section of the body on its own, so that
  a huge ``exception`` cannot crowd ``threads``, ``sources`` or ``stats`` out:
  every section is always there, and a section that was cut is named in the
  document's ``export.cut`` and on stderr. ``--json --full`` has no budget
  (only the depth bound, which keeps the conversion from overflowing the stack).
"""

from __future__ import annotations

import json
import math
from itertools import islice
from typing import IO, Any, Dict, List

from ..dumpformat import model
from .text import MAX_INT_BITS, as_text, bounded_repr, int_text
from .values import NAME_LIMIT

MAX_DEPTH = 100
MAX_NODES = 200_000
"""Values written in all (a repr counts one per 16 characters, a deep value more for its
indentation): about half a second of work, and some 10 MB of output, at most."""
MAX_CHARS = 32 << 20
"""Characters of strings written in all; the rest of each string is cut visibly."""
REPR_LIMIT = 10_000
KEY_ALWAYS = 100
"""Dict keys up to this length are written whole even when the string budget is spent:
they tell the entries apart, and keys cut alike would merge two entries into one."""
_UNIT = "items (export budget)"


SECTIONS = ("format", "meta", "exception", "threads", "sources", "stats")
"""The body's sections that each get a budget of their own; any others share one."""


class _Converter:
    def __init__(self, budget: bool = True) -> None:
        self.active: set = set()
        self.nodes = 0
        self.chars = 0
        self.max_nodes = MAX_NODES if budget else float("inf")
        self.max_chars = MAX_CHARS if budget else float("inf")
        self.cut = False

    def _repr(self, value: Any) -> str:
        text = bounded_repr(value, REPR_LIMIT)
        self.nodes += len(text) // 16
        return text

    def _str(self, text: str, omitted: Any = None) -> Any:
        """A string, or (truncated at capture, or here past ``MAX_CHARS``) its marker."""
        left = max(self.max_chars - self.chars, 0)
        self.chars += min(len(text), left)
        if omitted is None and len(text) <= left:
            return str(text)
        extra = int(max(len(text) - left, 0))
        if extra:
            self.cut = True
            omitted = omitted + extra if isinstance(omitted, int) else extra
        self.nodes += 3  # a marker is four JSON values, and each costs the encoder alike
        return {"__truncated__": "str", "value": str(text[:len(text) - extra]),
                "omitted": self.convert(omitted)}

    def convert(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1 + depth // 8  # the indentation of deep values is output too
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, model.TruncatedStr):
            out = self._str(value, value.omitted)
            if isinstance(out, dict) and getattr(value, "tail", ""):
                out["tail"] = self.convert(value.tail, depth + 1)
            return out
        if isinstance(value, model.TruncatedBytes):
            self.nodes += 3
            out = {
                "__truncated__": self._name(value.kind),
                "value": self._repr(bytes(value[:REPR_LIMIT])),
                "omitted": self.convert(value.omitted, depth + 1),
            }
            tail = getattr(value, "tail", b"")
            if isinstance(tail, bytes) and tail:
                out["tail"] = self._repr(tail[-REPR_LIMIT:])
            return out
        if isinstance(value, str):
            return self._str(value)
        if isinstance(value, int):
            return int(value) if value.bit_length() <= MAX_INT_BITS else int_text(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else repr(value)
        if isinstance(value, model.Cut):
            return {"__cut__": self.convert(value.count, depth + 1), "unit": self._name(value.unit)}
        if isinstance(value, model.Redacted):
            out: Dict[str, Any] = {"__redacted__": True, "rule": self._name(value.rule or "")}
            if value.hint is not None:
                out["hint"] = self.convert(value.hint, depth + 1)
            return out
        if not isinstance(value, (list, tuple, set, frozenset, dict, model.ObjectSnapshot,
                                  model.CutContainer, model.Value)):
            return self._repr(value)
        if depth >= MAX_DEPTH:
            return {"__cut__": 1, "unit": "levels (export depth)"}
        if id(value) in self.active:
            return {"__cycle__": type(value).__name__}
        self.active.add(id(value))
        try:
            return self._container(value, depth + 1)
        finally:
            self.active.discard(id(value))

    def _over(self) -> bool:
        if self.nodes >= self.max_nodes:
            self.cut = True
            return True
        return False

    def _container(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            out_dict: Dict[str, Any] = {}
            for done, (key, item) in enumerate(value.items()):
                if self._over():
                    # as capture marks a cut in a dict: the Cut as key, Ellipsis as value
                    out_dict[repr(model.Cut(len(value) - done, _UNIT))] = repr(Ellipsis)
                    break
                out_dict[self._key(key)] = self.convert(item, depth)
            return out_dict
        if isinstance(value, (set, frozenset)):
            room = self.max_nodes - self.nodes
            items = sorted(value if room >= len(value) else islice(value, max(int(room), 0)),
                           key=bounded_repr)
            return self._items(items, len(value), depth)
        if isinstance(value, (list, tuple)):
            return self._items(value, len(value), depth)
        if isinstance(value, model.CutContainer):
            kept = _size(value.head) + _size(value.tail)
            total = value.total if isinstance(value.total, int) else kept
            return {"__cut__": max(total - kept, 0), "unit": "items",
                    "kind": self._name(value.kind), "total": self.convert(total, depth),
                    "head": self.convert(value.head, depth),
                    "tail": self.convert(value.tail, depth)}
        if isinstance(value, model.Value):
            return {"__value__": self._name(value.kind), "data": self.convert(value.data, depth)}
        self.nodes += 3
        out: Dict[str, Any] = {
            "__type__": f"{self._name(value.module)}.{self._name(value.qualname)}",
            "repr": self.convert(value.repr, depth),
            "attrs": self.convert(value.attrs or {}, depth),
        }
        if value.items is not None:
            out["items"] = self.convert(value.items, depth)
        if value.note:
            out["note"] = self.convert(value.note, depth)
        if getattr(value, "fields", None):
            out["fields"] = self.convert(value.fields, depth)
        return out

    def _items(self, items: Any, size: int, depth: int) -> List[Any]:
        out: List[Any] = []
        for item in items:
            if self._over():
                break
            out.append(self.convert(item, depth))
        if len(out) < size:
            out.append({"__cut__": size - len(out), "unit": _UNIT})
        return out

    @staticmethod
    def _name(value: Any) -> str:
        """A type or unit name: short text whatever the file holds."""
        return as_text(value, NAME_LIMIT)[:NAME_LIMIT]

    def _key(self, key: Any) -> str:
        """A dict key as JSON text; a str key shares the string budget (one huge string
        behind the keys of thousands of objects is written out once, not every time)."""
        if not isinstance(key, str):
            return self._repr(key)
        keep = max(self.max_chars - self.chars, KEY_ALWAYS)
        self.chars += min(len(key), keep)
        if len(key) <= keep:
            return str(key)
        self.cut = True
        kept = int(min(keep, REPR_LIMIT))
        return f"{key[:kept]}<… {len(key) - kept:,} more characters (export budget)>"


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (list, dict)) else 0


def to_jsonable(value: Any) -> Any:
    """``value`` converted as described in the module docstring."""
    return _Converter().convert(value)


def write_json(header: Dict[str, Any], body: Dict[str, Any], out: IO[str],
               full: bool = False) -> List[str]:
    """Write ``{"header": ..., "body": ..., "export": ...}`` to ``out``, newline-terminated.

    Returns the names of the sections the export budget cut (none with ``full``).
    """
    converted: Dict[str, Any] = {}
    cut: List[str] = []
    shared = _Converter(not full)
    for name, value in body.items():
        converter = _Converter(not full) if name in SECTIONS else shared
        key = converter._key(name)
        converted[key] = converter.convert(value, 1)
        if converter.cut and key not in cut:
            cut.append(key)
        if converter is shared and shared._over():
            cut.append(f"{len(body) - len(converted):,} more keys")
            break
    export = {"full": full, "cut": cut,
              "budget": None if full else f"{MAX_NODES:,} values and {MAX_CHARS:,} characters "
                                          "per section; --json --full has none"}
    document = {"header": _Converter(not full).convert(header), "body": converted,
                "export": export}
    # one write: json.dump would write each of its (many small) pieces separately
    out.write(json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    out.flush()
    return cut
