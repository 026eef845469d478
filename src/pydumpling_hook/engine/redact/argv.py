"""Secret options on a command line, in the forms real tools use.

``--password=x``, ``--token x``, ``db.password=x`` (Hydra, Spark),
``-Password:x`` (PowerShell), ``/password:x`` (Windows tools), ``-H
"Authorization: Bearer x"`` (curl), ``--db-url postgresql://u:p@h/db``. The
option's name goes to the name rules; every other argument to the value
rules, in their free-text form (``Name: value`` counts).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _option(arg: str) -> tuple:
    """``(name, prefix, value)``: ``"-Password:x"`` -> ``("Password", "-Password:", "x")``;
    ``value`` is ``None`` without a separator, ``name`` empty when it is no name."""
    body = arg.lstrip("-/") if arg[:1] in "-/" else arg
    cut = [i for i in (body.find("="), body.find(":")) if i > 0]
    at = min(cut) if cut else len(body)
    name = body[:at]
    if not name or len(name) > 100 or not NAME_CHARS.issuperset(name):
        return "", "", None
    if not cut:
        return name, arg, None
    start = len(arg) - len(body) + at + 1
    while start < len(arg) and arg[start] == " ":
        start += 1
    return name, arg[:start], arg[start:]


def redact_argv(redactor: Any, argv: Any, copy: Callable[[Any], Any]) -> list:
    """Hide the values of secret options; a secret flag without a value hides the next
    argument (a flag like ``--no-auth`` before a positional argument costs that
    argument: safer than guessing)."""
    out: list = []
    hide_next = False
    for arg in list(argv):
        if type(arg) is not str:
            out.append(copy(arg))
            continue
        if hide_next:
            hide_next = False
            out.append(redactor.redact("name", arg))
            continue
        name, prefix, value = _option(arg)
        if name and redactor.secret_name(name):
            if value:
                out.append(redactor.redact("name", value, hint=prefix + "<redacted>"))
                continue
            hide_next = value is None and arg[:1] in "-/"
        hidden = redactor.check_text(arg, True)
        out.append(copy(arg) if hidden is None else hidden)
    return out
