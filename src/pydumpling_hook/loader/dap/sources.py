"""DAP ``Source`` objects: the file on disk when it is the code that crashed, else the dump's copy.

An editor shows a frame's line in whatever file the path names, so a file
that was edited since the crash would put the arrow on the wrong code. Each
file is therefore compared with the source embedded in the dump; when it is
missing or differs, the frame gets a ``sourceReference`` and the editor asks
for the embedded text with a ``source`` request instead.

File names come from the dump, so a file is read only when it is a regular
file of at most ``MAX_COMPARE`` bytes (a name like ``/dev/zero`` or a FIFO
must not block the session), and a ``source`` request serves only the dump's
own sources, never an arbitrary path.
"""

from __future__ import annotations

import io
import os
import stat
import tokenize
from typing import Any, Dict, List, Mapping

from .protocol import RequestError

MAX_COMPARE = 16 << 20
"""Largest file on disk compared with the embedded source (capture keeps at most 2 MiB)."""


def _normalized(text: str) -> str:
    return io.StringIO(text, newline=None).read()


def _disk_text(path: str) -> str | None:
    """The file's text as Python would decode it, or None if it is not a readable small file."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_COMPARE:
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_COMPARE + 1)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding, "replace")
    except (OSError, SyntaxError, LookupError, ValueError):
        return None


class Sources:
    """The Source of each file name, decided once, and the texts behind the references."""

    def __init__(self, embedded: Mapping[Any, Any]) -> None:
        self._embedded = {k: v for k, v in embedded.items()
                          if isinstance(k, str) and isinstance(v, str)}
        self._sources: Dict[str, Dict[str, Any]] = {}
        self._texts: List[str] = []
        self._lines: Dict[str, List[str]] = {}

    def source(self, filename: str) -> Dict[str, Any]:
        """The DAP Source for ``filename``, with a ``sourceReference`` when the disk lies."""
        known = self._sources.get(filename)
        if known is not None:
            return known
        pseudo = filename.startswith("<") and filename.endswith(">")
        out: Dict[str, Any] = {"name": os.path.basename(filename) or filename}
        if not pseudo:
            out["path"] = filename
        text = self._embedded.get(filename)
        on_disk = None if pseudo else _disk_text(filename)
        if text is not None and (on_disk is None or _normalized(on_disk) != _normalized(text)):
            self._texts.append(text)
            out["sourceReference"] = len(self._texts)
            out["origin"] = ("the crash dump (the file is missing here)" if on_disk is None
                             else "the crash dump (the file here has changed)")
        elif text is None and on_disk is None:
            out["presentationHint"] = "deemphasize"
            out["origin"] = "not in the dump, and not on this machine"
        self._sources[filename] = out
        return out

    def text(self, reference: int) -> str:
        """The embedded text behind ``reference`` (from a ``source`` request)."""
        if not 0 < reference <= len(self._texts):
            raise RequestError(f"no source with reference {reference}")
        return self._texts[reference - 1]

    def line(self, filename: str, lineno: int) -> str | None:
        """Line ``lineno`` of the embedded source, to turn byte columns into characters."""
        lines = self._lines.get(filename)
        if lines is None:
            lines = self._lines[filename] = self._embedded.get(filename, "").splitlines()
        return lines[lineno - 1] if 0 < lineno <= len(lines) else None

    def text_of_path(self, path: str) -> str:
        """A ``source`` request by path: only a file the dump holds is served."""
        text = self._embedded.get(path)
        if text is None:
            raise RequestError(f"the dump holds no source for {path}")
        return text
