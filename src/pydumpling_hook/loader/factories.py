"""The factories the restricted unpickler calls instead of the ``model`` types.

One fresh set per load (``factories()``), sharing one ``TextBudget``, so that a
file sharing one huge string among thousands of values cannot make the loader
copy it thousands of times. What each factory builds is described in
``values``; the cut values are ``cuts`` and ``cuttext``, the rebuilt
well-known values ``builders``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from ..dumpformat import model
from .cuts import cut_container
from .cuttext import CutText
from .records import MAX_COUNT
from .values import NAME_LIMIT, TEXT_LIMIT, TextBudget, clean_count, clean_text, snapshot_class


def _cut(text: Any, omitted: Any, budget: TextBudget, tail: Any = None) -> tuple:
    """``text`` (a str or bytes) and ``tail`` cut to what the budget allows, with the new
    omitted count: the head keeps its start, the tail its end."""
    omitted = clean_count(omitted)
    kept = budget.limit(min(len(text), TEXT_LIMIT))
    if kept < len(text):
        omitted = min(omitted + len(text) - kept, MAX_COUNT)
    text = text[:kept]
    if tail:
        keep_tail = budget.limit(min(len(tail), TEXT_LIMIT // 10))
        if keep_tail < len(tail):
            omitted = min(omitted + len(tail) - keep_tail, MAX_COUNT)
            tail = tail[len(tail) - keep_tail:]
    return text, omitted, tail


def _exact(value: Any, default: str, limit: int = NAME_LIMIT, lines: bool = False) -> str:
    """``clean_text`` without the escaping, for ``--json``, which must stay exact."""
    return str(value[:limit]) if isinstance(value, str) else default


def _bytes(value: Any) -> bytes:
    return bytes(value) if isinstance(value, (bytes, bytearray)) else b""


def factories(budget: TextBudget | None = None,
              exact: bool = False) -> Dict[str, Callable[..., Any]]:
    """What ``dumpfile.read_body(path, classes=factories())`` builds instead of the model
    types.

    ``exact`` (for ``--json``) keeps the model types and the text as it is (no
    escaping); only the copies a cut string or bytes value makes are budgeted.
    """
    budget = budget or TextBudget()
    text = _exact if exact else clean_text

    def object_snapshot(module: Any = None, qualname: Any = None,
                        repr_text: Any = None) -> Any:
        """``ObjectSnapshot(module, qualname, repr)``; state comes via ``__setstate__``."""
        if exact:  # the model type keeps references: nothing is copied
            return model.ObjectSnapshot(module, qualname, repr_text)
        cls = snapshot_class(module, qualname)
        default = f"<{cls.__module__}.{cls.__qualname__} object>"
        wanted = min(len(repr_text), TEXT_LIMIT) if isinstance(repr_text, str) else 0
        return cls(clean_text(repr_text, default, budget.limit(wanted), lines=True), budget)

    def cut(count: Any = 0, unit: Any = "items") -> model.Cut:
        """A bad count or unit must not break its repr later."""
        return model.Cut(clean_count(count), text(unit, "items", 40))

    def redacted(rule: Any = None, hint: Any = None) -> model.Redacted:
        """The rule kind is a short name or nothing, the hint (the masked text of a partly
        secret value) a bounded string or bytes or nothing."""
        if isinstance(hint, (str, bytes)):
            hint = hint[:budget.limit(min(len(hint), TEXT_LIMIT))]
        else:
            hint = None
        return model.Redacted(text(rule, "", 40) or None, hint)

    def truncated_str(prefix: Any = "", omitted: Any = 0, tail: Any = "") -> Any:
        """A cut string that knows its true length."""
        head, omitted, tail = _cut(prefix if isinstance(prefix, str) else "", omitted, budget,
                                   tail if isinstance(tail, str) else "")
        if exact:
            return model.TruncatedStr(head, omitted, tail)
        return CutText("str", str(head), omitted, str(tail))

    def truncated_bytes(prefix: Any = b"", omitted: Any = 0, kind: Any = "bytes",
                        tail: Any = b"") -> Any:
        head, omitted, tail = _cut(_bytes(prefix), omitted, budget, _bytes(tail))
        if exact:
            return model.TruncatedBytes(head, omitted, text(kind, "bytes", 40), tail)
        return CutText("bytearray" if kind == "bytearray" else "bytes", head, omitted, tail)

    made = {
        "ObjectSnapshot": object_snapshot,
        "Cut": cut,
        "Redacted": redacted,
        "TruncatedStr": truncated_str,
        "TruncatedBytes": truncated_bytes,
    }
    if not exact:
        made["CutContainer"] = cut_container
        made["Value"] = _value
    return made


def _value(kind: Any = "", data: Any = None) -> Any:
    """``model.Value``: the real value or summary its kind's builder makes."""
    from .builders import build  # the builders use the classes of ``values``

    return build(kind, data)
