"""``--list``: one line per dump in a directory or under a URL, from the headers alone.

Reading a header is one small read and a JSON parse, so a directory of
hundreds of dumps lists in well under a second; the bodies are never touched.
A file that is not readable is listed as ``<unreadable: reason>`` rather than
ending the listing, because the listing is how a user finds the broken ones;
one shorter than its header's section table says is ``<truncated: …>`` (found
from the header and the file size alone). ``*.fatal`` files (faulthandler
output of a fatal error) are listed too, as type ``FatalError`` with their
first line as the message. The reason column names the capture point, so
thread, asyncio, logging and worker dumps of one exception type tell apart.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import IO, Any, Iterator, List, Mapping, NamedTuple

from ..config import DEFAULT_DIR
from ..dumpformat.dumpfile import DumpError
from ..dumpformat.sealed import is_sealed
from ..engine.writer import dump_directory
from .entries import Listed
from .inputs import listed
from .text import exception_line, human_size, one_line, terminal

MESSAGE_LIMIT = 80
REASON_LIMIT = 16
REASONS = {"threading": "thread", "multiprocessing.pool": "multiprocessing",
           "ProcessPoolExecutor": "multiprocessing"}
"""Capture points shown under a shorter or shared name; the others as ``meta.reason`` says."""


class Entry(NamedTuple):
    """One listed file. ``time`` is ISO 8601 UTC, so entries sort as strings.

    ``fields`` is the header's ``summary`` of a readable dump (empty otherwise),
    for views that show more than this listing's columns (``--serve``).
    """

    time: str
    summary: str
    site: str
    size: int
    path: str
    reason: str = "-"
    readable: bool = True
    fields: Mapping[str, Any] = {}


def default_directory() -> str:
    """``$PYDUMPLING_DIR``, else ``./pydumpling-dumps`` (where capture writes by default);
    for a shared sticky directory such as ``/tmp``, our own subdirectory of it."""
    return dump_directory(os.environ.get("PYDUMPLING_DIR") or DEFAULT_DIR)


def _mtime_iso(mtime: float) -> str:
    stamp = datetime.fromtimestamp(mtime, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _entry(item: Listed) -> Entry:
    header = item.header
    if isinstance(header, DumpError):
        reason = str(header).split(": ", 1)[-1]
        return Entry(_mtime_iso(item.mtime), f"<unreadable: {reason}>", "-", item.size, item.path,
                     readable=False)
    if isinstance(header, str):  # a .fatal file's first line
        text = exception_line("FatalError", header)
        return Entry(_mtime_iso(item.mtime), one_line(text, MESSAGE_LIMIT), "-", item.size,
                     item.path, "fatal")
    summary = header["summary"]
    time = summary.get("time")
    if not isinstance(time, str):
        time = _mtime_iso(item.mtime)
    message = summary.get("message") or ("(encrypted)" if is_sealed(header) else "")
    text = exception_line(str(summary.get("exc_type", "?")), str(message))
    readable = item.expected is None or item.size >= item.expected
    if not readable:
        text = f"<truncated: {human_size(item.size)} of {human_size(item.expected)}> {text}"
    site = _short_site(str(summary.get("site") or summary.get("crash_site") or "-"))
    reason = str(summary.get("reason") or "-")
    return Entry(time, one_line(text, MESSAGE_LIMIT), site, item.size, item.path,
                 one_line(REASONS.get(reason, reason), REASON_LIMIT), readable, summary)


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


def latest(directory: str, skipped: List[Entry] | None = None) -> str | None:
    """The path of the newest readable ``.dump`` in ``directory``, or None.

    Newer files that are unreadable or truncated (a dump being written by
    another tool, a full disk) are passed over and appended to ``skipped``.
    """
    dumps = [e for e in scan(directory) if e.path.endswith(".dump")]
    for entry in reversed(dumps):
        if entry.readable:
            return entry.path
        if skipped is not None:
            skipped.append(entry)
    return None


def format_entries(entries: List[Entry]) -> Iterator[str]:
    """Aligned lines: time, reason, exception, crash site, size, path; every cell
    terminal-safe (a header's summary is the file's text)."""
    rows: List[Any] = [
        tuple(terminal(cell) for cell in (e.time.replace("T", " ")[:19] + "Z", e.reason,
                                          e.summary, e.site, human_size(e.size), e.path))
        for e in entries
    ]
    if not rows:
        return
    size_column = 4
    widths = [max(len(row[i]) for row in rows) for i in range(size_column + 1)]
    for row in rows:
        cells = [row[i].rjust(widths[i]) if i == size_column else row[i].ljust(widths[i])
                 for i in range(size_column + 1)]
        yield "  ".join(cells + [row[-1]]) + "\n"


def print_listing(directory: str, out: IO[str]) -> int:
    """Write the listing of ``directory``; return how many files it shows."""
    entries = scan(directory)
    for line in format_entries(entries):
        out.write(line)
    out.flush()
    return len(entries)
