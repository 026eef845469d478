"""``--print``: the traceback CPython printed for the crash, rebuilt from the dump.

The output is meant to be indistinguishable from the crashed process's stderr,
so it follows the rules of the Python that *made* the dump (``meta.python``),
not of the Python running the loader:

* 3.9 and 3.10: file, line and name, then the source line; no carets; the
  C printer hides the module of ``builtins`` types only (``__main__.Error``).
* 3.11 and 3.12: the default ``sys.excepthook`` is C code
  (``Python/traceback.c``). Carets appear under the failing expression of a
  one-line instruction, ``~~~^^^~~~`` anchors for binary operators and
  subscripts, and are left out when they would underline the whole line.
* 3.13+: the hook is the ``traceback`` module: multi-line instructions are
  shown whole (``...<N lines>...`` for long ones), calls get anchors too, and
  carets are dropped for ``x = f()`` and ``return f()``.

A thread crash is printed as ``threading.excepthook`` prints it: the
``Exception in thread NAME:`` header, then the ``traceback`` module's format
(which differs slightly from the C printer on 3.11 and 3.12).

Everything comes from the body dict: the source lines from ``sources`` (so the
output is the same after the script was edited or deleted), the columns from
each frame's ``positions``. Known differences from CPython: "Did you mean"
suggestions of ``NameError``/``AttributeError`` are not reproduced (they need
the live namespaces), and frames left out at capture show as one
``[... N frames not captured ...]`` line, unless they sit inside a run of
identical frames, in which case they are counted into ``[Previous line
repeated N more times]`` exactly as CPython counted them.
"""

from __future__ import annotations

import ast
import sys
import unicodedata
from itertools import islice
from typing import IO, Any, Dict, Iterable, Iterator, List, Tuple

from .records import MAX_EXCEPTIONS, MAX_MRO, MAX_SPAN, line, positions, sequence, stack
from .text import as_text, bounded_repr, exception_line, type_name
from .values import Snapshot

Exc = Dict[str, Any]
Frame = Dict[str, Any]

RECURSIVE_CUTOFF = 3  # hard-coded in CPython's traceback.c and traceback.py
MAX_GROUP_WIDTH = 15
MAX_GROUP_DEPTH = 10
CAUSE_MESSAGE = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT_MESSAGE = "\nDuring handling of the above exception, another exception occurred:\n\n"
CHAIN_CUT = f"[... earlier chained exceptions not shown (limit {MAX_EXCEPTIONS}) ...]\n\n"
OUTPUT_CUT = "[... the rest is not printed: pydumpling-open's output limit was reached ...]\n"
MAX_CHUNKS = 10_000
"""Most frames, exception lines and headers one print writes (repeated frames are free)."""
MAX_OUTPUT = 8 << 20
"""Most characters one print writes; past either bound it says so and stops."""
MAX_LOCALS = 1000
MAX_ATTRS = 20
ATTR_REPR_LIMIT = 120
"""Most variables shown per frame (capture keeps at most 1000 items per container)."""
MAX_SOURCE_LINES = 200_000
"""Most source lines one print examines for multi-line instructions (3.13 carets)."""


# --------------------------------------------------------------------------- rules


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


# --------------------------------------------------------------------------- sources


class Sources:
    """The dump's embedded source files, split into lines on first use."""

    def __init__(self, sources: Dict[str, str] | None) -> None:
        self._texts = sources if isinstance(sources, dict) else {}
        self._lines: Dict[str, List[str]] = {}
        self.rows: Dict[Any, List[str]] = {}  # a frame's source rows, by file and position
        self.lines_left = MAX_SOURCE_LINES

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


# --------------------------------------------------------------------------- columns


