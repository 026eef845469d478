"""Variables as trees of ``Node``: what the report's expandable locals are made of.

A dump's containers may be shared, cyclic, nested thousands deep or (from a
hostile file) share one list a million times, so the walk is bounded three
ways, and each bound is written into the tree where it bit, never silently:
a container met again inside itself is a ``cycle``, and anywhere else in the same
frame it is ``shared`` and points to where it is shown; nesting past
``DEPTH_LIMIT`` stops with a note, and once the report's ``Budget`` of nodes is
spent the remaining values are counted instead of shown.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable, Iterator, List, Mapping, Tuple

from ..text import as_text
from .values import LABEL_LIMIT, describe

DEPTH_LIMIT = 12
"""Levels of nesting shown (capture keeps 6 levels; snapshots add one per object)."""
NODE_BUDGET = 40_000
"""Nodes in one report: about 4 MB of HTML at worst, and a fraction of a second to build."""
SPENT = "the report's budget of values is spent; the debugger shows them all"
NAMES_LIMIT = 10_000
"""Variables read from one namespace (``records.MAX_NAMES``)."""


class Budget:
    """Nodes a report may still show; shared by every tree of the report."""

    def __init__(self, nodes: int = NODE_BUDGET) -> None:
        self.left = nodes

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class Node:
    """One variable, item or attribute as the template shows it.

    ``more`` is a sentence about children that exist but are not shown (and why);
    ``mark`` is ``cut``, ``redacted``, ``truncated``, ``cycle`` or empty.
    """

    __slots__ = ("label", "text", "type", "mark", "children", "more", "long_text", "note")

    def __init__(self, label: str, text: str, type_name: str, mark: str = "") -> None:
        self.label = label
        self.text = text
        self.type = type_name
        self.mark = mark
        self.children: List[Node] = []
        self.more: str | None = None
        self.long_text: str | None = None
        self.note: str | None = None

    @property
    def opens(self) -> bool:
        """Whether the node has anything to show when opened."""
        return bool(self.children or self.more or self.long_text or self.note)


def _not_shown(count: int, why: str) -> str:
    return f"{count:,} more not shown ({why})"


def _path(parent: str, label: str) -> str:
    """How to reach a child from its parent, in Python's notation (``user.name``, ``ids[3]``)."""
    if not parent or label[:1] in "[.":
        return parent + label
    return f"{parent}[{label}]" if label else f"{parent}{{…}}"


class _Builder:
    """Builds the trees of one namespace; a container met twice in it is shown once."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.active: set = set()
        self.first: dict = {}

    def node(self, label: str, value: Any, depth: int, path: str) -> Node:
        view = describe(value)
        node = Node(label, view.text, view.type, view.mark)
        node.long_text, node.note = view.long_text, view.note
        if not view.total:
            return node
        seen = self.first.get(id(value))
        if seen is not None:
            node.mark = "cycle" if id(value) in self.active else "shared"
            node.note = f"the same object as {seen}" + (
                ", inside itself (a cycle)" if node.mark == "cycle" else ", shown there")
            return node
        self.first[id(value)] = path
        if depth >= DEPTH_LIMIT:
            node.more = _not_shown(view.total, f"nesting deeper than {DEPTH_LIMIT} levels")
            return node
        self.active.add(id(value))
        try:
            node.children = self.nodes(view.children, depth + 1, path)
        finally:
            self.active.discard(id(value))
        left = view.total - len(node.children)
        if len(node.children) < len(view.children):
            node.more = _not_shown(left, SPENT)
        elif left > 0:
            node.more = _not_shown(left, f"the report lists the first {len(view.children):,}")
        if view.tail is not None and node.more:
            node.more += f"; then {describe(view.tail).text}, which capture left out"
        return node

    def nodes(self, items: Iterable[Tuple[str, Any]], depth: int, parent: str = "") -> List[Node]:
        out = []
        for item_label, item in items:
            if not self.budget.take():
                break
            out.append(self.node(item_label, item, depth, _path(parent, item_label)))
        return out


def namespace(names: Any, budget: Budget) -> Tuple[List[Node], str | None]:
    """The trees of a frame's locals or globals, and a sentence on what is not shown."""
    if not isinstance(names, Mapping):
        return [], None
    items = ((as_text(name, LABEL_LIMIT), value) for name, value in islice(names.items(),
                                                                            NAMES_LIMIT))
    nodes = _Builder(budget).nodes(items, 0)
    left = len(names) - len(nodes)
    return nodes, _not_shown(left, SPENT) if left > 0 else None


def walk(nodes: List[Node]) -> Iterator[Tuple[str, Node]]:
    """The trees as a flat sequence of ``("leaf" | "open" | "close", node)`` steps.

    The template renders a tree with one loop over these steps instead of one
    recursive macro call per node, which is what made a 40-frame report slow.
    """
    stack: List[Any] = [iter(nodes)]
    parents: List[Node] = []
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            if parents:
                yield "close", parents.pop()
        elif node.opens:
            yield "open", node
            parents.append(node)
            stack.append(iter(node.children))
        else:
            yield "leaf", node
