"""Listen for an editor, admit one client, and run its session until it disconnects.

``evaluate`` runs Python, and a loopback port is reachable from every web
page in the user's browser, so a client is admitted only past three checks,
all made before any request but ``initialize`` is answered:

1. its bytes are DAP framing from the first byte on (``protocol.Reader``
   drops an HTTP request at its first byte);
2. its first request is ``initialize``;
3. its ``attach`` (or ``launch``) request carries the token printed at start
   (``--token`` or ``$PYDUMPLING_RDEBUG_TOKEN`` fix it), in the ``token``
   argument (launch.json: ``"token": "..."``); no other request is answered
   before that. Also on loopback, as for ``--rdebug``: another user of the
   machine can connect to a loopback port too.

A refused client is dropped with one line on stderr and the server keeps
listening, so a stray connection cannot deny the user the session. The first
admitted client gets the session; the listening socket is closed then, and
the process ends when that client disconnects or hangs up.
"""

from __future__ import annotations

import hmac
import socket
import time
from typing import Callable

from .protocol import BadMessage, Channel, ConnectionClosed, RequestError
from .session import Session

ADMIT_TIMEOUT = 10.0
"""Seconds a new connection has for each admission step: an idle socket must not
hold the port while the user's editor waits behind it."""


class DapError(Exception):
    """A setup problem to report in one line (port in use, no client in time)."""


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or DapError with the reason."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=4)
    except OSError as exc:
        raise DapError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _accept(server: socket.socket, deadline: float | None) -> socket.socket:
    server.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0.001))
    try:
        conn, _ = server.accept()
    except socket.timeout:
        raise DapError("no editor connected in time (--timeout)") from None
    return conn


def _admit(channel: Channel, session: Session, token: str) -> str | None:
    """Run the admission checks; return why the client is refused, or None."""
    request = channel.receive()
    if request.command != "initialize":
        channel.fail(request, "the first request must be 'initialize'")
        return f"its first request was {request.command!r}, not 'initialize'"
    session.handle(request, channel)
    request = channel.receive()
    try:
        given = request.arguments.text("token", "")
    except RequestError:
        given = ""
    if request.command not in ("attach", "launch") or not hmac.compare_digest(
            given.encode("utf-8", "replace"), token.encode()):
        channel.fail(request, "wrong or missing token: put the token printed by "
                              "pydumpling-open in the attach configuration as \"token\"")
        return "wrong or missing token"
    session.handle(request, channel)
    return None


def _run(channel: Channel, session: Session, announce: Callable[[str], None]) -> int:
    """Answer requests until the client disconnects (0) or breaks the protocol (1)."""
    while not session.finished:
        try:
            session.handle(channel.receive(), channel)
        except ConnectionClosed:
            return 0
        except BadMessage as exc:
            announce(f"closed the session: {exc}")
            return 1
    return 0


def serve(session: Session, host: str, port: int, token: str,
          timeout: float | None, announce: Callable[[str], None]) -> int:
    """Serve ``session`` to the first client admitted; return the exit status."""
    server = listen(host, port)
    try:
        bound_host, bound_port = server.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        announce(f"DAP server listening on {shown}:{bound_port}: attach VS Code or nvim-dap")
        announce(f"token: {token} (put it in the attach configuration as \"token\")")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            conn = _accept(server, deadline)
            channel = Channel(conn)
            conn.settimeout(ADMIT_TIMEOUT)
            try:
                refusal = _admit(channel, session, token)
            except (BadMessage, ConnectionClosed) as exc:
                refusal = str(exc)
            if refusal is None:
                break
            announce(f"dropped a client: {refusal}")
            conn.close()
    finally:
        server.close()
    conn.settimeout(None)
    with conn:
        return _run(channel, session, announce)
