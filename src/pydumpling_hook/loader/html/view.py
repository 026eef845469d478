"""The report's view model: everything the template shows, built from a ``Dump``.

The template only loops and prints. Every decision (what the title says, the
order of the chain, which frame opens on load, what was not captured) is made
here, from validated records, so it can be tested without HTML and the
template has nothing to get wrong about hostile input.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Dict, List, NamedTuple, Tuple

from ..._version import __version__
from ..printing import MAX_GROUP_DEPTH, MAX_GROUP_WIDTH, chain, exception_type
from ..records import MAX_EXCEPTIONS, MAX_NAMES, sequence, stack
from ..text import as_text, bounded_repr, exception_line, one_line
from .frames import DEFAULT_CONTEXT, FrameView, Item, Marker, StackContext, stack_view
from .tree import Budget, Node, namespace


class ExceptionView(NamedTuple):
    """One exception: its line, notes, attributes, stack and group members."""

    id: str
    title: str
    path: str
    notes: List[str]
    attrs: List[Node]
    items: List[Item]
    members: List[List[Link]]
    members_more: int
    group: bool


class Link(NamedTuple):
    """An exception of a chain, with the sentence Python prints before it (if any)."""

    message: str | None
    exception: ExceptionView


class ThreadView(NamedTuple):
    name: str
    ident: str
    daemon: bool
    current: bool
    items: List[Item]


class ReportView(NamedTuple):
    title: str
    where: str
    facts: List[Tuple[str, str]]
    chain: List[Link]
    stack: List[Item]
    threads: List[ThreadView]
    stats: List[Tuple[str, str]]
    missing: List[str]
    generator: str


class _Builder:
    def __init__(self, body: Dict[str, Any], context: int) -> None:
        self.ctx = StackContext(body, context, Budget())
        self.seen: set = set()
        self.exceptions = 0
        self.missing: List[str] = []

    def items(self, record: Any, owner: str) -> List[Item]:
        items = stack_view(record, self.ctx)
        for item in items:
            if isinstance(item, Marker) and item.kind == "cut":
                self.missing.append(f"{owner}: {item.text.strip('[]. ')}")
            elif isinstance(item, FrameView) and item.note:
                self.missing.append(f"{owner}, {item.name}: {item.note}")
        return items

    def chain(self, exc: Dict[str, Any], depth: int = 0) -> List[Link]:
        links = []
        for message, record in chain(exc, self.seen):
            if self.exceptions >= MAX_EXCEPTIONS:
                note = f"exceptions beyond the first {MAX_EXCEPTIONS} are not shown"
                if note not in self.missing:
                    self.missing.append(note)
                break
            self.exceptions += 1
            links.append(Link(message.strip("\n") if message else None,
                              self.exception(record, depth)))
        return links

    def exception(self, exc: Dict[str, Any], depth: int) -> ExceptionView:
        title = exception_line(exception_type(exc, self.ctx.rules),
                               None if exc.get("message") is None else as_text(exc["message"]))
        path = as_text(exc.get("path") or "")
        notes = exc.get("notes")
        if isinstance(notes, (list, tuple)):
            notes = [as_text(n) for n in sequence(notes, MAX_NAMES)]
        else:  # Python prints a __notes__ that is not a sequence as its repr
            notes = [] if notes is None else [bounded_repr(notes)]
        attrs, _ = namespace(exc.get("attrs"), self.ctx.budget)
        items = self.items(exc, title)
        members = exc.get("members")
        group = isinstance(members, (list, tuple))
        shown: List[List[Link]] = []
        more = 0
        if group and depth < MAX_GROUP_DEPTH:
            for member in islice(members, MAX_GROUP_WIDTH):
                if isinstance(member, dict) and id(member) not in self.seen:
                    shown.append(self.chain(member, depth + 1))
            more = len(members) - min(len(members), MAX_GROUP_WIDTH)
        elif group:
            more = len(members)
        return ExceptionView(self.ctx.next_id(), title, path, notes, attrs, items, shown, more,
                             group)

    def threads(self, threads: List[Dict[str, Any]]) -> List[ThreadView]:
        views = []
        for thread in threads:
            name = as_text(thread.get("name"))
            views.append(ThreadView(
                name, as_text(thread.get("ident")), thread.get("daemon") is True,
                thread.get("current") is True, self.items(thread, f"thread {name}")))
        return views


def _innermost(items: List[Item]) -> FrameView | None:
    frames = [item for item in items if isinstance(item, FrameView)]
    return frames[-1] if frames else None


def _summary(dump: Any) -> Dict[str, Any]:
    summary = dump.header.get("summary")
    return summary if isinstance(summary, dict) else {}


def _facts(dump: Any) -> List[Tuple[str, str]]:
    meta, summary = dump.meta, _summary(dump)
    python = " ".join(as_text(meta.get(k)) for k in ("implementation", "python") if meta.get(k))
    extra = meta.get("extra")
    facts = [
        ("when", meta.get("time") or summary.get("time")),
        ("host", meta.get("hostname") or summary.get("host")),
        ("reason", meta.get("reason") or summary.get("reason")),
        ("Python", python),
        ("platform", meta.get("platform")),
        ("pid", meta.get("pid")),
        ("thread", meta.get("thread")),
        ("cwd", meta.get("cwd")),
        ("argv", " ".join(as_text(a) for a in sequence(meta.get("argv"), MAX_NAMES))),
        ("executable", meta.get("executable")),
        ("written by", f"pydumpling-hook {as_text(meta.get('package_version'))}"
         if meta.get("package_version") else None),
    ]
    if isinstance(extra, dict):
        facts += [(f"extra.{as_text(k)}", v) for k, v in islice(extra.items(), 50)]
    return [(label, one_line(as_text(value), 2000)) for label, value in facts
            if value not in (None, "")]


def _stat(value: Any) -> str:
    """A stats value; a count by kind (``{"name": 1, "structure": 2}``) reads ``3 (name: 1, …)``."""
    if isinstance(value, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        parts = ", ".join(f"{as_text(k)}: {v:,}" for k, v in islice(value.items(), 20))
        return f"{sum(value.values()):,}" + (f" ({parts})" if parts else "")
    return as_text(value)


def report_view(dump: Any, context: int = DEFAULT_CONTEXT) -> ReportView:
    """The view of ``dump`` (a ``loader.Dump``) with ``context`` source lines around each line."""
    builder = _Builder(dump.body, context)
    links: List[Link] = []
    main: List[Item] = []
    current = None
    if dump.exception is not None:
        links = builder.chain(dump.exception)
        inner = _innermost(links[-1].exception.items) if links else None
        title = links[-1].exception.title if links else "?"
    else:
        current = dump.thread() if dump.threads else {}
        main = builder.items(current, "live stack")
        inner = _innermost(main)
        title = f"Live stack of thread {as_text(current.get('name'))} (no exception)"
    threads = builder.threads([t for t in dump.threads if t is not current and stack(t)[0]])
    if inner is not None:
        inner.open = True
    summary = _summary(dump)
    where = as_text(summary.get("site")) if summary.get("site") else (
        f"{inner.filename}:{inner.lineno} in {inner.name}" if inner else "-")
    stats = [(as_text(k), _stat(v)) for k, v in islice(dump.stats.items(), 100)]
    if builder.ctx.budget.left <= 0:
        builder.missing.append("some values: the report's budget of values was spent "
                               "(pydumpling-open --print --locals or a debugger shows them all)")
    return ReportView(one_line(title, 1000), where, _facts(dump), links, main, threads,
                      stats, builder.missing, f"pydumpling-open {__version__}")
