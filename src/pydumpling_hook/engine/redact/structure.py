"""Secrets recognised by where they sit, whatever the variable is called.

Web frameworks keep headers as sequences of ``(name, value)`` pairs (the ASGI
scope, Starlette, Werkzeug, wsgiref, ``email.message``, gunicorn's
``[name, value]`` lists), as ``(raw, lower, value)`` triples (httpx, h11), as
dicts (Django's ``request.META``, ``urllib.request.Request``) or as
case-insensitive dicts whose entries are ``lower -> (name, value)``
(requests, Django ``HttpHeaders``). The name rules cover the dicts; this
module covers the pairs and triples, so a header object of any framework is
redacted without knowing the class.

What only a class can tell (Django's ``Signer.key`` is the ``SECRET_KEY``,
under the innocent name ``key``) lives in ``CLASS_FIELDS``, keyed by the exact
``(module, qualname)`` of the type.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

MAX_HEADER_NAME = 100

CLASS_FIELDS: dict = {
    ("django.core.signing", "Signer"): frozenset({"key", "fallback_keys"}),
    ("django.core.signing", "TimestampSigner"): frozenset({"key", "fallback_keys"}),
    ("itsdangerous.signer", "Signer"): frozenset({"secret_keys"}),
    ("itsdangerous.timed", "TimestampSigner"): frozenset({"secret_keys"}),
}
"""Attributes hidden whatever the name rules say, for these exact types."""

NO_FIELDS: frozenset = frozenset()


def class_fields(module: str, qualname: str) -> frozenset:
    """The attribute names to hide for this exact type (usually none)."""
    return CLASS_FIELDS.get((module, qualname), NO_FIELDS)


def _name(item: Any) -> Any:
    kind = type(item)
    if (kind is str or kind is bytes) and len(item) < MAX_HEADER_NAME:
        return item
    return None


def secret_slot(items: list, secret_name: Callable[[Any], bool]) -> int:
    """For a header-shaped sequence, the index of the value to hide, else -1.

    ``(name, value)``: a 2-item pair whose first item is a secret name.
    ``(raw, lower, value)``: a 3-item triple whose first two items are the same
    name up to case (httpx, h11): an ordinary 3-tuple is never such a triple.
    """
    size = len(items)
    if size == 2:
        name = _name(items[0])
        if name is not None and secret_name(name):
            return 1
    elif size == 3:
        raw = _name(items[0])
        lower = _name(items[1])
        if raw is not None and lower is not None and type(raw) is type(lower) and (
                raw.lower() == lower) and secret_name(lower):
            return 2
    return -1
