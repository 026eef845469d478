"""The source rows ``--print`` shows under each ``File`` line, by the rules of the dump's Python.

Everything comes from the dump's embedded sources (``--local-source`` adds
files from this disk first, see ``cli``), never from this machine by itself.
A source line longer than ``MAX_LINE`` is printed cut, without carets: a
single 20-million-character line must not become one 20 MB write.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Tuple

from .carets import anchors_313, char_offset, display_width, one_line_carets, show_carets_313
from .records import MAX_SPAN, line, positions
from .sources import MAX_LINE

Frame = Dict[str, Any]

MAX_SOURCE_LINES = 200_000
"""Most source lines one print examines for multi-line instructions (3.13 carets)."""
MAX_SHOWN_LOCALS = 50_000
"""Most variables ``--locals`` shows in one print, all frames together (each is a repr)."""


def _cut_line(text: str) -> str:
    return "    " + text[:MAX_LINE] + "…"


class Rules:
    """Which CPython printer to imitate, derived from the dump's Python and capture point."""

    def __init__(self, python: str, reason: str | None = None) -> None:
        self.version = _parse_version(python)
        self.thread_header = reason == "threading"
        # On 3.11/3.12 the C printer handles uncaught exceptions, but threads go
        # through the traceback module.
        self.c_printer = self.version < (3, 13) and not self.thread_header
        self.carets = self.version >= (3, 11)
        self.multiline = self.version >= (3, 13)
        self.notes = self.version >= (3, 11)
        # The C printer of 3.9/3.10 hides only "builtins", not "__main__".
        self.main_prefix = self.version < (3, 11) and self.c_printer
        self.display_width = self.version >= (3, 12) and not self.c_printer


def _parse_version(text: str) -> Tuple[int, int]:
    try:
        major, minor = text.split(".")[:2]
        return int(major), int(minor)
    except (ValueError, AttributeError):
        return sys.version_info[:2]


class Sources:
    """The dump's embedded source files, split into lines on first use."""

    def __init__(self, sources: Dict[str, str] | None) -> None:
        self._texts = sources if isinstance(sources, dict) else {}
        self._lines: Dict[str, List[str]] = {}
        self.rows: Dict[Any, List[str]] = {}  # a frame's source rows, by file and position
        self.lines_left = MAX_SOURCE_LINES
        self.locals_left = MAX_SHOWN_LOCALS

    def lines(self, filename: Any) -> List[str]:
        """The lines of ``filename``, or [] if the dump does not embed it."""
        if not isinstance(filename, str):
            return []
        lines = self._lines.get(filename)
        if lines is None:
            text = self._texts.get(filename)
            if not isinstance(text, str):
                return []
            # What reading the file in text mode gives: universal newlines only.
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            self._lines[filename] = lines
        return lines

    def line(self, filename: Any, lineno: Any) -> str | None:
        """Line ``lineno`` (1-based) without its newline, or None if unknown."""
        lineno = line(lineno)
        lines = self.lines(filename)
        if lineno is None or lineno > len(lines):
            return None
        return lines[lineno - 1]


def _dedent(lines: List[str]) -> List[str]:
    """``textwrap.dedent`` on lines already stripped on the right."""
    import textwrap

    return textwrap.dedent("\n".join(lines) + "\n").split("\n")[: len(lines)]


