"""A scripted DAP client, and ``pydumpling-open --dap`` in a subprocess to drive with it.

It speaks the protocol as an editor does (TCP, ``Content-Length`` framed
JSON, events interleaved with responses) with a timeout on every read, so a
server that hangs fails the test instead of blocking it. ``benchmarks/dap.py``
uses it too.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from conftest import clean_env

TIMEOUT = 60.0
LISTENING = re.compile(r"DAP server listening on \[?([^\]\s]+?)\]?:(\d+)")
VSCODE_INITIALIZE = {
    "clientID": "vscode", "clientName": "Visual Studio Code", "adapterID": "debugpy",
    "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
    "supportsVariableType": True, "supportsVariablePaging": True,
    "supportsRunInTerminalRequest": True, "locale": "en",
}


class Server:
    """``pydumpling-open DUMP --dap --port 0 ARGS`` and the address it printed."""

    def __init__(self, dump: Path, *args: str, timeout: float = 60) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pydumpling_hook", str(dump), "--dap", "--port", "0",
             "--timeout", str(timeout), *args],
            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.lines: List[str] = []
        line = self.read_line()
        match = LISTENING.search(line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"no listening line: {line!r} {self.proc.stderr.read()!r}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.token = re.search(r"token: (\S+)", self.read_line()).group(1)

    def read_line(self) -> str:
        line = self.proc.stderr.readline().decode()
        self.lines.append(line)
        return line

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=TIMEOUT)

    def client(self) -> Client:
        return Client(self.connect(), self.token)

    def wait(self) -> int:
        """The exit status; the server's remaining stderr goes to ``self.lines``."""
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        finally:
            self.lines += self.proc.stderr.read().decode().splitlines(True)
            self.proc.stdout.close()
            self.proc.stderr.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.wait()


class Client:
    """Sends requests and collects responses and events, in arrival order."""

    def __init__(self, conn: socket.socket, token: str | None = None) -> None:
        self.conn = conn
        self.token = token
        self.buffer = b""
        self.seq = 0
        self.events: List[Dict[str, Any]] = []

    def close(self) -> None:
        self.conn.close()

    def send_raw(self, data: bytes) -> None:
        self.conn.sendall(data)

    def send(self, command: str, arguments: dict | None = None) -> int:
        self.seq += 1
        message = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        data = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        return self.seq

    def _receive(self) -> Dict[str, Any] | None:
        """The next message, or None once the server has closed the connection."""
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(deadline):
                return None
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(re.match(rb"Content-Length: (\d+)", head).group(1))
        self.buffer = rest
        while len(self.buffer) < length:
            if not self._fill(deadline):
                raise AssertionError("the server closed in the middle of a message")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(body)

    def _fill(self, deadline: float) -> bool:
        assert time.monotonic() < deadline, "no message from the server in time"
        try:
            chunk = self.conn.recv(65536)
        except ConnectionResetError:
            return False
        self.buffer += chunk
        return bool(chunk)

    def response(self, seq: int) -> Dict[str, Any]:
        """The response to request ``seq``; events that come first are kept."""
        while True:
            message = self._receive()
            assert message is not None, f"the server closed before answering request {seq}"
            if message["type"] == "event":
                self.events.append(message)
            elif message["type"] == "response" and message["request_seq"] == seq:
                return message

    def request(self, command: str, arguments: dict | None = None) -> Dict[str, Any]:
        """Send a request; return the body of its successful response."""
        response = self.response(self.send(command, arguments))
        assert response["success"], response
        assert response["command"] == command
        return response.get("body", {})

    def error(self, command: str, arguments: dict | None = None) -> str:
        """Send a request that must fail; return its error message."""
        response = self.response(self.send(command, arguments))
        assert not response["success"], response
        return response["message"]

    def event(self, name: str) -> Dict[str, Any]:
        """The first event ``name`` received so far or next."""
        while True:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event.get("body", {})
            message = self._receive()
            assert message is not None, f"the server closed before sending {name!r}"
            if message["type"] == "event":
                self.events.append(message)

    def closed(self) -> bool:
        """True when the server closes the connection (reading at most until the timeout)."""
        return self._receive() is None

    def attach(self, **extra: Any) -> Dict[str, Any]:
        """VS Code's attach flow up to the ``stopped`` event; return that event's body."""
        capabilities = self.request("initialize", VSCODE_INITIALIZE)
        assert capabilities["supportsConfigurationDoneRequest"]
        self.request("attach", {"type": "debugpy", "request": "attach", "name": "Open crash dump",
                                "connect": {"host": "127.0.0.1", "port": 5678},
                                "justMyCode": True,
                                **({"token": self.token} if self.token else {}), **extra})
        self.event("initialized")
        self.request("setExceptionBreakpoints", {"filters": []})
        self.request("configurationDone")
        return self.event("stopped")