def _char_offset(line: str, byte_offset: int) -> int:
    """A UTF-8 byte offset in ``line`` as a character offset, as CPython converts it."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


def _display_width(line: str, offset: int | None = None) -> int:
    if offset is None:
        offset = len(line)
    if line.isascii():
        return offset
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:offset])


def _parse_single_expr(source: str) -> ast.expr | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    return tree.body[0].value


def _anchors_312(segment: str) -> Tuple[int, int] | None:
    """3.11/3.12 anchors: the operator of a BinOp, the brackets of a subscript.

    Offsets are characters into ``segment``, (left_end, right_start). The C
    printer of 3.11.7/3.12.1 and their ``traceback.py`` agree here (both skip
    ``)`` and comments after the left operand; 3.11.0's C printer did not).
    Byte and character offsets are mixed exactly as CPython mixes them.
    """
    expr = _parse_single_expr(segment)
    if isinstance(expr, ast.BinOp):
        start = _char_offset(segment, expr.left.end_col_offset)
        stop = _char_offset(segment, expr.right.col_offset)
        operator = segment[start:stop]
        skip = len(operator) - len(operator.lstrip())
        left = expr.left.end_col_offset + skip
        right = left + 1
        if skip + 1 < len(operator) and not operator[skip + 1].isspace():
            right += 1
        while left < len(segment) and (segment[left].isspace() or segment[left] in ")#"):
            left += 1
            right += 1
        return _char_offset(segment, left), _char_offset(segment, right)
    if isinstance(expr, ast.Subscript):
        left = _char_offset(segment, expr.value.end_col_offset)
        right = _char_offset(segment, expr.slice.end_col_offset + 1)
        while left < len(segment) and segment[left] != "[":
            left += 1
        while right < len(segment) and segment[right] != "]":
            right += 1
        if right < len(segment):
            right += 1
        return left, right
    return None


def _one_line_carets(line: str, positions: Any, rules: Rules) -> str | None:
    """The caret line of 3.11/3.12 for ``line`` (unstripped), or None."""
    if not positions or any(p is None or p < 0 for p in positions):
        return None
    start_line, end_line, start_col, end_col = positions
    indent = len(line) - len(line.lstrip(" \t\f") if rules.c_printer else line.lstrip())
    start = _char_offset(line, start_col)
    end = _char_offset(line, end_col)
    anchors = None
    if start_line == end_line:
        try:
            anchors = _anchors_312(line[start:end])
        except Exception:  # anchors are decoration; CPython ignores failures too
            anchors = None
    else:
        end = len(line.rstrip(" \t\f") if rules.c_printer else line.rstrip())
    if rules.c_printer:
        if end - start == len(line) - indent and anchors is None:
            return None
    else:
        stripped_len = len(line.strip())
        if not (end - start < stripped_len or (anchors and anchors[1] - anchors[0] > 0)):
            return None
    if rules.display_width:
        segment = line[start:end]
        d_start, d_end = _display_width(line, start), _display_width(line, end)
        pad = " " * (d_start - indent)
        if anchors:
            d_left = _display_width(segment, anchors[0])
            d_right = _display_width(segment, anchors[1])
            marks = "~" * d_left + "^" * (d_right - d_left) + "~" * (d_end - d_start - d_right)
        else:
            marks = "^" * (d_end - d_start)
        return "    " + pad + marks
    chars = []
    for col in range(start, end):
        if anchors and start + anchors[0] <= col < start + anchors[1]:
            chars.append("^")
        elif anchors:
            chars.append("~")
        else:
            chars.append("^")
    return "    " + " " * (start - indent) + "".join(chars)


# --------------------------------------------------------------------------- 3.13 frames


class _Anchors313:
    __slots__ = ("left_line", "left", "right_line", "right")

    def __init__(self, left_line: int, left: int, right_line: int, right: int) -> None:
        self.left_line, self.left, self.right_line, self.right = left_line, left, right_line, right


def _anchors_313(segment: str) -> _Anchors313 | None:
    """Port of 3.13 ``traceback._extract_caret_anchors_from_line_segment``."""
    try:
        tree = ast.parse(f"(\n{segment}\n)")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    expr = tree.body[0].value
    lines = segment.splitlines()

    def normalize(lineno: int, offset: int) -> int:
        return _char_offset(lines[lineno], offset)

    def next_valid(lineno: int, col: int) -> Tuple[int, int]:
        while lineno < len(lines) and col >= len(lines[lineno]):
            col = 0
            lineno += 1
        if lineno >= len(lines):
            raise IndexError("no valid character")
        return lineno, col

    def until(lineno: int, col: int, stop: Any) -> Tuple[int, int]:
        while True:
            ch = lines[lineno][col]
            if ch in "\\#":
                lineno, col = next_valid(lineno + 1, 0)
            elif not stop(ch):
                lineno, col = next_valid(lineno, col + 1)
            else:
                return lineno, col

    def end_of(node: ast.expr, force_valid: bool = True) -> Tuple[int, int]:
        lineno = node.end_lineno - 2  # type: ignore[operator]
        col = normalize(lineno, node.end_col_offset)  # type: ignore[arg-type]
        return next_valid(lineno, col) if force_valid else (lineno, col)

    if isinstance(expr, ast.BinOp):
        lineno, col = end_of(expr.left)
        lineno, col = until(lineno, col, lambda ch: not ch.isspace() and ch != ")")
        right_col = col + 1
        if (
            right_col < len(lines[lineno])
            and (
                expr.right.lineno - 2 > lineno
                or right_col < normalize(expr.right.lineno - 2, expr.right.col_offset)
            )
            and not lines[lineno][right_col].isspace()
            and lines[lineno][right_col] not in "\\#"
        ):
            right_col += 1
        return _Anchors313(lineno, col, lineno, right_col)
    if isinstance(expr, (ast.Subscript, ast.Call)):
        inner = expr.value if isinstance(expr, ast.Subscript) else expr.func
        bracket = "[" if isinstance(expr, ast.Subscript) else "("
        left_line, left_col = until(*end_of(inner), lambda ch: ch == bracket)
        right_line, right_col = end_of(expr, force_valid=False)
        return _Anchors313(left_line, left_col, right_line, right_col)
    return None


def _should_show_carets_313(start: int, end: int, lines: List[str], anchors: Any) -> bool:
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        tree = None
    if tree is not None:
        if not tree.body:
            return False
        statement = tree.body[0]
        value = None
        if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Call):
            if isinstance(statement.value.func, ast.Name):
                value = statement.value
        elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            if len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                value = statement.value
        if (
            value is not None
            and value.lineno == 1
            and value.end_lineno == len(lines)
            and value.col_offset == start
            and value.end_col_offset == end
        ):
            return False
    if anchors:
        return True
    return bool(lines[0][:start].lstrip() or lines[-1][end:].rstrip())


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
    dedented = _dedent(original)
    if not "".join(dedented).strip():
        return []
    if colno is None or end_colno is None:
        return ["    " + original[0].strip()]
    first, last = original[0], original[-1]
    start = _char_offset(first, colno)
    end = _char_offset(last, end_colno)
    shift = len(first) - len(dedented[0])
    start, end = max(0, start - shift), max(0, end - shift)
    d_start = _display_width(dedented[0], start)
    d_end = _display_width(dedented[-1], end)
    joined = "\n".join(dedented)
    segment = joined[start : len(joined) - (len(dedented[-1]) - end)]
    try:
        anchors = _anchors_313(segment)
    except Exception:
        anchors = None
    show = _should_show_carets_313(start, end, dedented, anchors)

    significant = {0, len(dedented) - 1}
    a_left = a_right = 0
    if anchors:
        a_left = anchors.left + (start if anchors.left_line == 0 else 0)
        a_right = anchors.right + (start if anchors.right_line == 0 else 0)
        a_left = _display_width(dedented[anchors.left_line], a_left)
        a_right = _display_width(dedented[anchors.right_line], a_right)
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
        count = d_end if index == len(dedented) - 1 else _display_width(text)
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


def _positions(lineno: int | None, where: Any) -> Tuple[Any, Any, Any, Any]:
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
        return _source_313(filename, _positions(lineno, where), sources)
    rows = []
    text = sources.line(filename, lineno)
    if text is not None and (text.strip() or rules.c_printer):
        if rules.c_printer:
            rows.append("    " + text.lstrip(" \t\f"))
        else:
            rows.append("    " + text.strip())
        if rules.carets:
            carets = _one_line_carets(text, where, rules)
            if carets:
                rows.append(carets)
    return rows


# --------------------------------------------------------------------------- frames


def format_frame(frame: Frame, sources: Sources, rules: Rules, with_locals: bool) -> str:
    """One frame: the ``File`` line, its source (and carets), optionally its variables."""
    lineno = frame.get("lineno")
    if rules.multiline:
        shown = _positions(line(frame.get("lineno")), positions(frame.get("positions")))[0]
        lineno = shown if shown is not None else lineno
    filename, name = as_text(frame.get("filename")), as_text(frame.get("name"))
    rows = [f'  File "{filename}", line {as_text(lineno)}, in {name}']
    rows.extend(source_rows(frame, sources, rules))
    if with_locals:
        rows.extend(format_locals(frame))
    return "\n".join(rows) + "\n"


def _attribute_rows(value: Any) -> List[str]:
    """A captured object's own attributes, one level deep: its default repr alone
    (``<app.Order object at 0x…>``) says nothing about what was in it."""
    if not isinstance(value, Snapshot):
        return []
    attrs = vars(value)
    rows = [f"        .{as_text(key)} = {bounded_repr(item, ATTR_REPR_LIMIT)}"
            for key, item in islice(attrs.items(), MAX_ATTRS)]
    if len(attrs) > MAX_ATTRS:
        rows.append(f"        # ... {len(attrs) - MAX_ATTRS:,} more attributes not shown")
    return rows


def format_locals(frame: Frame) -> List[str]:
    """``    name = repr`` for each variable, sorted, like ``traceback``'s capture_locals.

    A module-level frame's variables are its globals; ``locals_note`` says why
    some are missing.
    """
    names = frame.get("globals") if frame.get("is_module") else frame.get("locals")
    names = names if isinstance(names, dict) else {}
    shown = sorted(((as_text(name), value) for name, value in islice(names.items(), MAX_LOCALS)),
                   key=lambda item: item[0])
    rows = []
    for name, value in shown:
        rows.append(f"    {name} = {bounded_repr(value)}")
        rows.extend(_attribute_rows(value))
    if len(names) > MAX_LOCALS:
        rows.append(f"    # ... {len(names) - MAX_LOCALS:,} more variables not shown")
    if frame.get("locals_note"):
        rows.append(f"    # {as_text(frame['locals_note'])}")
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


# --------------------------------------------------------------------------- exceptions


def exception_type(exc: Exc, rules: Rules | None = None) -> str:
    """The printed name of ``exc``'s type (``mod.Name``, no module for builtins)."""
    info = exc.get("type") or {}
    qualname = as_text(info.get("qualname", "<unknown>"))
    module = info.get("module")
    module = None if module is None else as_text(module)
    if rules is not None and rules.main_prefix and module == "__main__":
        return f"__main__.{qualname}"
    return type_name(module, qualname)


