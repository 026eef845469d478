"""``--list --group``: one line per crash site, across every host that wrote to a directory.

The question a fleet's dumps answer first is "which crashes, how often, since
when, where": a thousand dumps of one bug are one line. Sites are told apart
by the header's ``fingerprint`` (see ``engine/fingerprint.py``), so grouping
reads headers only and works the same on a local directory, a bucket, or
encrypted dumps (whose plain header keeps the fingerprint). Dumps written
before fingerprints existed are grouped by type and innermost file and line.
"""

from __future__ import annotations

import os
from typing import IO, Dict, List

from ...dumpformat.dumpfile import DumpError
from ..entries import Listed
from ..text import one_line

COLUMNS = ("COUNT", "FIRST SEEN", "LAST SEEN", "HOSTS", "PYTHON", "FINGERPRINT", "CRASH SITE",
           "EXAMPLE")
SHOWN = 3
"""Hosts and versions named on a line; the rest are counted."""


class Site:
    """The dumps of one crash site: how many, when, on which hosts and Pythons."""

    def __init__(self, fingerprint: str, title: str) -> None:
        self.fingerprint = fingerprint
        self.title = title
        self.count = 0
        self.first = self.last = ""
        self.example = ""
        self.hosts: set = set()
        self.versions: set = set()

    def add(self, time: str, path: str, host: object, python: object) -> None:
        self.count += 1
        if not self.first or time < self.first:
            self.first = time
        if time >= self.last:
            self.last, self.example = time, path
        if host:
            self.hosts.add(str(host))
        if python:
            self.versions.add(str(python))


def _key(item: Listed) -> tuple:
    """``(fingerprint, what the line calls the site, time, host, python)`` of one file."""
    header = item.header
    if isinstance(header, DumpError):
        return "-", "<unreadable>", "", None, None
    if isinstance(header, str):
        return "-", "FatalError", "", None, None
    summary = header["summary"]
    kind = str(summary.get("exc_type") or "?")
    site = summary.get("crash_site")
    fingerprint = summary.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:  # a dump older than fingerprints
        head, _, line = str(summary.get("site") or "?").rpartition(":")
        fingerprint, site = "-", f"{os.path.basename(head)}:{line}"
    time = summary.get("time") if isinstance(summary.get("time"), str) else ""
    return (fingerprint, one_line(f"{kind} at {site or '?'}", 100), time,
            summary.get("host"), summary.get("python"))


def group(items: List[Listed]) -> List[Site]:
    """Sites, the most frequent first (then the most recent)."""
    sites: Dict[tuple, Site] = {}
    for item in items:
        fingerprint, title, time, host, python = _key(item)
        site = sites.get((fingerprint, title))
        if site is None:
            site = sites[fingerprint, title] = Site(fingerprint, title)
        site.add(time, item.path, host, python)
    ordered = sorted(sites.values(), key=lambda s: s.last, reverse=True)
    ordered.sort(key=lambda s: -s.count)
    return ordered


def _some(values: set) -> str:
    shown = sorted(values)[:SHOWN]
    rest = len(values) - len(shown)
    return (",".join(shown) + (f" +{rest}" if rest else "")) or "-"


def _when(stamp: str) -> str:
    return stamp.replace("T", " ")[:19] + "Z" if stamp else "-"


def print_groups(items: List[Listed], out: IO[str]) -> int:
    """Write one aligned line per site under a header line; return how many sites."""
    sites = group(items)
    if not sites:
        return 0
    rows = [COLUMNS] + [
        (str(s.count), _when(s.first), _when(s.last), _some(s.hosts), _some(s.versions),
         s.fingerprint, s.title, s.example) for s in sites]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [row[i].ljust(widths[i]) for i in range(1, 7)]
        out.write("  ".join(cells + [row[7]]) + "\n")
    out.flush()
    return len(sites)
