"""Who may talk to a session the loader serves: the rules every server shares.

A debugging session runs any Python its client sends, as the user who opened
the dump. A port on loopback is not private: every local user can connect,
and so can every web page the user visits (a ``fetch`` to
``http://127.0.0.1:4444`` with ``mode: "no-cors"`` sends a request line,
headers and a body that pdb would read as commands). So every server of the
loader (``--rdebug``, and the editor protocol built on these functions)
follows one rule, on loopback too:

* it serves with a token, random unless the user chose one (``--token`` or
  ``PYDUMPLING_RDEBUG_TOKEN``), announced once to the user who started it;
* a client's first line must be that token. The line is read a byte at a time
  from the socket, so nothing past it is read; any other first line (an HTTP
  request line included), a line that is too long or slow, closes the
  connection before anything else is read or run;
* a non-loopback address is refused unless the user says ``--allow-remote``.

The comparison takes constant time and a wrong token closes the connection
without any hint, so a client learns nothing but "no". The server keeps
listening after a wrong token (a web page must not be able to end the user's
session), up to ``MAX_REFUSED`` refusals.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
import tempfile
import time
from typing import Callable, Tuple

TOKEN_ENV = "PYDUMPLING_RDEBUG_TOKEN"
TOKEN_TIMEOUT = 30.0
"""Seconds a client has to send its first line (a person may paste it into ``nc``)."""
MIN_TOKEN, MAX_TOKEN = 8, 200
MAX_REFUSED = 20
"""Connections with a wrong first line before the server gives up."""


class AuthError(Exception):
    """A setup problem to report in one line (bad token, refused host, timeout)."""


def new_token() -> str:
    """A random token: 32 hex digits, 128 bits (hex, so it never starts like an option)."""
    return secrets.token_hex(16)


def check_token(token: str) -> str:
    """``token`` if it can be sent as a line and is long enough to guess badly, else
    ``AuthError``."""
    if not MIN_TOKEN <= len(token) <= MAX_TOKEN or not token.isascii() \
            or not token.isprintable() or any(c.isspace() for c in token) \
            or token.startswith("-"):
        raise AuthError(f"a token must be {MIN_TOKEN} to {MAX_TOKEN} printable ASCII "
                        "characters, without spaces and not starting with '-'")
    return token


def choose_token(given: str | None = None) -> str:
    """The token a server uses: ``given``, else ``$PYDUMPLING_RDEBUG_TOKEN``, else random."""
    token = given if given is not None else os.environ.get(TOKEN_ENV) or None
    return new_token() if token is None else check_token(token)


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


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback ``host`` unless ``allow_remote``."""
    if not allow_remote and not is_loopback(host):
        raise AuthError(
            f"refusing --host {host}: not a loopback address, and the session runs any "
            "Python a client sends; add --allow-remote to serve it anyway (behind the token)"
        )


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` for one client at a time."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise AuthError(f"cannot resolve --host {host!r}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    server = socket.socket(family, kind, proto)
    try:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(address)
        server.listen(1)
    except OSError as exc:
        server.close()
        raise AuthError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return server


def listen_unix() -> Tuple[socket.socket, str]:
    """A Unix socket in a fresh 0700 directory: only this user can even reach it."""
    directory = tempfile.mkdtemp(prefix="pydumpling-")
    path = os.path.join(directory, "session.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        os.chmod(path, 0o600)
        server.listen(1)
    except OSError as exc:
        server.close()
        raise AuthError(f"cannot listen on {path}: {exc.strerror or exc}") from None
    return server, path


def remove_unix(path: str) -> None:
    """Remove what ``listen_unix`` created."""
    for remove in (os.unlink, os.rmdir):
        try:
            remove(path)
        except OSError:
            pass
        path = os.path.dirname(path)


def first_line(conn: socket.socket, limit: int = MAX_TOKEN + 2,
               timeout: float = TOKEN_TIMEOUT) -> bytes | None:
    """The client's first line, read one byte at a time so that nothing after it is
    consumed; None if it is longer than ``limit``, slower than ``timeout`` or cut off."""
    deadline = time.monotonic() + timeout
    line = b""
    try:
        while len(line) <= limit:
            conn.settimeout(max(deadline - time.monotonic(), 0.001))
            byte = conn.recv(1)
            if not byte:
                return None
            if byte == b"\n":
                return line[:-1] if line.endswith(b"\r") else line
            line += byte
    except OSError:  # timeout, reset
        return None
    finally:
        try:
            conn.settimeout(None)
        except OSError:
            pass
    return None


def authenticate(conn: socket.socket, token: str, timeout: float = TOKEN_TIMEOUT) -> bool:
    """True if the client's first line is ``token`` (compared in constant time)."""
    line = first_line(conn, timeout=timeout)
    return line is not None and hmac.compare_digest(line, token.encode("ascii"))


def accept(server: socket.socket, token: str, timeout: float | None,
           refused: Callable[[str], None]) -> Tuple[socket.socket, str]:
    """The first client that sends ``token``; every other one is closed at once.

    ``refused`` hears about each refused client (its address); raises ``AuthError``
    after ``timeout`` seconds without an authenticated client or ``MAX_REFUSED`` refusals.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    for _ in range(MAX_REFUSED):
        try:
            server.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0))
            conn, peer = server.accept()
        except (socket.timeout, BlockingIOError):
            raise AuthError(f"no client connected within {timeout:g} seconds") from None
        where = peer[0] if isinstance(peer, tuple) else "a local client"
        if authenticate(conn, token):
            return conn, where
        conn.close()
        refused(where)
    raise AuthError(f"gave up after {MAX_REFUSED} clients with a wrong token")
