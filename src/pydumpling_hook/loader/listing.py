"""``--list``: one line per dump in a directory or under a URL, from the headers alone.

Reading a header is one small read and a JSON parse, so a directory of
hundreds of dumps lists in well under a second; the bodies are never touched.
A file that is not readable is listed as ``<unreadable: reason>`` rather than
ending the listing, because the listing is how a user finds the broken ones.
``*.fatal`` files (faulthandler output of a fatal error) are listed too, as
type ``FatalError`` with their first line as the message.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import IO, Any, Iterator, List, NamedTuple

from ..config import DEFAULT_DIR
from ..dumpformat.dumpfile import DumpError
from ..dumpformat.sealed import is_sealed
from .sources import Listed, listed
from .text import exception_line, human_size, one_line

MESSAGE_LIMIT = 80


class Entry(NamedTuple):
    """One listed file. ``time`` is ISO 8601 UTC, so entries sort as strings."""

    time: str
    summary: str
    site: str
    size: int
    path: str


def default_directory() -> str:
    """``$PYDUMPLING_DIR``, else ``./pydumpling-dumps`` (where capture writes by default)."""
    return os.environ.get("PYDUMPLING_DIR") or DEFAULT_DIR


def _mtime_iso(mtime: float) -> str:
    stamp = datetime.fromtimestamp(mtime, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _entry(item: Listed) -> Entry:
    header = item.header
    if isinstance(header, DumpError):
        reason = str(header).split(": ", 1)[-1]
        return Entry(_mtime_iso(item.mtime), f"<unreadable: {reason}>", "-", item.size, item.path)
    if isinstance(header, str):  # a .fatal file's first line
        text = exception_line("FatalError", header)
        return Entry(_mtime_iso(item.mtime), one_line(text, MESSAGE_LIMIT), "-", item.size,
                     item.path)
    summary = header["summary"]
    time = summary.get("time")
    if not isinstance(time, str):
        time = _mtime_iso(item.mtime)
    message = summary.get("message") or ("(encrypted)" if is_sealed(header) else "")
    text = exception_line(str(summary.get("exc_type", "?")), str(message))
    site = _short_site(str(summary.get("site") or summary.get("crash_site") or "-"))
    return Entry(time, one_line(text, MESSAGE_LIMIT), site, item.size, item.path)


def _short_site(site: str) -> str:
    """``/srv/app/app.py:12 in inner`` -> ``app.py:12 in inner``: the path is in the last column."""
    head, sep, tail = site.rpartition(":")
    return f"{os.path.basename(head)}:{tail}" if sep else site


def scan(directory: str) -> List[Entry]:
    """Every dump and fatal file in ``directory`` or under a URL (not recursive), oldest
    first. Raises FileNotFoundError / NotADirectoryError for a bad local directory and
    DumpError for a bad URL."""
    entries = [_entry(item) for item in listed(directory)]
    entries.sort(key=lambda e: (e.time, e.path))
    return entries


def latest(directory: str) -> str | None:
    """The path of the newest ``.dump`` in ``directory``, readable or not, or None."""
    dumps = [e for e in scan(directory) if e.path.endswith(".dump")]
    return dumps[-1].path if dumps else None


def format_entries(entries: List[Entry]) -> Iterator[str]:
    """Aligned lines: time, exception, crash site, size, path."""
    rows: List[Any] = [
        (e.time.replace("T", " ")[:19] + "Z", e.summary, e.site, human_size(e.size), e.path)
        for e in entries
    ]
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) if i != 3 else row[i].rjust(widths[i]) for i in range(4)]
        yield "  ".join(cells + [row[4]]) + "\n"


def print_listing(directory: str, out: IO[str]) -> int:
    """Write the listing of ``directory``; return how many files it shows."""
    entries = scan(directory)
    for line in format_entries(entries):
        out.write(line)
    out.flush()
    return len(entries)
