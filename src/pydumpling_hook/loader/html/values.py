"""What the locals tree may know about a value: its one-line text and its children.

The templates never look at a value. They get ``Node`` trees built from
``describe(value)``, the one place that knows the types a dump can hold. So a
value type added later (a container that knows its true length, a stdlib
value, an array summary) plugs in with one ``register(cls, adapter)`` call and
no template changes; until it does, the fallbacks below treat any mapping or
sequence as a container and anything else as a leaf showing its bounded repr.

Every adapter must say truthfully what it leaves out: ``total`` is how many
children the value really has (the tree shows ``N more ... not shown``), and
``mark`` tells the reader that the value itself is a cut, a redaction or a
truncated string, exactly as capture recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from itertools import islice
from typing import Any, Callable, Iterable, List, NamedTuple, Tuple

from ...dumpformat import model
from ..cuts import CutDict, CutList, CutValue
from ..cuttext import CutText
from ..text import as_text, bounded_repr, one_line, type_name
from ..values import Snapshot

TEXT_LIMIT = 200
"""Longest one-line text of a value, in characters (the same as ``--print --locals``)."""
LABEL_LIMIT = 80
"""Longest label (a dict key's repr) in the tree."""
LONG_TEXT_LIMIT = 20_000
"""Most characters of a long string shown whole under its node (capture keeps 10,000)."""
CHILDREN_LIMIT = 100
"""Children listed per container; the rest is counted, never dropped silently."""
SCAN_LIMIT = 100_000
"""Items of a set searched for capture's ``Cut`` (capture keeps 1,000)."""


class View(NamedTuple):
    """One value as the tree shows it."""

    text: str
    type: str
    children: List[Tuple[str, Any]] = []
    total: int = 0
    mark: str = ""
    long_text: str | None = None
    note: str | None = None
    tail: Any = None
    """Capture's ``Cut`` of a container whose listed children stop before it: the tree
    says both what the report leaves out and what capture left out."""


Adapter = Callable[[Any], View]
_EXACT: dict = {}
_BASES: List[Tuple[type, Adapter]] = []


def register(cls: type, adapter: Adapter, exact: bool = False) -> None:
    """Describe instances of ``cls`` (subclasses too, unless ``exact``) with ``adapter``.

    Later registrations of a base class win over earlier ones, so a specific
    type registered after a general one is found first.
    """
    if exact:
        _EXACT[cls] = adapter
    else:
        _BASES.insert(0, (cls, adapter))


def describe(value: Any) -> View:
    """The ``View`` of ``value``; a failing adapter gives a leaf saying so, never an error."""
    adapter = _EXACT.get(type(value))
    if adapter is None:
        adapter = next((a for cls, a in _BASES if isinstance(value, cls)), _leaf)
    try:
        return adapter(value)
    except Exception as exc:  # a malformed value from a hostile file ends one node, not the page
        return View(f"<cannot show: {type(exc).__name__}>", _type_name(value), mark="cut")


def _type_name(value: Any) -> str:
    cls = type(value)
    return type_name(getattr(cls, "__module__", "builtins"), cls.__qualname__)


def _text(value: Any) -> str:
    return one_line(bounded_repr(value, TEXT_LIMIT), TEXT_LIMIT)


def _leaf(value: Any) -> View:
    return View(_text(value), _type_name(value))


def _first(items: Iterable[Any]) -> List[Any]:
    return list(islice(items, CHILDREN_LIMIT))


def _index(i: int, item: Any) -> str:
    """A list item's label; the ``Cut`` capture appended where it stopped has none."""
    return "" if isinstance(item, model.Cut) else f"[{i}]"


def _container(value: Any, pairs: Iterable[Tuple[str, Any]], cut: Any) -> View:
    """``pairs`` are the value's (label, child); ``cut`` is capture's ``Cut`` in it, if any."""
    children = _first(pairs)
    total = len(value)
    if isinstance(cut, model.Cut) and total > len(children):
        return View(_text(value), _type_name(value), children, total - 1, tail=cut)
    return View(_text(value), _type_name(value), children, total)


def _sequence(value: Any) -> View:
    return _container(value, ((_index(i, item), item) for i, item in enumerate(value)),
                      value[-1] if value else None)


def _set(value: Any) -> View:
    cut = next((item for item in islice(value, SCAN_LIMIT) if isinstance(item, model.Cut)), None)
    return _container(value, (("", item) for item in value if item is not cut), cut)


def label(key: Any) -> str:
    """A dict key as a label: its repr, bounded."""
    return one_line(bounded_repr(key, LABEL_LIMIT), LABEL_LIMIT)


def _mapping(value: Any) -> View:
    """A dict; capture marks its cut with a ``Cut`` key (and ``...`` value): shown as that cut."""
    pairs = (("", key) if isinstance(key, model.Cut) else (label(key), item)
             for key, item in value.items())
    return _container(value, pairs, next(reversed(value), None) if isinstance(value, dict)
                      else None)


def _string(value: Any) -> View:
    """A string or bytes value: one line, and its whole text under the node when it is long.

    A value capture truncated ends with capture's own marker in both places, so
    the cut stays visible however short the line is.
    """
    if isinstance(value, str):
        plain: Any = str(value)
        unit, kind = "characters", "str"
    else:
        kind = as_text(getattr(value, "kind", type(value).__name__), LABEL_LIMIT)
        plain = bytearray(value) if kind == "bytearray" else bytes(value)
        unit = "bytes"
    omitted = getattr(value, "omitted", None)
    mark = "truncated" if omitted is not None else ""
    cut = f"<… {omitted:,} more {unit}>" if isinstance(omitted, int) else ""
    limit = TEXT_LIMIT - len(cut)
    line = one_line(bounded_repr(plain, limit), limit)
    if len(line) < limit:
        return View(line + cut, kind, mark=mark)
    whole = str(plain) if unit == "characters" else bytes.__repr__(bytes(plain))[2:-1]
    if len(whole) > LONG_TEXT_LIMIT:
        left = len(whole) - LONG_TEXT_LIMIT
        whole = whole[:LONG_TEXT_LIMIT] + f"<… {left:,} more {unit} not shown in this report>"
    return View(line + cut, kind, mark=mark, long_text=whole + cut)


def _snapshot_children(attrs: Any, items: Any) -> Tuple[List[Tuple[str, Any]], int]:
    """A captured object's attributes (``.name``) then its items, within the children limit."""
    children: List[Tuple[str, Any]] = []
    total = 0
    if isinstance(attrs, Mapping):
        children += [(f".{as_text(k, LABEL_LIMIT)}", v) for k, v in _first(attrs.items())]
        total += len(attrs)
    if items is not None:
        inner = describe(items)
        children += inner.children[: CHILDREN_LIMIT - len(children)] if inner.children else [
            ("items", items)]
        total += inner.total if inner.children else 1
    return children, total


def _object(value: Any) -> View:
    """An object the loader stands in for (``values.Snapshot``): its repr, attributes, items."""
    text, items, note = value.__pydumpling__
    children, total = _snapshot_children(vars(value), items)
    cls = type(value)
    return View(one_line(text, TEXT_LIMIT), type_name(cls.__module__, cls.__qualname__),
                children, total, note=note or None)


def _raw_object(value: model.ObjectSnapshot) -> View:
    """The format's own ``ObjectSnapshot``, for bodies read without the loader's factories."""
    children, total = _snapshot_children(value.attrs, value.items)
    name = type_name(as_text(value.module, LABEL_LIMIT), as_text(value.qualname, LABEL_LIMIT))
    return View(_text(value), name, children, total,
                note=as_text(value.note) if value.note else None)


def _cut_container(value: CutValue) -> View:
    """A container capture cut: its kept head, capture's cut, its kept tail (list items
    labelled by their true position). Past the report's own limit, the View's ``tail``
    says what capture left out after the listed children."""
    cut = model.Cut(value.omitted)
    if isinstance(value, CutDict):
        head = [(label(k), v) for k, v in value.head.items()]
        tail = [(label(k), v) for k, v in value.tail.items()]
    elif isinstance(value, CutList):
        start = value.total - len(value.tail)
        head = [(f"[{i}]", v) for i, v in enumerate(value.head)]
        tail = [(f"[{start + i}]", v) for i, v in enumerate(value.tail)]
    else:
        head, tail = [("", v) for v in value.head], [("", v) for v in value.tail]
    children = _first([*head, ("", cut), *tail])
    kind = as_text(value.kind, LABEL_LIMIT)
    if len(children) <= len(head):
        return View(_text(value), kind, children, len(head) + len(tail), tail=cut)
    return View(_text(value), kind, children, len(head) + 1 + len(tail))


def _cut_text(value: CutText) -> View:
    """A string or bytes value capture cut: its head, capture's marker, its tail."""
    unit = "characters" if value.kind == "str" else "bytes"
    marker = f"<… {value.omitted:,} more {unit}>"

    def shown(part: Any) -> str:
        return str(part) if unit == "characters" else bytes.__repr__(bytes(part))[2:-1]

    whole = shown(value.head) + marker + shown(value.tail)
    if len(whole) > LONG_TEXT_LIMIT:
        whole = whole[:LONG_TEXT_LIMIT] + "<… the rest is not shown in this report>"
    return View(_text(value), as_text(value.kind, LABEL_LIMIT), mark="truncated",
                long_text=whole)


def _cut(value: model.Cut) -> View:
    return View(_text(value), "cut", mark="cut")


def _redacted(value: model.Redacted) -> View:
    """The kind of rule that hid the value (format 2) is shown; the value never was captured."""
    rule = getattr(value, "rule", None)
    return View("<redacted>", f"redacted by a {as_text(rule, LABEL_LIMIT)} rule" if rule
                else "redacted", mark="redacted")


for _cls, _adapter in (
    (Mapping, _mapping),
    (list, _sequence),
    (tuple, _sequence),
    (Set, _set),
    (str, _string),
    (bytes, _string),
    (bytearray, _string),
    (model.ObjectSnapshot, _raw_object),
    (Snapshot, _object),
    (model.Cut, _cut),
    (model.Redacted, _redacted),
    (CutValue, _cut_container),
    (CutText, _cut_text),
):
    register(_cls, _adapter)
