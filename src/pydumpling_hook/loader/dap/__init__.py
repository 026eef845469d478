"""``pydumpling-open --dap``: a dump in VS Code, nvim-dap or any Debug Adapter Protocol client.

A small read-only DAP server of our own, not debugpy, because:

* the security checks (DAP framing from the first byte, ``initialize``
  first, the token in ``attach``) must run before any request is answered,
  and a stock debugpy listener has no place to put them;
* a dump never runs, so most of a live adapter (stepping, breakpoints,
  threads that move) has nothing to do, and presenting rebuilt frames as a
  paused live program would mean starting pydevd's tracing machinery for a
  program that does not exist;
* the loader stays free of a large dependency, and the values keep their own
  presentation (cuts, redactions, snapshots of the application's types).

Modules, one job each: ``protocol`` (framing, typed requests), ``server``
(listening and admission), ``session`` (one handler per request),
``targets`` (the DAP threads: exceptions of the chain, captured threads),
``views`` and ``variables`` (values as variables), ``sources``, ``details``
(exceptionInfo) and ``evaluate``. Nothing here is imported unless ``--dap``
runs.
"""

from __future__ import annotations

from typing import Callable

from ..dump import Dump
from .server import DapError, serve
from .session import Session

__all__ = ["DEFAULT_PORT", "DapError", "serve_dump"]

DEFAULT_PORT = 5678
"""debugpy's port, so that a stock VS Code attach configuration works unchanged."""


def serve_dump(dump: Dump, host: str, port: int, token: str, timeout: float | None = None,
               announce: Callable[[str], None] = print) -> int:
    """Serve ``dump`` to one DAP client, which must send ``token`` in its attach request;
    return the exit status.

    Everything that can fail with the dump fails here, before anything listens.
    """
    return serve(Session(dump), host, port, token, timeout, announce)
