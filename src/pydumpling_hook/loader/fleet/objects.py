"""Dumps in object storage, read through fsspec: one object whole, or many headers.

A fleet's bucket holds thousands of dumps, and a listing needs only their
headers, which the format puts first and keeps small. So a listing asks for
the first ``HEAD`` bytes of every object in concurrent ranged reads (fsspec's
``cat_ranges``; s3fs, gcsfs and adlfs run them in parallel) and a second
round only for the rare header longer than that. Bodies are never read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Tuple

from ...dumpformat.dumpfile import MAX_SECTION, PREFIX, DumpError, header_end, parse_header
from ...engine.ship import filesystem, one_line
from ..entries import SUFFIXES, Listed, first_line

HEAD = 4096
"""Bytes read from each object for a listing: a typical header is well under 1 KiB."""
MAX_OBJECT = 2 * MAX_SECTION
"""Largest object ``fetch`` downloads: more than any dump the capture side writes."""
_MTIME_KEYS = ("LastModified", "mtime", "last_modified", "updated", "created")


def _filesystem(url: str) -> tuple:
    try:
        return filesystem(url)
    except Exception as exc:
        raise DumpError(f"{url}: {one_line(exc)}") from None


def download(url: str, limit: int | None = None) -> bytes:
    """The whole object at ``url``, bounded in size; with ``limit``, its first ``limit``
    bytes only (one ranged read, whatever the object's size)."""
    fs, path = _filesystem(url)
    try:
        if limit is not None:
            return fs.cat_file(path, start=0, end=limit)
        size = fs.size(path)
        if size is not None and size > MAX_OBJECT:
            raise DumpError(f"{url}: {size:,} bytes is more than a dump can be")
        return fs.cat_file(path)
    except FileNotFoundError:
        raise DumpError(f"{url}: no such object") from None
    except DumpError:
        raise
    except Exception as exc:
        raise DumpError(f"{url}: cannot read: {one_line(exc)}") from None


def _mtime(entry: dict) -> float:
    """The object's modification time, whatever the backend calls it (0 if none)."""
    for key in _MTIME_KEYS:
        value = entry.get(key)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        if isinstance(value, datetime):
            return value.timestamp()
    return 0.0


def _header(url: str, head: Any) -> Any:
    """What ``Listed.header`` holds for an object, from its first bytes (or the error)."""
    if isinstance(head, BaseException):
        return DumpError(f"{url}: cannot read: {one_line(head)}")
    if url.endswith(".fatal"):
        return first_line(head)
    try:
        return parse_header(head, url)
    except DumpError as exc:
        return exc


def files(url: str) -> Tuple[Any, List[dict]]:
    """``(fs, details)`` of the dump and fatal objects directly under ``url``.

    Listed afresh every time: fsspec caches listings, and a long-running
    ``--serve`` must see the objects that arrived since it last looked.
    """
    fs, root = _filesystem(url)
    try:
        fs.invalidate_cache(root)
        entries = fs.ls(root, detail=True)
    except FileNotFoundError:
        raise DumpError(f"{url}: no such bucket or directory") from None
    except Exception as exc:
        raise DumpError(f"{url}: cannot list: {one_line(exc)}") from None
    return fs, [e for e in entries if e.get("type") == "file"
                and e["name"].rpartition("/")[2].endswith(SUFFIXES)
                and not e["name"].rpartition("/")[2].startswith(".")]


def stamps(url: str) -> List[Tuple[str, int, float]]:
    """``(name, size, mtime)`` of each object ``files`` lists: one listing request, no reads."""
    return [(e["name"].rpartition("/")[2], int(e.get("size") or 0), _mtime(e))
            for e in files(url)[1]]


def listed(url: str) -> List[Listed]:
    """Every dump and fatal file directly under ``url``, with its header."""
    fs, objects = files(url)
    names = [e["name"] for e in objects]
    sizes = [int(e.get("size") or 0) for e in objects]
    heads = _ranges(fs, names, [min(HEAD, size) for size in sizes])
    longer = [i for i, head in enumerate(heads) if isinstance(head, bytes)
              and HEAD < (header_end(head[:PREFIX]) or 0) <= sizes[i]]
    for i, head in zip(longer, _ranges(fs, [names[i] for i in longer],
                                       [header_end(heads[i][:PREFIX]) for i in longer])):
        heads[i] = head
    return [Listed(fs.unstrip_protocol(name), size, _mtime(entry),
                   _header(fs.unstrip_protocol(name), head))
            for name, size, entry, head in zip(names, sizes, objects, heads)]


def _ranges(fs: Any, names: list, ends: list) -> list:
    """The first ``end`` bytes of each object, concurrently; an exception in place of a
    failed read. An empty object reads as ``b""`` without a request."""
    wanted = [i for i, end in enumerate(ends) if end]
    out: list = [b""] * len(names)
    if wanted:
        got = fs.cat_ranges([names[i] for i in wanted], [0] * len(wanted),
                            [ends[i] for i in wanted], on_error="return")
        for i, data in zip(wanted, got):
            out[i] = data
    return out