def _exception_only(exc: Exc, rules: Rules) -> Iterator[str]:
    """The last line(s): ``Type: message`` (or SyntaxError's location block), then notes."""
    stype = exception_type(exc, rules)
    if _is_syntax_error(exc):
        yield from _syntax_error(exc, stype, rules)
    else:
        message = exc.get("message")
        yield exception_line(stype, message if message is None else as_text(message)) + "\n"
    notes = exc.get("notes")
    if rules.notes and notes is not None:
        if isinstance(notes, (list, tuple)):
            for note in notes:
                yield as_text(note) + "\n"
        else:
            yield bounded_repr(notes) + "\n"


def _is_syntax_error(exc: Exc) -> bool:
    mro = sequence((exc.get("type") or {}).get("mro"), MAX_MRO)
    return any(isinstance(entry, (list, tuple)) and len(entry) == 2
               and entry[0] == "builtins" and entry[1] == "SyntaxError" for entry in mro)


def _syntax_error(exc: Exc, stype: str, rules: Rules) -> Iterator[str]:
    """SyntaxError's ``File``/text/caret block, from ``args = (msg, (file, line, col, text..))``.

    Capture must record ``args`` for this; without them the message is printed as is.
    """
    args = exc.get("args") or ()
    details = args[1] if len(args) > 1 and isinstance(args[1], tuple) else ()
    msg = args[0] if args else exc.get("message")
    filename, lineno, offset, text = (tuple(details[:4]) + (None,) * 4)[:4]
    end_offset = details[5] if len(details) > 5 else None
    if filename is not None or lineno is not None:
        where = f'  File "{as_text(filename or "<string>")}"'
        if lineno is not None:
            where += f", line {as_text(lineno)}"
        yield where + "\n"
    if isinstance(text, str):
        rtext = text.rstrip("\n")
        ltext = rtext.lstrip(" \n\f")
        spaces = len(rtext) - len(ltext)
        yield f"    {ltext}\n"
        if isinstance(offset, int) and offset > 0:
            end = end_offset if isinstance(end_offset, int) and end_offset > offset else offset + 1
            if rules.version < (3, 10):
                end = offset + 1
            start_col = min(max(0, offset - 1 - spaces), len(ltext))
            end_col = max(start_col + 1, min(end - 1 - spaces, len(ltext) + 1))
            yield "    " + " " * start_col + "^" * (end_col - start_col) + "\n"
    yield exception_line(stype, as_text(msg) if msg is not None else "") + "\n"


