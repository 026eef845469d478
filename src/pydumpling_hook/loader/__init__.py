"""Read a dump and replay it: ``load(path).debug("pdb")``; ``path`` may be a URL.

``load`` never executes code from the file unless ``trust=True``, which also
unpickles the originals section and puts the real objects in place of the safe
copies wherever that works.
"""

from __future__ import annotations

from ..dumpformat import packed, prewalk  # noqa: F401 - see below
from ..dumpformat.dumpfile import DumpError, read_body, read_header, read_originals
from .debuggers import DEBUGGERS, DebuggerUnavailable
from .dump import Dump, TargetNotFound, apply_originals
from .factories import factories
from .inputs import fetch

# ``dumpfile`` imports the pre-walk and the unpacking when it first reads a body,
# because a crashing process writes with it and never reads. Every ``load`` reads
# one, so the loader imports them with itself and its first load does not pay for them.

__all__ = ["DEBUGGERS", "DebuggerUnavailable", "Dump", "DumpError", "TargetNotFound", "load"]


def load(path: str, trust: bool = False, identity: str | None = None) -> Dump:
    """Load the dump at ``path``: a file or an fsspec URL; an encrypted dump needs the
    age ``identity`` file (else ``$PYDUMPLING_IDENTITY``). Any unreadable file raises
    ``DumpError`` with one line."""
    local = fetch(str(path), identity)
    header = read_header(local)
    body = read_body(local, classes=factories())
    try:
        dump = Dump(header, body, path=str(path))
    except Exception as exc:  # a body that unpickled but is not shaped like a dump
        raise DumpError(f"{path}: corrupt dump ({type(exc).__name__}: {exc})"[:300]) from None
    if trust:
        apply_originals(dump, read_originals(local))
    return dump
