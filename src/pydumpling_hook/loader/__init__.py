"""Read a dump and replay it: ``load(path).debug("pdb")``.

``load`` never executes code from the file unless ``trust=True``, which also
unpickles the originals section and puts the real objects in place of the safe
copies wherever that works.
"""

from __future__ import annotations

from ..dumpformat.dumpfile import DumpError, read_body, read_header, read_originals
from .debuggers import DEBUGGERS, DebuggerUnavailable
from .dump import Dump, TargetNotFound, apply_originals
from .factories import factories

__all__ = ["DEBUGGERS", "DebuggerUnavailable", "Dump", "DumpError", "TargetNotFound", "load"]


def load(path: str, trust: bool = False) -> Dump:
    """Load the dump at ``path``. Any unreadable file raises ``DumpError`` with one line."""
    header = read_header(path)
    body = read_body(path, classes=factories())
    try:
        dump = Dump(header, body, path=str(path))
    except Exception as exc:  # a body that unpickled but is not shaped like a dump
        raise DumpError(f"{path}: corrupt dump ({type(exc).__name__}: {exc})"[:300]) from None
    if trust:
        apply_originals(dump, read_originals(path))
    return dump
