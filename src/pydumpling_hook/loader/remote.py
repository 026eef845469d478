"""``--rdebug`` and ``--connect``: one pdb session over a socket, behind a token.

The server follows remote-pdb: listen, accept one client, hand pdb text
streams on the socket as stdin and stdout, and stop when pdb stops (``q``,
``c`` or the client hanging up, which pdb reads as EOF). Who may connect is
decided by ``auth``: a token always, also on loopback, as the client's first
line. A TCP port on loopback (the default) or, with ``--unix``, a Unix
socket in a 0700 directory.

The streams are two text wrappers, one for reading and one for writing. A
single wrapper over a read/write pair throws away input it has read ahead
whenever it writes, so commands sent together (``p a`` and ``p b`` in one
packet) were lost as soon as pdb printed the answer to the first.

``connect`` is the matching client: it sends the token, then relays the
terminal to the socket and back.
"""

from __future__ import annotations

import io
import os
import socket
import sys
import threading
from typing import IO, Any, Callable

from . import auth

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4444


class RemoteError(Exception):
    """A setup problem to report in one line (bad address, refused host, timeout)."""


def _streams(conn: socket.socket) -> tuple[IO[str], IO[str]]:
    """A reader and a line-buffered writer on ``conn``, what pdb needs as stdin and stdout."""
    reader = io.TextIOWrapper(conn.makefile("rb"), encoding="utf-8", errors="replace",
                              newline=None)
    writer = io.TextIOWrapper(conn.makefile("wb"), encoding="utf-8", errors="replace",
                              line_buffering=True)
    return reader, writer


def _address(server: socket.socket, unix_path: str | None) -> str:
    if unix_path:
        return f"unix:{unix_path}"
    host, port = server.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(
    session: Callable[[IO[str], IO[str]], None],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    timeout: float | None = None,
    allow_remote: bool = False,
    unix: bool = False,
    announce: Callable[[str], None] = print,
) -> int:
    """Run ``session(stdin, stdout)`` for the first client that sends the token.

    ``announce`` receives the one line a user must see (where to connect, with
    which token) and a line per refused client. Raises RemoteError for a
    refused host, a bad token, a bind failure or ``timeout``.
    """
    try:
        token = auth.choose_token(token)
        if unix:
            server, unix_path = auth.listen_unix()
        else:
            auth.check_host(host, allow_remote)
            server, unix_path = auth.listen(host, port), None
    except auth.AuthError as exc:
        raise RemoteError(str(exc)) from None
    try:
        where = _address(server, unix_path)
        announce(f"pdb listening on {where} with token {token} "
                 f"(connect: pydumpling-open --connect {where} --token {token})")
        conn, _peer = auth.accept(server, token, timeout,
                                  lambda peer: announce(f"refused {peer}: wrong token"))
    except auth.AuthError as exc:
        raise RemoteError(str(exc)) from None
    finally:
        server.close()
        if unix_path:
            auth.remove_unix(unix_path)
    with conn:
        reader, writer = _streams(conn)
        try:
            session(reader, writer)
        except (BrokenPipeError, ConnectionError):
            pass  # the client hung up: that ends the session like "q"
        finally:
            for stream in (writer, reader):
                try:
                    stream.close()
                except OSError:
                    pass
    return 0


def pdb_session(dump: Any, stdin: IO[str], stdout: IO[str], **options: Any) -> None:
    """Post-mortem pdb on ``dump`` talking over ``stdin``/``stdout`` instead of the terminal;
    ``options`` as for ``Dump.debug``."""
    dump.debug("pdb", stdin=stdin, stdout=stdout, **options)


def _open(address: str) -> socket.socket:
    if address.startswith("unix:"):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(address[len("unix:"):])
        except OSError as exc:
            conn.close()
            raise RemoteError(f"cannot connect to {address}: {exc.strerror or exc}") from None
        return conn
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise RemoteError(f"--connect takes HOST:PORT or unix:PATH, not {address!r}")
    try:
        return socket.create_connection((host.strip("[]"), int(port)), timeout=30)
    except OSError as exc:
        raise RemoteError(f"cannot connect to {address}: {exc.strerror or exc}") from None


def connect(address: str, token: str | None, stdin: IO[bytes] | None = None,
            stdout: IO[bytes] | None = None) -> int:
    """The client of ``--rdebug``: send the token, then relay ``stdin`` to the session
    and its output to ``stdout`` until the server ends it. Returns an exit status."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    token = token if token is not None else os.environ.get(auth.TOKEN_ENV)
    if not token:
        raise RemoteError(f"--connect needs the token the server printed: --token T or "
                          f"${auth.TOKEN_ENV}")
    try:
        auth.check_token(token)
    except auth.AuthError as exc:
        raise RemoteError(str(exc)) from None
    conn = _open(address)
    conn.settimeout(None)

    def forward() -> None:
        try:
            for line in iter(stdin.readline, b""):
                conn.sendall(line)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the session ended first

    with conn:
        conn.sendall(token.encode("ascii") + b"\n")
        threading.Thread(target=forward, daemon=True).start()
        received = False
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            received = True
            stdout.write(data)
            stdout.flush()
    if not received:
        raise RemoteError(f"{address} closed the connection: wrong token, or not a session")
    return 0
