"""``--print``'s frames: the ``File`` lines, CPython's folding of repeated frames, and
``--locals``.

Names from the file (files, functions, variables) go through ``name_text``:
escaped and on one line, so that a file name cannot move the cursor or forge
a line of the traceback. Repeats are folded as CPython folds them
(``[Previous line repeated N more times]``), frames left out at capture are
counted into a surrounding repeat or announced.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Dict, Iterator, List, Tuple

from .print_source import Rules, Sources, frame_positions, source_rows
from .records import line, positions
from .text import as_text, bounded_repr, terminal
from .values import Snapshot

Frame = Dict[str, Any]

RECURSIVE_CUTOFF = 3  # hard-coded in CPython's traceback.c and traceback.py
MAX_LOCALS = 1000
"""Most variables shown per frame (capture keeps at most 1000 items per container)."""
MAX_ATTRS = 20
ATTR_REPR_LIMIT = 120


def name_text(value: Any) -> str:
    """A name from the file, as one line of terminal-safe text."""
    return terminal(as_text(value))


def format_frame(frame: Frame, sources: Sources, rules: Rules, with_locals: bool) -> str:
    """One frame: the ``File`` line, its source (and carets), optionally its variables."""
    lineno = frame.get("lineno")
    if rules.multiline:
        shown = frame_positions(line(frame.get("lineno")), positions(frame.get("positions")))[0]
        lineno = shown if shown is not None else lineno
    filename, name = name_text(frame.get("filename")), name_text(frame.get("name"))
    rows = [f'  File "{filename}", line {as_text(lineno)}, in {name}']
    rows.extend(source_rows(frame, sources, rules))
    if with_locals:
        rows.extend(format_locals(frame, sources))
    return "\n".join(rows) + "\n"


def _attribute_rows(value: Any) -> List[str]:
    """A captured object's own attributes, one level deep: its default repr alone
    (``<app.Order object at 0x…>``) says nothing about what was in it."""
    if not isinstance(value, Snapshot):
        return []
    attrs = vars(value)
    rows = [f"        .{name_text(key)} = {bounded_repr(item, ATTR_REPR_LIMIT)}"
            for key, item in islice(attrs.items(), MAX_ATTRS)]
    if len(attrs) > MAX_ATTRS:
        rows.append(f"        # ... {len(attrs) - MAX_ATTRS:,} more attributes not shown")
    return rows


def format_locals(frame: Frame, sources: Sources) -> List[str]:
    """``    name = repr`` for each variable, sorted, like ``traceback``'s capture_locals.

    A module-level frame's variables are its globals; ``locals_note`` says why
    some are missing. At most ``MAX_LOCALS`` per frame, and what is left of the
    print's own budget (``Sources.locals_left``).
    """
    names = frame.get("globals") if frame.get("is_module") else frame.get("locals")
    names = names if isinstance(names, dict) else {}
    limit = max(min(MAX_LOCALS, sources.locals_left), 0)
    sources.locals_left -= limit
    shown = sorted(((name_text(name), value) for name, value in islice(names.items(), limit)),
                   key=lambda item: item[0])
    rows = []
    for name, value in shown:
        rows.append(f"    {name} = {bounded_repr(value)}")
        rows.extend(_attribute_rows(value))
    if len(names) > limit:
        rows.append(f"    # ... {len(names) - limit:,} more variables not shown")
    if frame.get("locals_note"):
        rows.append(f"    # {name_text(frame['locals_note'])}")
    return rows


def _key(frame: Frame) -> Tuple[Any, Any, Any]:
    """What makes two frames "the same line" for the collapsing of repeats (hashable, cheap)."""
    return as_text(frame.get("filename")), as_text(frame.get("lineno")), as_text(frame.get("name"))


def collapse(frames: List[Frame], cut: int = 0, cut_at: int | None = None
             ) -> Iterator[Tuple[str, Any]]:
    """The frames as CPython's traceback shows them, outermost first, for any renderer.

    Yields ``("frame", FRAME)`` for a frame shown, ``("repeated", N)`` for
    ``[Previous line repeated N more times]`` and ``("cut", N)`` for frames left
    out at capture. ``cut`` frames left out at ``cut_at`` are folded into a
    surrounding run of identical frames when there is one (a deep recursion),
    else announced.
    """
    last: Any = None
    count = 0
    if cut and cut_at == len(frames):  # a cut at the innermost end (e.g. a bad cut_at)
        frames = [*frames, None]
    for index, frame in enumerate(frames):
        key = _key(frame) if frame is not None else object()  # never "the same line"
        if cut and index == cut_at:
            if key == last:
                count += cut
            else:
                if count > RECURSIVE_CUTOFF:
                    yield "repeated", count - RECURSIVE_CUTOFF
                last, count = None, 0
                yield "cut", cut
        if frame is None:
            break
        if key != last:
            if count > RECURSIVE_CUTOFF:
                yield "repeated", count - RECURSIVE_CUTOFF
            last, count = key, 0
        count += 1
        if count <= RECURSIVE_CUTOFF:
            yield "frame", frame
    if count > RECURSIVE_CUTOFF:
        yield "repeated", count - RECURSIVE_CUTOFF


def format_stack(
    frames: List[Frame],
    sources: Sources,
    rules: Rules,
    with_locals: bool = False,
    cut: int = 0,
    cut_at: int | None = None,
) -> Iterator[str]:
    """The frames, outermost first, with CPython's collapsing of repeated lines."""
    for kind, item in collapse(frames, cut, cut_at):
        if kind == "frame":
            yield format_frame(item, sources, rules, with_locals)
        else:
            yield f"  {marker(kind, item)}\n"


def marker(kind: str, count: int) -> str:
    """The line shown for a ``collapse`` marker, as CPython words repeats."""
    if kind == "repeated":
        return f"[Previous line repeated {count} more time{'s' if count > 1 else ''}]"
    return f"[... {count:,} frames not captured ...]"