class _Context:
    """Margins for exception groups, as in ``traceback._ExceptionPrintContext``."""

    def __init__(self) -> None:
        self.seen: set = set()
        self.depth = 0
        self.need_close = False

    def indent(self) -> str:
        return " " * (2 * self.depth)

    def emit(self, text: str | Iterable[str], margin: str = "|") -> Iterator[str]:
        prefix = self.indent() + (margin + " " if self.depth else "")
        for chunk in [text] if isinstance(text, str) else text:
            if not prefix:
                yield chunk
            else:
                yield "".join(prefix + line for line in chunk.splitlines(True))


def chain(exc: Exc, seen: set) -> List[Tuple[str | None, Exc]]:
    """``exc`` and the exceptions it was raised from, innermost cause first.

    At most ``MAX_EXCEPTIONS`` of them: the ones nearest ``exc``, under a line
    saying that earlier ones are left out.
    """
    out: List[Tuple[str | None, Exc]] = []
    current: Exc | None = exc
    while current is not None:
        if len(out) == MAX_EXCEPTIONS:
            out[-1] = (CHAIN_CUT, out[-1][1])
            break
        seen.add(id(current))
        cause, context = current.get("cause"), current.get("context")
        message: str | None = None
        following: Exc | None = None
        if cause is not None and id(cause) not in seen:
            message, following = CAUSE_MESSAGE, cause
        elif (
            cause is None
            and context is not None
            and not current.get("suppress_context")
            and id(context) not in seen
        ):
            message, following = CONTEXT_MESSAGE, context
        out.append((message, current))
        current = following
    out.reverse()
    return out


