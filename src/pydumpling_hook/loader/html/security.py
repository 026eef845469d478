"""The checks every ``--serve`` request passes before it may read a file.

Dumps are secrets, and any web page the user visits can make their browser
send requests to 127.0.0.1. Reading a response across origins is what CORS
forbids, and the server sends no CORS header, but DNS rebinding gets around
that: a page on ``evil.example`` re-points its own name at 127.0.0.1, and its
requests then carry ``Host: evil.example``. So the ``Host`` header must name
the address the server is bound to. A server reachable from other machines
(``--allow-remote``) cannot know every name it is reached by, so there a
random token is required instead, from the printed URL, then from a cookie
that only that origin gets.

A URL names a file only by one of the names the directory listing shows: it
is never joined onto a path, so ``..``, absolute paths and encoded slashes
cannot reach anything else, and they are refused before the lookup anyway.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import stat
from http.cookies import CookieError, SimpleCookie
from typing import FrozenSet

from ..entries import SUFFIXES

COOKIE = "pydumpling_token"


def allowed_hosts(host: str, port: int) -> FrozenSet[str]:
    """The ``Host`` header values that name a server bound to ``host``:``port``."""
    names = {host}
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback or host == "localhost":
        names |= {"127.0.0.1", "localhost", "[::1]"}
    if address is not None and address.version == 6:
        names.discard(host)
        names.add(f"[{host}]")
    values = {f"{name}:{port}" for name in names}
    if port == 80:
        values |= names
    return frozenset(value.lower() for value in values)


def is_wildcard(host: str) -> bool:
    """Whether ``host`` binds every interface (``0.0.0.0``, ``::``), so any name may reach it."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def host_ok(header: str | None, allowed: FrozenSet[str]) -> bool:
    """Whether a request's ``Host`` header names this server (``allowed``)."""
    return header is not None and header.strip().lower() in allowed


def token_ok(token: str, query_token: str | None, cookie_header: str | None) -> bool:
    """Whether the request carries ``token``, in the query or in our cookie."""
    candidates = [query_token]
    if cookie_header:
        try:
            morsel = SimpleCookie(cookie_header).get(COOKIE)
        except CookieError:
            morsel = None
        candidates.append(morsel.value if morsel is not None else None)
    expected = token.encode()
    return any(c is not None and hmac.compare_digest(c.encode("utf-8", "replace"), expected)
               for c in candidates)


def safe_name(name: str) -> bool:
    """Whether ``name`` can be one of the listing's file names: no path in it, nothing hidden."""
    return (
        bool(name)
        and name.endswith(SUFFIXES)
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and os.path.basename(name) == name
    )


def listed_path(directory: str, name: str) -> str | None:
    """The path of ``name`` in ``directory`` if it is a listed regular file, else None.

    The name must be safe, and the file a regular file in ``directory`` itself:
    a symlink there (which could point at any file the user can read) is refused.
    """
    if not safe_name(name):
        return None
    path = os.path.join(directory, name)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISREG(info.st_mode) else None
