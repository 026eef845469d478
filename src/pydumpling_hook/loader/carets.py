"""Where ``--print`` puts carets: CPython's anchor rules, ported per version.

3.11 and 3.12 underline one line (``~~~^^^~~~`` for a binary operator or a
subscript); 3.13's ``traceback`` module also anchors calls and shows
multi-line instructions whole. Each function here is a port of the CPython
code named in its docstring, plus one bound CPython does not need: source
from a file may be huge, so no more than ``MAX_PARSE`` characters are ever
handed to ``ast.parse`` (a 4 MB expression costs about 900 MB to parse). A
longer expression simply gets no anchors.
"""

from __future__ import annotations

import ast
import unicodedata
from typing import Any, List, Tuple

MAX_PARSE = 20_000
"""Longest source text parsed for anchors, in characters."""


def parse(source: str) -> ast.Module | None:
    """``ast.parse(source)``, or None if it fails or is longer than ``MAX_PARSE``."""
    if len(source) > MAX_PARSE:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def char_offset(line: str, byte_offset: int) -> int:
    """A UTF-8 byte offset in ``line`` as a character offset, as CPython converts it."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


def display_width(line: str, offset: int | None = None) -> int:
    if offset is None:
        offset = len(line)
    if line.isascii():
        return offset
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:offset])


def _parse_single_expr(source: str) -> ast.expr | None:
    tree = parse(source)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    return tree.body[0].value


def anchors_312(segment: str) -> Tuple[int, int] | None:
    """3.11/3.12 anchors: the operator of a BinOp, the brackets of a subscript.

    Offsets are characters into ``segment``, (left_end, right_start). The C
    printer of 3.11.7/3.12.1 and their ``traceback.py`` agree here (both skip
    ``)`` and comments after the left operand; 3.11.0's C printer did not).
    Byte and character offsets are mixed exactly as CPython mixes them.
    """
    expr = _parse_single_expr(segment)
    if isinstance(expr, ast.BinOp):
        start = char_offset(segment, expr.left.end_col_offset)
        stop = char_offset(segment, expr.right.col_offset)
        operator = segment[start:stop]
        skip = len(operator) - len(operator.lstrip())
        left = expr.left.end_col_offset + skip
        right = left + 1
        if skip + 1 < len(operator) and not operator[skip + 1].isspace():
            right += 1
        while left < len(segment) and (segment[left].isspace() or segment[left] in ")#"):
            left += 1
            right += 1
        return char_offset(segment, left), char_offset(segment, right)
    if isinstance(expr, ast.Subscript):
        left = char_offset(segment, expr.value.end_col_offset)
        right = char_offset(segment, expr.slice.end_col_offset + 1)
        while left < len(segment) and segment[left] != "[":
            left += 1
        while right < len(segment) and segment[right] != "]":
            right += 1
        if right < len(segment):
            right += 1
        return left, right
    return None


def one_line_carets(line: str, positions: Any, c_printer: bool, wide: bool) -> str | None:
    """The caret line of 3.11/3.12 for ``line`` (unstripped), or None. ``c_printer``:
    the C traceback printer's conventions; ``wide``: columns by display width (3.12+)."""
    if not positions or any(p is None or p < 0 for p in positions):
        return None
    start_line, end_line, start_col, end_col = positions
    indent = len(line) - len(line.lstrip(" \t\f") if c_printer else line.lstrip())
    start = char_offset(line, start_col)
    end = char_offset(line, end_col)
    anchors = None
    if start_line == end_line:
        try:
            anchors = anchors_312(line[start:end])
        except Exception:  # anchors are decoration; CPython ignores failures too
            anchors = None
    else:
        end = len(line.rstrip(" \t\f") if c_printer else line.rstrip())
    if c_printer:
        if end - start == len(line) - indent and anchors is None:
            return None
    else:
        stripped_len = len(line.strip())
        if not (end - start < stripped_len or (anchors and anchors[1] - anchors[0] > 0)):
            return None
    if wide:
        segment = line[start:end]
        d_start, d_end = display_width(line, start), display_width(line, end)
        pad = " " * (d_start - indent)
        if anchors:
            d_left = display_width(segment, anchors[0])
            d_right = display_width(segment, anchors[1])
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


class Anchors313:
    __slots__ = ("left_line", "left", "right_line", "right")

    def __init__(self, left_line: int, left: int, right_line: int, right: int) -> None:
        self.left_line, self.left, self.right_line, self.right = left_line, left, right_line, right


def anchors_313(segment: str) -> Anchors313 | None:
    """Port of 3.13 ``traceback._extract_caret_anchors_from_line_segment``."""
    tree = parse(f"(\n{segment}\n)")
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    expr = tree.body[0].value
    lines = segment.splitlines()

    def normalize(lineno: int, offset: int) -> int:
        return char_offset(lines[lineno], offset)

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
        return Anchors313(lineno, col, lineno, right_col)
    if isinstance(expr, (ast.Subscript, ast.Call)):
        inner = expr.value if isinstance(expr, ast.Subscript) else expr.func
        bracket = "[" if isinstance(expr, ast.Subscript) else "("
        left_line, left_col = until(*end_of(inner), lambda ch: ch == bracket)
        right_line, right_col = end_of(expr, force_valid=False)
        return Anchors313(left_line, left_col, right_line, right_col)
    return None


def show_carets_313(start: int, end: int, lines: List[str], anchors: Any) -> bool:
    tree = parse("\n".join(lines))
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
