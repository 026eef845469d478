"""Validation of the records of a dump body, shared by printing, export and the rebuild.

Everything in a body comes from a file that may have been made by someone
else, so a field may have any type, any size, and containers may be shared
(one frame list repeated a million times costs a few bytes of pickle). The
loader therefore reads structure only through these helpers: they check types
and ranges, and cut every sequence the loader walks to the bounds capture
itself keeps, so that the work of any mode is bounded whatever the file says.
"""

from __future__ import annotations

from collections.abc import Mapping  # isinstance through typing.Mapping takes 3x as long
from typing import Any, List, Tuple

MAX_FRAMES = 2000
"""Frames kept per stack: capture's default ``frames`` budget (both ends kept, as there)."""
MAX_REBUILT_FRAMES = 10_000
"""Frames rebuilt as real frames for one exception graph (each runs a stub): about a second."""
MAX_EXCEPTIONS = 100
"""Exception records followed through a chain or group graph: capture's own limit."""
MAX_THREADS = 100
"""Thread records read: capture's default ``threads`` budget."""
MAX_MRO = 1000
"""Entries of a type's recorded ``mro`` looked at (real MROs are a few dozen long)."""
MAX_LINE = 10_000_000
"""Line numbers above this are treated as garbage (no real file is that long)."""
MAX_COLUMN = 1_000_000
MAX_SPAN = 10_000
"""Most lines one instruction may span (positions spanning more are garbage)."""
MAX_NAMES = 10_000
"""Entries read from a namespace (locals, globals, attributes) or a list of notes."""
MAX_COUNT = (1 << 63) - 1
"""Largest count (of left-out frames, items...) taken from a file."""

Positions = Tuple[Any, Any, Any, Any]


def integer(value: Any, low: int = 0, high: int = MAX_COUNT) -> int | None:
    """``value`` if it is an int (not a bool) in ``[low, high]``, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return int(value)
    return None


def line(value: Any) -> int | None:
    """A 1-based line number, or None."""
    return integer(value, 1, MAX_LINE)


def positions(value: Any) -> Positions | None:
    """A FRAME's ``(lineno, end_lineno, col, end_col)``, each an int or None, or None if bad.

    CPython may leave any part unknown (None); a known part must be in range,
    and an instruction ends neither before it starts nor ``MAX_SPAN`` lines later.
    """
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        return None
    start, end, col, end_col = value
    checked = (line(start), line(end), integer(col, 0, MAX_COLUMN), integer(end_col, 0, MAX_COLUMN))
    if any(c is None and v is not None for c, v in zip(checked, value)):
        return None
    start, end, col, end_col = checked
    if start is not None and end is not None and not start <= end <= start + MAX_SPAN:
        return None
    if start is not None and start == end and col is not None and end_col is not None \
            and end_col < col:
        return None
    return checked


def sequence(value: Any, limit: int) -> List[Any]:
    """The first ``limit`` items of a list or tuple from the file; anything else is empty."""
    if not isinstance(value, (list, tuple)):
        return []
    return list(value[:limit])


def stack(record: Any, limit: int = MAX_FRAMES) -> Tuple[List[Any], int, int | None]:
    """``(frames, frames_cut, cut_at)`` of an EXC or THREAD record, within ``limit`` frames.

    A longer list keeps its first and last frames, as capture's ``_cap`` does,
    and the frames it leaves out are added to the count already left out (the
    cut point moves to the middle: a stack that long is a recursion).
    """
    if not isinstance(record, Mapping):
        return [], 0, None
    frames = record.get("frames")
    if not isinstance(frames, (list, tuple)):
        return [], 0, None
    cut = integer(record.get("frames_cut")) or 0
    cut_at = None
    if cut:  # a cut with no valid place is shown at the innermost end
        cut_at = integer(record.get("cut_at"), 0, len(frames))
        cut_at = len(frames) if cut_at is None else cut_at
    limit = max(min(limit, MAX_FRAMES), 0)
    if len(frames) > limit:
        head = limit // 2
        tail = limit - head
        cut = min(cut + len(frames) - limit, MAX_COUNT)
        return list(frames[:head]) + (list(frames[-tail:]) if tail else []), cut, head
    return list(frames), cut, cut_at