def format_chain(
    exc: Exc, sources: Sources, rules: Rules, with_locals: bool = False, ctx: _Context | None = None
) -> Iterator[str]:
    """The whole chain of ``exc``, groups included, as CPython formats it."""
    ctx = ctx or _Context()
    for message, item in chain(exc, ctx.seen):
        if message is not None:
            yield from ctx.emit(message)
        frames, cut, cut_at = stack(item)
        lines = format_stack(frames, sources, rules, with_locals, cut, cut_at)
        members = item.get("members")
        if members is None:
            if frames:
                yield from ctx.emit("Traceback (most recent call last):\n")
                yield from ctx.emit(lines)
            yield from ctx.emit(_exception_only(item, rules))
        elif ctx.depth > MAX_GROUP_DEPTH:
            yield from ctx.emit(f"... (max_group_depth is {MAX_GROUP_DEPTH})\n")
        else:
            toplevel = ctx.depth == 0
            if toplevel:
                ctx.depth += 1
            if frames:
                yield from ctx.emit(
                    "Exception Group Traceback (most recent call last):\n",
                    margin="+" if toplevel else "|",
                )
                yield from ctx.emit(lines)
            yield from ctx.emit(_exception_only(item, rules))
            yield from _format_members(members, sources, rules, with_locals, ctx)
            if toplevel:
                ctx.depth = 0


