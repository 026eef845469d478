"""``--json``: the whole dump (header and safe body) as JSON, for tools.

The body is pickle-shaped (tuples, sets, bytes, shared and cyclic containers,
the ``model`` types), so it is converted first:

* ``str``, ``int``, ``bool``, ``None`` and finite floats stay as they are;
  tuples, lists, sets and frozensets become arrays (sets sorted by repr, so the
  output is stable); dicts become objects, with non-string keys as their repr.
* Every other value becomes its repr string (bytes, complex, NaN, ranges...).
* ``ObjectSnapshot`` -> ``{"__type__": "module.Qualname", "repr": ..., "attrs": {...}}``
  (plus ``items`` and ``note`` when present);
  ``Cut`` -> ``{"__cut__": count, "unit": ...}``; ``Redacted`` -> ``{"__redacted__": true}``;
  ``TruncatedStr``/``TruncatedBytes`` -> ``{"__truncated__": kind, "value": ..., "omitted": n}``.
* A container met again inside itself becomes ``{"__cycle__": "<type>"}``; shared
  but acyclic ones are written at each place (exception chains are small).
  Depth beyond ``MAX_DEPTH`` and nodes beyond ``MAX_NODES`` become ``Cut``-like
  markers, so a hostile body cannot make the output unbounded.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any, Dict, List

from .. import model
from .text import bounded_repr

MAX_DEPTH = 100
MAX_NODES = 2_000_000
REPR_LIMIT = 10_000


class _Converter:
    def __init__(self) -> None:
        self.active: set = set()
        self.nodes = 0

    def convert(self, value: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return {"__cut__": 1, "unit": "nodes (export budget)"}
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, model.TruncatedStr):
            return {"__truncated__": "str", "value": str(value), "omitted": value.omitted}
        if isinstance(value, model.TruncatedBytes):
            return {
                "__truncated__": value.kind,
                "value": bytes.__repr__(value),
                "omitted": value.omitted,
            }
        if isinstance(value, str):
            return str(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else repr(value)
        if isinstance(value, model.Cut):
            return {"__cut__": value.count, "unit": value.unit}
        if isinstance(value, model.Redacted):
            return {"__redacted__": True}
        if not isinstance(value, (list, tuple, set, frozenset, dict, model.ObjectSnapshot)):
            return bounded_repr(value, REPR_LIMIT)
        if depth >= MAX_DEPTH:
            return {"__cut__": 1, "unit": "levels (export depth)"}
        if id(value) in self.active:
            return {"__cycle__": type(value).__name__}
        self.active.add(id(value))
        try:
            return self._container(value, depth + 1)
        finally:
            self.active.discard(id(value))

    def _container(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            return {self._key(k): self.convert(v, depth) for k, v in value.items()}
        if isinstance(value, (set, frozenset)):
            return [self.convert(v, depth) for v in sorted(value, key=bounded_repr)]
        if isinstance(value, (list, tuple)):
            return [self.convert(v, depth) for v in value]
        out: Dict[str, Any] = {
            "__type__": f"{value.module}.{value.qualname}",
            "repr": self.convert(value.repr, depth),
            "attrs": self.convert(value.attrs or {}, depth),
        }
        if value.items is not None:
            out["items"] = self.convert(value.items, depth)
        if value.note:
            out["note"] = self.convert(value.note, depth)
        return out

    @staticmethod
    def _key(key: Any) -> str:
        if isinstance(key, str):
            return str(key)
        if isinstance(key, model.Cut):
            return repr(key)
        return bounded_repr(key, REPR_LIMIT)


def to_jsonable(value: Any) -> Any:
    """``value`` converted as described in the module docstring."""
    return _Converter().convert(value)


def write_json(header: Dict[str, Any], body: Dict[str, Any], out: IO[str]) -> None:
    """Write ``{"header": ..., "body": ...}`` to ``out``, one document, newline-terminated."""
    document: List[Any] = [("header", header), ("body", body)]
    json.dump(to_jsonable(dict(document)), out, ensure_ascii=False, indent=1, allow_nan=False)
    out.write("\n")
    out.flush()
