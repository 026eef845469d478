"""Run the user's expression in a rebuilt frame, as pdb's ``p`` and ``!`` do.

The expression is the user's own code, evaluated against the frame's real
``f_globals`` and its (cached) locals; the values it meets are the dump's safe
copies, so nothing from the file runs unless ``--trust`` restored originals.
A debug-console entry that is not an expression (``x = 2``, ``import os``)
runs as a statement; hover and watch evaluate expressions only, so that
hovering never changes anything. Whatever it prints is captured and handed
back, never written to the server's own terminal. Any failure, including
``SystemExit`` from ``exit()``, is a message for the user, not the end of the
session.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Mapping, Tuple

from .protocol import RequestError
from .views import error_text

NO_RESULT = object()
"""What a statement evaluates to: the response shows no value."""


def _compile(expression: str, statements: bool) -> Tuple[Any, bool]:
    """The code of ``expression``, and whether it is statements rather than an expression."""
    try:
        return compile(expression, "<debug console>", "eval", dont_inherit=True), False
    except SyntaxError:
        if not statements:
            raise
    return compile(expression, "<debug console>", "exec", dont_inherit=True), True


def run(expression: str, globals_: dict, locals_: Mapping, statements: bool) -> Tuple[Any, str]:
    """``(value, printed)``, value ``NO_RESULT`` for statements; raises RequestError with
    ``Type: message`` on any failure."""
    try:
        code, is_statements = _compile(expression, statements)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as error:
        raise RequestError(error_text(error)) from None  # ValueError: a NUL in the text
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            value = eval(code, globals_, locals_)  # the user's own expression, as in pdb
    except (Exception, SystemExit, GeneratorExit) as error:
        raise RequestError(error_text(error)) from None
    return (NO_RESULT if is_statements else value), printed.getvalue()
