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

NO_RESULT = object()
"""What a statement evaluates to: the response shows no value."""
ERROR_LIMIT = 500


def run(expression: str, globals_: dict, locals_: Mapping, statements: bool) -> Tuple[Any, str]:
    """``(value, printed)``, value ``NO_RESULT`` for a statement; raises RequestError with
    ``Type: message`` on any failure."""
    mode = "eval"
    try:
        code = compile(expression, "<debug console>", mode, dont_inherit=True)
    except SyntaxError as error:
        if not statements:
            raise RequestError(_message(error)) from None
        mode = "exec"
        try:
            code = compile(expression, "<debug console>", mode, dont_inherit=True)
        except SyntaxError as error:
            raise RequestError(_message(error)) from None
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            value = eval(code, globals_, locals_)  # the user's own expression, as in pdb
    except (Exception, SystemExit, GeneratorExit) as error:
        raise RequestError(_message(error)) from None
    return (NO_RESULT if mode == "exec" else value), printed.getvalue()


def _message(error: BaseException) -> str:
    try:
        detail = str(error)
    except Exception:  # the user's own exception class may fail here too
        detail = "<str() failed>"
    text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"
