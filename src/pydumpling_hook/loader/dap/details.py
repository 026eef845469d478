"""The body of an ``exceptionInfo`` response: what the editor's exception widget shows.

VS Code's widget shows ``exceptionId``, ``description`` and
``details.stackTrace``; other clients also walk ``details.innerException``.
So the stack trace is the whole traceback as the crashed process printed it
(``--print``'s text, chained causes and group members included), and the
inner exceptions follow Python's own chain: the cause, else the context unless
it was suppressed, then a group's members.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ..printing import format_body
from ..records import MAX_EXCEPTIONS, MAX_NAMES
from ..text import as_text
from .targets import describe_exception, exception_name


def _inner(record: Mapping) -> List[Mapping]:
    cause, context = record.get("cause"), record.get("context")
    chained = cause if isinstance(cause, Mapping) else (
        context if isinstance(context, Mapping) and record.get("suppress_context") is not True
        else None)
    members = record.get("members")
    members = list(members[:MAX_NAMES]) if isinstance(members, (list, tuple)) else []
    return [r for r in [chained, *members] if isinstance(r, Mapping)]


def _details(record: Mapping, seen: set) -> Dict[str, Any]:
    """ExceptionDetails of ``record`` and, once each and at most MAX_EXCEPTIONS, its chain."""
    seen.add(id(record))
    info = record.get("type")
    info = info if isinstance(info, Mapping) else {}
    out: Dict[str, Any] = {
        "message": describe_exception(record),
        "typeName": as_text(info.get("qualname", "<unknown>")),
        "fullTypeName": f"{as_text(info.get('module', '<unknown>'))}."
                        f"{as_text(info.get('qualname', '<unknown>'))}",
    }
    inner = []
    for child in _inner(record):
        if id(child) not in seen and len(seen) < MAX_EXCEPTIONS:
            inner.append(_details(child, seen))
    if inner:
        out["innerException"] = inner
    return out


def _notes(record: Mapping) -> List[str]:
    notes = record.get("notes")
    return [as_text(n) for n in notes[:MAX_NAMES]] if isinstance(notes, (list, tuple)) else []


def exception_info(body: Mapping, record: Mapping) -> Dict[str, Any]:
    """The ``exceptionInfo`` body for the exception ``record`` of the dump ``body``."""
    message = record.get("message")
    description = "\n".join([as_text(message) if message is not None else "", *_notes(record)])
    details = _details(record, set())
    try:
        details["stackTrace"] = "".join(format_body(dict(body), exception=record))
    except Exception as exc:  # a damaged record that the printer cannot follow
        details["stackTrace"] = f"<the traceback cannot be printed: {type(exc).__name__}>"
    return {"exceptionId": exception_name(record), "description": description.strip("\n"),
            "breakMode": "unhandled", "details": details}