def _source_313(filename: str, where: Tuple[Any, Any, Any, Any], sources: Sources) -> List[str]:
    """The source rows of one 3.13 frame (port of ``StackSummary.format_frame_summary``).

    ``where`` is validated (see ``records.positions``); an instruction that ends past
    the embedded file, or past what this print may still examine, gets no carets.
    """
    lineno, end_lineno, colno, end_colno = where
    if lineno is None:
        return []
    if end_lineno is None or end_lineno < lineno:
        end_lineno = lineno
    span = end_lineno - lineno + 1
    if span > MAX_SPAN or end_lineno > len(sources.lines(filename)) or span > sources.lines_left:
        end_lineno, colno, end_colno = lineno, None, None
    sources.lines_left -= end_lineno - lineno + 1
    original = [(sources.line(filename, n) or "").rstrip() for n in range(lineno, end_lineno + 1)]
    if any(len(row) > MAX_LINE for row in original):
        return [_cut_line(original[0].strip())]
    dedented = _dedent(original)
    if not "".join(dedented).strip():
        return []
    if colno is None or end_colno is None:
        return ["    " + original[0].strip()]
    first, last = original[0], original[-1]
    start = char_offset(first, colno)
    end = char_offset(last, end_colno)
    shift = len(first) - len(dedented[0])
    start, end = max(0, start - shift), max(0, end - shift)
    d_start = display_width(dedented[0], start)
    d_end = display_width(dedented[-1], end)
    joined = "\n".join(dedented)
    segment = joined[start : len(joined) - (len(dedented[-1]) - end)]
    try:
        anchors = anchors_313(segment)
    except Exception:
        anchors = None
    show = show_carets_313(start, end, dedented, anchors)

    significant = {0, len(dedented) - 1}
    a_left = a_right = 0
    if anchors:
        a_left = anchors.left + (start if anchors.left_line == 0 else 0)
        a_right = anchors.right + (start if anchors.right_line == 0 else 0)
        a_left = display_width(dedented[anchors.left_line], a_left)
        a_right = display_width(dedented[anchors.right_line], a_right)
        significant.update(range(anchors.left_line - 1, anchors.left_line + 2))
        significant.update(range(anchors.right_line - 1, anchors.right_line + 2))
    significant.discard(-1)
    significant.discard(len(dedented))

    rows: List[str] = []

    def output(index: int) -> None:
        text = dedented[index]
        rows.append(text)
        if not show:
            return
        spaces = len(text) - len(text.lstrip())
        count = d_end if index == len(dedented) - 1 else display_width(text)
        marks = []
        for col in range(count):
            if col < spaces or (index == 0 and col < d_start):
                marks.append(" ")
            elif (
                anchors
                and (index > anchors.left_line or (index == anchors.left_line and col >= a_left))
                and (
                    index < anchors.right_line
                    or (index == anchors.right_line and col < a_right)
                )
            ):
                marks.append("^")
            else:
                marks.append("~" if anchors else "^")
        rows.append("".join(marks))

    ordered = sorted(significant)
    for i, index in enumerate(ordered):
        if i:
            gap = index - ordered[i - 1]
            if gap == 2:
                output(index - 1)
            elif gap > 2:
                rows.append(f"...<{gap - 1} lines>...")
        output(index)
    # textwrap.dedent of the whole block, then a 4-space indent on every line
    return ["    " + row for row in _dedent(rows)]


def frame_positions(lineno: int | None, where: Any) -> Tuple[Any, Any, Any, Any]:
    """``(lineno, end_lineno, col, end_col)`` from a frame's validated line and positions."""
    if where is None:
        return lineno, None, None, None
    start, end, col, end_col = where
    if start is None:
        start = lineno
    return start, end, col, end_col


def source_rows(frame: Frame, sources: Sources, rules: Rules) -> List[str]:
    """The source line(s) and carets of a frame, computed once per file and position."""
    filename = frame.get("filename")
    if not isinstance(filename, str):
        return []
    lineno, where = line(frame.get("lineno")), positions(frame.get("positions"))
    key = (filename, lineno, where)
    rows = sources.rows.get(key)
    if rows is None:
        rows = sources.rows[key] = _source(filename, lineno, where, sources, rules)
    return rows


def _source(filename: str, lineno: int | None, where: Any, sources: Sources,
            rules: Rules) -> List[str]:
    if rules.multiline:
        return _source_313(filename, frame_positions(lineno, where), sources)
    rows = []
    text = sources.line(filename, lineno)
    if text is not None and len(text) > MAX_LINE:
        return [_cut_line(text.strip())]
    if text is not None and (text.strip() or rules.c_printer):
        if rules.c_printer:
            rows.append("    " + text.lstrip(" \t\f"))
        else:
            rows.append("    " + text.strip())
        if rules.carets:
            carets = one_line_carets(text, where, rules.c_printer, rules.display_width)
            if carets:
                rows.append(carets)
    return rows
