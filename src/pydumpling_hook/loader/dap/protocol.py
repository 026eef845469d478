"""DAP wire format: ``Content-Length`` framing, typed requests and arguments, responses.

A loopback port is reachable from any web page the user has open, and an
HTTP request can carry a body that a lax parser would take for a DAP message.
So the framing is strict and is checked byte by byte as data arrives: the
first bytes of every message must be ``Content-Length: N\\r\\n``, and a
connection that sends anything else (``GET / HTTP/1.1``, ``POST ...``) is
dropped at the first byte that differs, before any JSON is parsed. Sizes are
bounded everywhere, so a client can neither make the server allocate nor keep
it reading forever.

Two kinds of failure: ``BadMessage`` (the stream cannot be trusted any more:
bad framing, bad JSON, not a request) closes the connection; ``RequestError``
(a well-formed request with bad arguments, or one the session refuses) becomes
an error response, and the session goes on.
"""

from __future__ import annotations

import json
import socket
from typing import Any, Dict, Mapping

HEADER_NAME = b"Content-Length:"
MAX_BODY = 4 << 20
"""Largest message a client may send: requests are small (an evaluate, a breakpoint list)."""
MAX_HEADER_LINE = 200
MAX_HEADERS = 8
MAX_ID = 2**31 - 1
"""Largest id or count sent to or read from a client: some clients keep them in int32."""
MAX_TEXT = 1 << 20
"""Longest string argument read (an expression, a path)."""


class BadMessage(Exception):
    """The byte stream is not DAP: the connection is closed. The message is one line."""


class ConnectionClosed(Exception):
    """The client hung up between messages."""


class RequestError(Exception):
    """A request that gets an error response; the text is shown to the user."""


class Reader:
    """Reads framed messages from a socket, never more than one message's bounds at a time."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buffer = bytearray()

    def _fill(self, at_boundary: bool = False) -> None:
        try:
            chunk = self._conn.recv(65536)
        except socket.timeout:
            raise BadMessage("the client sent nothing in time") from None
        except OSError as exc:
            raise ConnectionClosed(str(exc)) from None
        if not chunk:
            if at_boundary and not self._buffer:
                raise ConnectionClosed("the client hung up")
            raise BadMessage("the client hung up in the middle of a message")
        self._buffer += chunk

    def _expect_name(self) -> None:
        """Check the header name as bytes arrive: an HTTP request fails at its first byte."""
        first = True
        while True:
            have = bytes(self._buffer[: len(HEADER_NAME)])
            if not HEADER_NAME.startswith(have):
                raise BadMessage(f"not a DAP message (it starts with {have[:20]!r})")
            if len(have) == len(HEADER_NAME):
                return
            self._fill(at_boundary=first)
            first = False

    def _line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            if len(self._buffer) > MAX_HEADER_LINE:
                raise BadMessage("a header line is too long")
            self._fill()

    def read(self) -> bytes:
        """The body of the next message. Raises BadMessage or ConnectionClosed."""
        self._expect_name()
        value = self._line()[len(HEADER_NAME):].strip()
        if not value.isdigit() or len(value) > 9 or int(value) > MAX_BODY:
            raise BadMessage(f"bad Content-Length {value[:20]!r} (at most {MAX_BODY} bytes)")
        length = int(value)
        for _ in range(MAX_HEADERS):
            if not self._line():
                break
        else:
            raise BadMessage("too many header lines")
        while len(self._buffer) < length:
            self._fill()
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body


class Arguments:
    """A request's ``arguments``, read through typed getters that refuse bad values.

    Every value a handler uses passes through here, so a client that sends a
    string for an id or a huge number gets an error response, not a traceback.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def _get(self, name: str, default: Any, kinds: tuple, what: str) -> Any:
        value = self._data.get(name)
        if value is None:  # absent, or null: both mean "not given"
            if default is None:
                raise RequestError(f"argument '{name}' is missing")
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise RequestError(f"argument '{name}' must be {what}")
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self._get(name, default, (int,), "an integer")
        if not 0 <= value <= MAX_ID:
            raise RequestError(f"argument '{name}' must be between 0 and {MAX_ID}")
        return value

    def text(self, name: str, default: str | None = None) -> str:
        value = self._get(name, default, (str,), "a string")
        if len(value) > MAX_TEXT:
            raise RequestError(f"argument '{name}' is too long")
        return value

    def flag(self, name: str, default: bool) -> bool:
        return self._get(name, default, (bool,), "true or false")

    def sequence(self, name: str) -> list:
        """A list argument (e.g. ``breakpoints``); absent reads as empty."""
        return self._get(name, [], (list,), "a list")

    def section(self, name: str) -> Arguments:
        """A nested object (e.g. ``source`` or ``format``); absent reads as empty."""
        return Arguments(self._get(name, {}, (dict,), "an object"))


class Request:
    """One client request: ``seq``, ``command`` and typed ``arguments``."""

    __slots__ = ("seq", "command", "arguments")

    def __init__(self, seq: int, command: str, arguments: Arguments) -> None:
        self.seq = seq
        self.command = command
        self.arguments = arguments


def parse_request(body: bytes) -> Request:
    """Decode one message body. Anything but a well-formed request is a BadMessage."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadMessage("a message is not UTF-8 JSON") from None
    if not isinstance(data, dict) or data.get("type") != "request":
        raise BadMessage("a message is not a DAP request")
    seq, command = data.get("seq"), data.get("command")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_ID:
        raise BadMessage("a request has no valid 'seq'")
    if not isinstance(command, str) or not command or len(command) > 100:
        raise BadMessage("a request has no valid 'command'")
    arguments = data.get("arguments", {})
    return Request(seq, command, Arguments(arguments if isinstance(arguments, dict) else {}))


class Channel:
    """A connection: reads requests, writes responses and events with their own ``seq``."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.reader = Reader(conn)
        self._seq = 0

    def receive(self) -> Request:
        return parse_request(self.reader.read())

    def _send(self, message: Dict[str, Any]) -> None:
        self._seq += 1
        message["seq"] = self._seq
        # ASCII: a lone surrogate from a dump travels as an escape, never as invalid UTF-8
        data = json.dumps(message, separators=(",", ":"), default=str).encode("ascii")
        try:
            self.conn.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        except OSError as exc:
            raise ConnectionClosed(str(exc)) from None

    def respond(self, request: Request, body: Dict[str, Any] | None = None) -> None:
        message = {"type": "response", "request_seq": request.seq, "success": True,
                   "command": request.command}
        if body is not None:
            message["body"] = body
        self._send(message)

    def fail(self, request: Request, text: str) -> None:
        self._send({"type": "response", "request_seq": request.seq, "success": False,
                    "command": request.command, "message": text})

    def event(self, name: str, body: Dict[str, Any] | None = None) -> None:
        message: Dict[str, Any] = {"type": "event", "event": name}
        if body is not None:
            message["body"] = body
        self._send(message)
