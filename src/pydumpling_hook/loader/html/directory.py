"""The ``--serve`` front page's view: the dumps of a directory, newest first, and their groups.

It reads headers only, through ``listing.scan`` (the code behind ``--list``),
so a directory of a thousand dumps lists in a fraction of a second and a
corrupt file is a row marked unreadable, never an error. Dumps are grouped
by crash site: the header's ``fingerprint`` when the capture side wrote one,
else the exception type and the innermost frame, which is what a person would
compare to decide that two crashes are the same bug.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Iterator, List, NamedTuple, Set, Tuple
from urllib.parse import quote

from ...config import is_remote
from ..entries import SUFFIXES
from ..listing import Entry, scan
from ..text import as_text, human_size, one_line

FIELD_LIMIT = 200


class Row(NamedTuple):
    """One file of the directory."""

    name: str
    href: str
    kind: str  # "dump", "fatal" or "unreadable"
    time: str
    reason: str
    exception: str
    site: str
    host: str
    size: str


class Group(NamedTuple):
    """Dumps of one crash site."""

    exception: str
    site: str
    count: int
    first: str
    last: str
    href: str


class Listing(NamedTuple):
    directory: str
    rows: List[Row]
    groups: List[Group]
    shown: int
    total: int
    query: str
    state: str


def _field(fields: Any, key: str) -> str:
    value = fields.get(key)
    return one_line(as_text(value), FIELD_LIMIT) if value not in (None, "") else ""


def _when(time: str) -> str:
    """``2026-11-25T10:11:12.123456Z`` -> ``2026-11-25 10:11:12Z``."""
    return time.replace("T", " ")[:19] + "Z" if len(time) >= 19 else time


def _row(entry: Entry) -> Row:
    name = os.path.basename(entry.path)
    fatal = name.endswith(".fatal")
    kind = "fatal" if fatal else ("dump" if entry.fields and entry.readable else "unreadable")
    fields = entry.fields
    return Row(
        name=name,
        href=("/fatal/" if fatal else "/dump/") + quote(os.fsencode(name)),
        kind=kind,
        time=_when(entry.time),
        reason=_field(fields, "reason") or ("fatal error" if fatal else ""),
        exception=one_line(entry.summary, FIELD_LIMIT),
        site="" if entry.site == "-" else entry.site,
        host=_field(fields, "host"),
        size=human_size(entry.size),
    )


def _group_key(entry: Entry) -> Tuple[str, ...]:
    fingerprint = entry.fields.get("fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        return ("fingerprint", fingerprint)
    return ("site", _field(entry.fields, "exc_type"), _field(entry.fields, "site"))


def _groups(entries: List[Entry], rows: List[Row]) -> List[Group]:
    """Groups of readable dumps, most recent crash first; ``entries`` are oldest first."""
    found: Dict[Tuple[str, ...], List[int]] = {}
    for index, entry in enumerate(entries):
        if rows[index].kind == "dump":
            found.setdefault(_group_key(entry), []).append(index)
    groups = []
    for indexes in found.values():
        newest = rows[indexes[-1]]
        groups.append(Group(
            exception=_field(entries[indexes[-1]].fields, "exc_type") or newest.exception,
            site=newest.site, count=len(indexes), first=rows[indexes[0]].time,
            last=newest.time, href=newest.href,
        ))
    groups.sort(key=lambda g: g.last, reverse=True)
    return groups


def _matches(row: Row, query: str) -> bool:
    text = " ".join((row.name, row.reason, row.exception, row.site, row.host, row.time))
    return query.lower() in text.lower()


def _stamps(directory: str) -> Iterator[Tuple[str, int, float]]:
    """``(name, size, mtime)`` of each dump or fatal file, from one listing, no reads."""
    if is_remote(directory):
        from ..fleet.objects import stamps

        yield from stamps(directory)
        return
    with os.scandir(directory) as listing:
        for item in listing:
            if item.name.endswith(SUFFIXES) and not item.name.startswith("."):
                try:
                    info = item.stat()
                except OSError:
                    continue
                yield item.name, info.st_size, info.st_mtime_ns


def state(directory: str) -> str:
    """A digest of the directory's dump names, sizes and times: it changes when a dump arrives.

    It costs one ``scandir`` (one listing request under a URL), no header read, so a page
    may poll it every few seconds.
    """
    digest = hashlib.sha256()
    for name, size, mtime in sorted(_stamps(directory)):
        digest.update(f"{name}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def names(directory: str) -> Set[str]:
    """The file names a listing of ``directory`` shows (for a URL: its objects' names)."""
    return {name for name, _, _ in _stamps(directory)}


def listing_view(directory: str, query: str = "") -> Listing:
    """The front page of ``directory``, filtered by ``query`` (all words as typed, any case)."""
    entries = scan(directory)
    rows = [_row(entry) for entry in entries]
    groups = _groups(entries, rows)
    newest_first = rows[::-1]
    shown = [row for row in newest_first if _matches(row, query)] if query else newest_first
    if query:
        groups = [g for g in groups if query.lower() in f"{g.exception} {g.site}".lower()]
    return Listing(directory, shown, groups, len(shown), len(rows), query, state(directory))
