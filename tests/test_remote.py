"""``--rdebug``: one pdb session over TCP, loopback by default, token with --allow-remote."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import clean_env, run_python

PROMPT = b"(Pdb) "


class Server:
    """``pydumpling-open --rdebug --port 0`` in a subprocess, and where it listens."""

    def __init__(self, dump: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pydumpling_hook", "--rdebug", "--port", "0",
             "--timeout", "30", *args, str(dump)],
            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        line = self.proc.stderr.readline().decode()
        match = re.search(r"pdb listening on (\S+):(\d+) \(connect with: nc \S+ \d+\)", line)
        assert match, line
        self.host, self.port = match.group(1), int(match.group(2))
        self.token = None
        if "--allow-remote" in args:
            token_line = self.proc.stderr.readline().decode()
            self.token = re.search(r"token: (\S+)", token_line).group(1)

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=30)

    def wait(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


def read_until(conn: socket.socket, marker: bytes) -> bytes:
    data = b""
    deadline = time.monotonic() + 30
    while marker not in data:
        assert time.monotonic() < deadline, data
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_session_p_a_then_quit(readme_dump: Path) -> None:
    server = Server(readme_dump)
    with server.connect() as conn:
        greeting = read_until(conn, PROMPT)
        assert b"c = a + b" in greeting or b"inner()" in greeting
        conn.sendall(b"p a\n")
        assert read_until(conn, PROMPT).splitlines()[0].strip() == b"1"
        conn.sendall(b"up\n")
        read_until(conn, PROMPT)
        conn.sendall(b"p d\n")
        assert read_until(conn, PROMPT).splitlines()[0].strip() == b"4"
        conn.sendall(b"q\n")
        read_until(conn, b"\x00")  # until the server closes
    assert server.wait() == 0


def test_disconnect_ends_the_server(readme_dump: Path) -> None:
    server = Server(readme_dump)
    with server.connect() as conn:
        read_until(conn, PROMPT)
    assert server.wait() == 0


def test_only_one_client(readme_dump: Path) -> None:
    server = Server(readme_dump)
    with server.connect() as conn:
        read_until(conn, PROMPT)
        with pytest.raises(OSError):
            socket.create_connection((server.host, server.port), timeout=5).recv(1)
        conn.sendall(b"q\n")
    assert server.wait() == 0


def test_non_loopback_host_is_refused(readme_dump: Path) -> None:
    result = run_python(["-m", "pydumpling_hook", "--rdebug", "--host", "0.0.0.0", "--port", "0",
                         str(readme_dump)])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr


def test_token_required_with_allow_remote(readme_dump: Path) -> None:
    server = Server(readme_dump, "--allow-remote", "--host", "127.0.0.1")
    with server.connect() as conn:
        conn.sendall(b"not-the-token\n")
        assert b"wrong token" in read_until(conn, b"\n")
        assert PROMPT not in conn.recv(4096)
    assert server.wait() == 1

    server = Server(readme_dump, "--allow-remote", "--host", "127.0.0.1")
    with server.connect() as conn:
        conn.sendall(server.token.encode() + b"\n")
        read_until(conn, PROMPT)
        conn.sendall(b"p b\n")
        assert read_until(conn, PROMPT).splitlines()[0].strip() == b"'2'"
        conn.sendall(b"q\n")
    assert server.wait() == 0


def test_timeout_without_client(readme_dump: Path) -> None:
    result = run_python(["-m", "pydumpling_hook", "--rdebug", "--port", "0", "--timeout", "0.5",
                         str(readme_dump)])
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("pydumpling-open: pdb listening on 127.0.0.1:")
    assert lines[1] == "pydumpling-open: error: no client connected within 0.5 seconds"
