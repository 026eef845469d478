"""``--rdebug``: one pdb session over TCP, for a dump on a machine without a terminal.

The design follows remote-pdb: listen, accept exactly one client, hand pdb a
text stream on the socket as stdin/stdout, and stop when pdb stops (``q``,
``c`` or the client hanging up, which pdb reads as EOF). The listening socket
is closed as soon as the client is accepted, so a second client is refused.

The session executes any Python the client types, so the server binds
loopback by default and refuses any other address without ``--allow-remote``.
With ``--allow-remote`` it also prints a random token and drops a client whose
first line is not that token, before pdb starts: the port alone is not a secret.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import secrets
import socket
from typing import IO, Any, Callable

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4444
TOKEN_TIMEOUT = 30.0
"""Seconds a client has to send the token before it is dropped."""


class RemoteError(Exception):
    """A setup problem to report in one line (bad address, refused host, timeout)."""


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(info[4][0].split("%", 1)[0]).is_loopback for info in infos
    )


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RemoteError(f"cannot resolve --host {host!r}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    server = socket.socket(family, kind, proto)
    try:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(address)
        server.listen(1)
    except OSError as exc:
        server.close()
        raise RemoteError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return server


def _stream(conn: socket.socket) -> IO[str]:
    """A line-buffered text stream on ``conn``, what pdb needs as stdin and stdout."""
    raw = conn.makefile("rwb", buffering=0)
    buffered = io.BufferedRWPair(raw, raw)
    return io.TextIOWrapper(
        buffered, encoding="utf-8", errors="replace", newline=None, line_buffering=True
    )


def _check_token(conn: socket.socket, stream: IO[str], token: str) -> bool:
    """Read the first line from ``stream`` within TOKEN_TIMEOUT and compare it to ``token``."""
    conn.settimeout(TOKEN_TIMEOUT)
    try:
        line = stream.readline(1024)
    except (OSError, UnicodeError):
        return False
    finally:
        conn.settimeout(None)
    return hmac.compare_digest(line.strip().encode("utf-8", "replace"), token.encode())


def serve(
    session: Callable[[IO[str], IO[str]], None],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout: float | None = None,
    allow_remote: bool = False,
    announce: Callable[[str], None] = print,
) -> int:
    """Run ``session(stdin, stdout)`` for the first client to connect; return an exit code.

    ``announce`` receives the lines a user must see (where to connect, the token).
    Raises RemoteError for a refused host, a bind failure or ``timeout``.
    """
    if not allow_remote and not is_loopback(host):
        raise RemoteError(
            f"refusing to serve on non-loopback address {host!r}: the session runs "
            "any Python a client sends; add --allow-remote to do it anyway"
        )
    token = secrets.token_urlsafe(16) if allow_remote else None
    server = _listen(host, port)
    try:
        bound_host, bound_port = server.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        announce(
            f"pdb listening on {shown}:{bound_port} "
            f"(connect with: nc {bound_host} {bound_port})"
        )
        if token:
            announce(f"token: {token} (send it as the first line after connecting)")
        server.settimeout(timeout)
        try:
            conn, peer = server.accept()
        except socket.timeout:
            raise RemoteError(f"no client connected within {timeout:g} seconds") from None
    finally:
        server.close()
    with conn:
        stream = _stream(conn)
        if token and not _check_token(conn, stream, token):
            try:
                conn.sendall(b"pydumpling-open: wrong token\n")
            except OSError:
                pass
            announce(f"dropped {peer[0]}: wrong token")
            return 1
        try:
            session(stream, stream)
        except (BrokenPipeError, ConnectionError):
            pass  # the client hung up: that ends the session like "q"
        finally:
            try:
                stream.close()
            except OSError:
                pass
    return 0


def pdb_session(
    dump: Any,
    stdin: IO[str],
    stdout: IO[str],
    thread: str | None = None,
    exception_path: str | None = None,
) -> None:
    """Post-mortem pdb on ``dump`` talking over ``stdin``/``stdout`` instead of the terminal."""
    dump.debug("pdb", thread=thread, exception_path=exception_path, stdin=stdin, stdout=stdout)
