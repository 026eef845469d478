"""Where the loader's input comes from: a local path or an fsspec URL, plain or encrypted.

Every mode of ``pydumpling-open`` (the debuggers, ``--print``, ``--json``,
``--rdebug``, and any later one) reads a plain dump from a local path. So
the command line calls ``fetch`` once, before any mode runs: it downloads an
object, decrypts an encrypted dump with the given identity, and returns the
path of a plain dump; modes never see a URL or an envelope. Listings call
``listed``, which reads only headers (ranged reads for objects).

Downloads and decrypted dumps go to one private temporary directory (0700,
files 0600) that is removed at exit: a decrypted dump is as sensitive as the
crash it holds.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import Dict, List

from ..config import is_remote
from ..dumpformat.dumpfile import SEALED_FORMAT, DumpError, expected_size, read_header
from .entries import SUFFIXES, Listed, first_line

_private: List[str] = []
_origins: Dict[str, str] = {}


def private_file(name: str, data: bytes) -> str:
    """Write ``data`` to a new file (0600) of this process's private temporary directory;
    its name ends with ``name``, so messages still say which dump it is."""
    if not _private:
        _private.append(tempfile.mkdtemp(prefix="pydumpling-open-"))
        atexit.register(shutil.rmtree, _private[0], True)
    fd, path = tempfile.mkstemp(suffix=f"-{os.path.basename(name)}", dir=_private[0])
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def fetch(location: str, identity: str | None = None) -> str:
    """The local path of the plain dump at ``location`` (a path or a URL).

    ``identity`` (else ``$PYDUMPLING_IDENTITY``) is the age identity file for
    an encrypted dump. Every failure is a ``DumpError`` with one line.
    """
    path = location
    if is_remote(location):
        from .fleet.objects import download

        path = private_file(location.rpartition("/")[2], download(location))
        _origins[path] = location
    if read_header(path)["format"] != SEALED_FORMAT:
        return path
    from ..dumpformat.sealed import unseal

    plain = unseal(path, identity or os.environ.get("PYDUMPLING_IDENTITY") or None)
    local = private_file(os.path.basename(location), plain)
    _origins[local] = location
    return local


def shown(message: str) -> str:
    """``message`` with each private copy's path replaced by the dump it came from, so
    that an error about a downloaded or decrypted dump names what the user gave."""
    for path, location in _origins.items():
        message = message.replace(path, location)
    return message


def listed(location: str) -> List[Listed]:
    """Every dump and fatal-error file in a directory or under a URL, headers only.

    A bad local directory raises ``OSError``; a bad URL raises ``DumpError``.
    """
    if is_remote(location):
        from .fleet.objects import listed as remote_listed

        return remote_listed(location)
    found = []
    with os.scandir(location) as entries:
        for item in entries:
            if not item.name.endswith(SUFFIXES) or item.name.startswith("."):
                continue  # hidden names are capture's temporary files
            try:
                if not item.is_file():
                    continue
                stat = item.stat()
            except OSError:
                continue  # removed while we looked
            found.append(Listed(item.path, stat.st_size, stat.st_mtime,
                                *_local_header(item.path)))
    return found


def _local_header(path: str) -> tuple:
    """``(header, expected size)`` as ``Listed`` holds them."""
    if path.endswith(".fatal"):
        try:
            with open(path, "rb") as fh:
                return first_line(fh.read(4096)), None
        except OSError as exc:
            return DumpError(f"{path}: {exc.strerror or exc}"), None
    try:
        return expected_size(path)
    except DumpError as exc:
        return exc, None