def _format_members(
    members: List[Exc], sources: Sources, rules: Rules, with_locals: bool, ctx: _Context
) -> Iterator[str]:
    count = len(members)
    shown = count if count <= MAX_GROUP_WIDTH else MAX_GROUP_WIDTH + 1
    ctx.need_close = False
    for i in range(shown):
        last = i == shown - 1
        if last:
            ctx.need_close = True
        truncated = i >= MAX_GROUP_WIDTH
        title = "..." if truncated else f"{i + 1}"
        corner = "+-" if i == 0 else "  "
        yield f"{ctx.indent()}{corner}+---------------- {title} ----------------\n"
        ctx.depth += 1
        if not truncated:
            yield from format_chain(members[i], sources, rules, with_locals, ctx)
        else:
            remaining = count - MAX_GROUP_WIDTH
            yield from ctx.emit(f"and {remaining} more exception{'s' if remaining > 1 else ''}\n")
        if last and ctx.need_close:
            yield ctx.indent() + "+------------------------------------\n"
            ctx.need_close = False
        ctx.depth -= 1


# --------------------------------------------------------------------------- entry points


def format_body(
    body: Dict[str, Any],
    with_locals: bool = False,
    exception: Exc | None = None,
    thread: Dict[str, Any] | None = None,
) -> Iterator[str]:
    """What the crashed process printed, from a dump body.

    ``exception`` prints that record of the chain instead of the root (without
    the ``Exception in thread`` header, which belongs to the root); ``thread``
    prints a THREAD record's stack under a ``Thread NAME`` header.

    The output is bounded (``MAX_CHUNKS``, ``MAX_OUTPUT``) whatever the body
    holds, and says so where it stops early.
    """
    chunks = _format_body(body, with_locals, exception, thread)
    size = 0
    for count, chunk in enumerate(chunks):
        if count >= MAX_CHUNKS or size > MAX_OUTPUT:
            chunks.close()
            yield OUTPUT_CUT
            return
        size += len(chunk)
        yield chunk


def _format_body(
    body: Dict[str, Any],
    with_locals: bool,
    exception: Exc | None,
    thread: Dict[str, Any] | None,
) -> Iterator[str]:
    meta = body.get("meta") or {}
    rules = Rules(as_text(meta.get("python", "")), meta.get("reason"))
    sources = Sources(body.get("sources"))
    if thread is not None:
        yield f"Thread {as_text(thread.get('name'))} (most recent call last):\n"
        frames, cut, cut_at = stack(thread)
        yield from format_stack(frames, sources, rules, with_locals, cut, cut_at)
        return
    root = body.get("exception")
    if exception is None or exception is root:
        if root is None:
            return
        if rules.thread_header:
            yield f"Exception in thread {as_text(meta.get('thread'))}:\n"
        exception = root
    yield from format_chain(exception, sources, rules, with_locals)


def print_body(
    body: Dict[str, Any],
    file: IO[str],
    with_locals: bool = False,
    exception: Exc | None = None,
    thread: Dict[str, Any] | None = None,
) -> None:
    """Write :func:`format_body` to ``file``."""
    for chunk in format_body(body, with_locals, exception, thread):
        file.write(chunk)
    file.flush()
