"""A dump's header summary, and its crash site's fingerprint: the same crash gets the
same id on every machine.

A fleet's dumps are only useful grouped: a thousand dumps of one bug are one
line to look at. The id must not depend on where the code is installed, on the
host or on the pid, so it is made of the exception type and the innermost
frames of application code, each written as the file relative to its package
root (from the module name, so ``/srv/a/venv/…/myapp/db.py`` and
``C:\\app\\myapp\\db.py`` both read ``myapp/db.py``), the function and the line.
Library and standard-library frames are left out when the stack has frames of
its own: a bug in the application that surfaces inside ``json`` is the
application's crash site, whichever version of ``json`` raised it.

``summarize`` builds the whole summary that ``--list`` and ``--group`` read
without decoding a body, so the frames a crash happened in (``crash_frames``)
are looked for in one place for the site it shows and for the fingerprint.

Stdlib only and cheap to import: it runs in the crashing process.
"""

from __future__ import annotations

import os

try:
    from _blake2 import blake2b  # hashlib's own backend; hashlib itself costs ~3 ms to import
except ImportError:  # pragma: no cover - interpreters built without it
    from hashlib import blake2b

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

DEPTH = 3
"""Innermost application frames in the fingerprint: enough to tell apart one helper
failing for two callers, few enough that a change far up the stack keeps the id."""
_STDLIB = os.path.dirname(os.__file__) + os.sep
_LIBRARY_DIRS = ("site-packages", "dist-packages")


def _kind(filename: str) -> int:
    """0 for application code, 1 for an installed library, 2 for the standard library."""
    parts = filename.replace("\\", "/").split("/")
    if any(p in _LIBRARY_DIRS for p in parts):
        return 1
    if filename.startswith(_STDLIB) or filename.startswith("<frozen "):
        return 2
    return 0


def relative_file(filename: str, module: Any) -> str:
    """The file as its import name places it: ``myapp/db.py``; a script is its base name."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if not isinstance(module, str) or module == "__main__" or filename.startswith("<"):
        return base
    parts = module.split(".")
    if base.startswith("__init__."):
        return "/".join(parts + [base])
    if parts[-1] == base.rpartition(".")[0]:
        return "/".join(parts[:-1] + [base])
    return base


def frame_site(frame: dict) -> str:
    """``myapp/db.py:42 in get``: one frame, with nothing that differs between hosts (the
    function's name, not its qualified name, which Pythons before 3.11 do not record)."""
    where = relative_file(str(frame.get("filename")), frame.get("module"))
    return f"{where}:{frame.get('lineno')} in {frame.get('name')}"


def _innermost(frames: list) -> list:
    """The innermost frames of the most application-like kind the stack has."""
    names = [str(f.get("filename")) for f in frames]
    known = {name: _kind(name) for name in set(names)}  # a recursion: one file, 1,000 frames
    kinds = list(map(known.__getitem__, names))
    best = min(kinds, default=0)
    return [f for f, k in zip(frames, kinds) if k == best][-DEPTH:]


def crash_frames(body: dict) -> list:
    """The frames a dump's crash happened in: its exception's traceback, or for a dump
    of the live stacks the crashing thread's."""
    exc = body.get("exception")
    if exc is not None:
        return exc.get("frames") or []
    current = [t for t in body.get("threads") or () if t.get("current")]
    return (current[0].get("frames") or []) if current else []


def describe(body: dict, exc_type: str) -> dict:
    """The header fields of a dump's crash site: ``fingerprint`` and ``crash_site``.

    ``exc_type`` is the summary's type name (``LiveStack`` for a dump of the
    live stack, whose site is the crashing thread's innermost frames).
    """
    sites = [frame_site(f) for f in _innermost(crash_frames(body))]
    digest = blake2b("\n".join([exc_type, *sites]).encode("utf-8", "replace"), digest_size=8)
    return {"fingerprint": digest.hexdigest(), "crash_site": sites[-1] if sites else None}


def summarize(body: dict, reason: str) -> dict:
    """The header's summary: what ``--list`` and ``--group`` show without decoding the body."""
    info = body["meta"]
    exc = body["exception"]
    if exc is not None:
        kind = exc["type"]["qualname"]
        module = exc["type"]["module"]
        kind = kind if module in ("builtins", "__main__") else f"{module}.{kind}"
        message = exc["message"][:200]
    else:
        kind, message = "LiveStack", "stack captured on demand"
    frames = crash_frames(body)
    site = None
    if frames:
        last = frames[-1]
        site = f"{last.get('filename')}:{last.get('lineno')} in {last.get('name')}"
    return {
        "exc_type": kind,
        "message": message,
        "time": info["time"],
        "pid": info["pid"],
        "host": info["hostname"],
        "thread": info["thread"],
        "site": site,
        "reason": reason,
        "python": info["python"],
        **describe(body, kind),
    }
