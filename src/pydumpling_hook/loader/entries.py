"""One file of a listing, wherever it lies: its record, which names count, a fatal file's line.

A local directory (``inputs``) and a bucket (``fleet.objects``) are listed
alike, and ``inputs`` hands a URL to ``fleet.objects``; what both produce lives
here, below both, so that neither imports the other for it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

SUFFIXES = (".dump", ".fatal")
"""The names a listing shows: dumps, and faulthandler's files of fatal errors."""


class Listed(NamedTuple):
    """One file of a listing. ``header`` is the dump's header (a dict), the first line of
    a ``.fatal`` file (a str), or the ``DumpError`` that says why it is unreadable."""

    path: str
    size: int
    mtime: float
    header: Any
    expected: int | None = None
    """The file size the header's section table promises (a local dump's), if known."""


def first_line(head: bytes) -> str:
    """A ``.fatal`` file's summary: faulthandler's first line."""
    return head.decode("utf-8", "replace").strip().split("\n", 1)[0].strip()
