"""Stacks as the report shows them: frames with source context, carets and variables.

The collapsing of repeated frames and the caret lines come from ``printing``,
the code behind ``--print``, so the report and the text traceback agree on
what Python printed for this dump's Python version. What the report adds is
context around each line, and the variables of each frame.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Union

from ..print_source import Rules, Sources, source_rows
from ..print_stack import collapse, marker
from ..records import MAX_SPAN, line, positions, stack
from ..text import as_text
from .tree import Budget, Node, namespace

DEFAULT_CONTEXT = 5
MAX_CONTEXT = 200
CURRENT_LIMIT = 30
"""Lines of one multi-line instruction shown; its other lines are counted."""

_LIBRARY = re.compile(
    r"[/\\](site|dist)-packages[/\\]|[/\\]lib[/\\]python\d+(\.\d+)?t?[/\\]|[/\\]Lib[/\\]|"
    r"[/\\]lib-python[/\\]|^<frozen "
)
"""Files of installed packages and of the standard library (``<frozen ...>`` included)."""
_ELIDED = re.compile(r"\.\.\.<(\d+) lines>\.\.\.")
_CARETS = frozenset("^~")


def is_library(filename: str) -> bool:
    """Whether a frame belongs to the standard library or an installed package."""
    return bool(_LIBRARY.search(filename))


class SourceLine(NamedTuple):
    number: int
    text: str
    current: bool
    carets: str | None


class FrameView:
    """One frame of a stack."""

    __slots__ = ("id", "filename", "lineno", "name", "library", "lines", "locals",
                 "locals_more", "globals", "globals_more", "note", "open", "innermost")

    def __init__(self, frame_id: str, frame: Dict[str, Any]) -> None:
        self.id = frame_id
        self.filename = as_text(frame.get("filename"))
        self.lineno = line(frame.get("lineno"))
        self.name = as_text(frame.get("qualname") or frame.get("name"))
        self.library = is_library(self.filename)
        self.lines: List[SourceLine] = []
        self.locals: List[Node] = []
        self.globals: List[Node] = []
        self.locals_more: str | None = None
        self.globals_more: str | None = None
        self.note = as_text(frame["locals_note"]) if frame.get("locals_note") else None
        self.open = False
        self.innermost = False

    @property
    def code(self) -> str:
        """The first line being executed, stripped: what a closed frame shows."""
        return next((src.text.strip() for src in self.lines if src.current), "")


class Marker(NamedTuple):
    """A line between frames: repeated frames, or frames not captured."""

    kind: str
    text: str


Item = Union[FrameView, Marker]


class StackContext:
    """What every stack of one report shares: sources, printing rules, budget, ids."""

    def __init__(self, body: Dict[str, Any], context: int, budget: Budget) -> None:
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        self.rules = Rules(as_text(meta.get("python", "")), meta.get("reason"))
        self.sources = Sources(body.get("sources"))
        self.context = context
        self.budget = budget
        self.count = 0

    def next_id(self) -> str:
        self.count += 1
        return f"f{self.count}"


def _carets(frame: Dict[str, Any], ctx: StackContext, first: int) -> Dict[int, str]:
    """``{line number: caret text}`` aligned under the whole source line, from ``--print``'s rows.

    ``source_rows`` gives what Python printed: source rows stripped of their
    common indent, each followed by its caret row when there are carets, and
    ``...<N lines>...`` for lines left out. Each row is matched back to its
    line of the file; anything that does not match gives no carets at all
    rather than misplaced ones.
    """
    rows = source_rows(frame, ctx.sources, ctx.rules)
    if not any(row.strip() and set(row.strip()) <= _CARETS for row in rows):
        return {}
    filename = frame.get("filename")
    out: Dict[int, str] = {}
    number, shift = first, None
    for row in rows:
        body = row[4:].rstrip()
        elided = _ELIDED.fullmatch(body.strip())
        if elided:
            number += int(elided.group(1))
        elif shift is not None and body.strip() and set(body.strip()) <= _CARETS:
            out[number - 1] = ctx.sources.line(filename, number - 1)[:shift] + body
            shift = None
        else:
            text = (ctx.sources.line(filename, number) or "").rstrip()
            if not text.endswith(body):
                return {}
            shift = len(text) - len(body)
            if text[:shift].strip():
                return {}
            number += 1
    return out


def _source(frame: Dict[str, Any], view: FrameView, ctx: StackContext) -> None:
    where = positions(frame.get("positions")) or (None, None, None, None)
    first = where[0] or view.lineno
    if first is None:
        return
    last = where[1] if where[1] is not None and first <= where[1] <= first + MAX_SPAN else first
    lines = ctx.sources.lines(frame.get("filename"))
    if first > len(lines):
        return
    carets = _carets(frame, ctx, first if ctx.rules.multiline else view.lineno or first)
    shown_last = min(last, first + CURRENT_LIMIT - 1)
    start = max(1, first - ctx.context)
    stop = min(len(lines), shown_last + ctx.context)
    for number in range(start, stop + 1):
        view.lines.append(SourceLine(number, lines[number - 1], first <= number <= last,
                                     carets.get(number)))


def frame_view(frame: Dict[str, Any], ctx: StackContext) -> FrameView:
    """A frame's view: location, source context, variables."""
    view = FrameView(ctx.next_id(), frame)
    _source(frame, view, ctx)
    module_level = frame.get("is_module") is True
    view.locals, view.locals_more = namespace(
        frame.get("globals") if module_level else frame.get("locals"), ctx.budget)
    if not module_level:
        view.globals, view.globals_more = namespace(frame.get("globals"), ctx.budget)
    return view


def stack_view(record: Any, ctx: StackContext) -> List[Item]:
    """An EXC or THREAD record's stack, outermost first, repeats collapsed as Python does.

    When a recursion hides the innermost frame inside ``[Previous line
    repeated ...]``, the report shows it after that line too: its variables are
    what the reader came for.
    """
    frames, cut, cut_at = stack(record)
    frames = [f for f in frames if isinstance(f, dict)]
    items: List[Item] = []
    shown = None
    for kind, item in collapse(frames, cut, cut_at):
        if kind == "frame":
            shown = item
            items.append(frame_view(item, ctx))
        else:
            items.append(Marker(kind, marker(kind, item)))
    if frames and shown is not frames[-1] and not (cut and cut_at == len(frames)):
        items.append(frame_view(frames[-1], ctx))
    views = [item for item in items if isinstance(item, FrameView)]
    if views:
        views[-1].innermost = True
    return items
