"""DAP ``Variable``s from values, and the ``variablesReference`` numbers a client expands.

A reference is a small index into a table that keeps the value alive (so
references never dangle while the dump is open, which is the whole session).
The same value reached by the same expression gets the same reference again,
because editors re-ask for every scope and child after each request; so the
table grows with what the user opens, not with how often the editor refreshes.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, NamedTuple, Tuple

from ...dumpformat import model
from .protocol import MAX_ID, RequestError
from .views import CUT_NAME, VALUE_LIMIT, Child, View, names, text, type_name, view

MAX_REFERENCES = 1_000_000
"""References handed out in one session; past it, values show but do not expand."""
MAX_PAGE = 10_000
"""Indexed children sent in one response; a client that asks for all gets a visible cut."""
HIDDEN_GLOBALS = frozenset({"__builtins__"})
"""Names the rebuild puts into a frame's globals that capture never recorded."""


class NamespaceView(View):
    """A scope (Locals, Globals): named children reached by their bare names."""

    def __init__(self, namespace: Mapping, hidden: frozenset = frozenset()) -> None:
        super().__init__(namespace)
        self._named = [c for c in names(namespace, attribute=False) if c.name not in hidden]

    def named_count(self) -> int:
        return len(self._named)

    def named(self) -> List[Child]:
        return self._named


class _Entry(NamedTuple):
    view: View
    expression: str | None


def _view(value: Any) -> View:
    try:
        return view(value)
    except Exception:  # a dispatch on a truly odd object: show it as a leaf
        return View(value)


def _join(expression: str | None, access: str | None) -> str | None:
    if access is None or expression is None:
        return None
    return access if not expression else expression + access


class Presenter:
    """Turns values into Variables and remembers what the client may expand."""

    def __init__(self) -> None:
        self._entries: List[_Entry] = []
        self._known: Dict[Tuple[int, str | None], int] = {}

    def _reference(self, key: Any, entry: _Entry) -> int:
        known = self._known.get((id(key), entry.expression))
        if known is not None:
            return known
        if len(self._entries) >= MAX_REFERENCES:
            return 0
        self._entries.append(entry)
        self._known[(id(key), entry.expression)] = len(self._entries)
        return len(self._entries)

    def scope(self, name: str, namespace: Mapping, hide: bool = False) -> Dict[str, Any]:
        """A DAP Scope over a frame's locals or globals."""
        scope_view = NamespaceView(namespace, HIDDEN_GLOBALS if hide else frozenset())
        reference = self._reference(namespace, _Entry(scope_view, ""))
        return {"name": name, "variablesReference": reference, "expensive": False,
                "namedVariables": scope_view.named_count(),
                "presentationHint": "locals" if name == "Locals" else "globals"}

    def variable(self, name: str, value: Any, evaluate_name: str | None) -> Dict[str, Any]:
        out = self.describe(value, evaluate_name)
        out["name"] = name
        if evaluate_name:
            out["evaluateName"] = evaluate_name
        return out

    def describe(self, value: Any, expression: str | None,
                 limit: int = VALUE_LIMIT) -> Dict[str, Any]:
        """``value``, ``type`` and the expansion fields, as both Variable and evaluate use."""
        value_view = _view(value)
        named, indexed = value_view.named_count(), value_view.indexed_count()
        reference = self._reference(value, _Entry(value_view, expression)) \
            if named or indexed else 0
        out: Dict[str, Any] = {"value": text(value, limit),
                               "type": type_name(value), "variablesReference": reference}
        if reference and named:
            out["namedVariables"] = min(named, MAX_ID)
        if reference and indexed:
            out["indexedVariables"] = min(indexed, MAX_ID)
        return out

    def children(self, reference: int, which: str | None, start: int,
                 count: int) -> List[Dict[str, Any]]:
        """The children of ``reference``: ``which`` is DAP's filter, ``count`` 0 means all."""
        if not 0 < reference <= len(self._entries):
            raise RequestError(f"no variables with reference {reference}")
        entry = self._entries[reference - 1]
        kids: List[Child] = []
        if which in (None, "named"):
            named = entry.view.named()
            kids += named[start:start + count] if which == "named" and count else named
        if which in (None, "indexed"):
            total = entry.view.indexed_count()
            stop = total if not count else min(start + count, total)
            if stop - start > MAX_PAGE:
                kids += entry.view.indexed(start, start + MAX_PAGE)
                kids.append(Child(CUT_NAME, model.Cut(stop - start - MAX_PAGE,
                                                      "items (ask with start and count)"), None))
            else:
                kids += entry.view.indexed(start, stop)
        return [self.variable(kid.name, kid.value, _join(entry.expression, kid.access))
                for kid in kids]
