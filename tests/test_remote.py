"""``--rdebug`` and ``--connect``: one pdb session over a socket, behind a token.

The security contract (wrong tokens, web pages, other users) is pinned down in
``test_remote_security.py``; here the session itself works.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import clean_env, run_python

PROMPT = b"(Pdb) "
ANNOUNCE = re.compile(r"pdb listening on (?:unix:(\S+)|(\S+):(\d+)) with token (\S+) "
                      r"\(connect: pydumpling-open --connect \S+ --token \S+\)")


class Server:
    """``python -m pydumpling_hook --rdebug --port 0 DUMP`` in a subprocess, and where it
    listens (the predecessor's form, which follows the same rules)."""

    def __init__(self, dump: Path, *args: str, env: dict | None = None,
                 cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pydumpling_hook", "--rdebug", "--port", "0",
             "--timeout", "30", *args, str(dump)],
            env=env or clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
        )
        self.line = self.proc.stderr.readline().decode()
        match = ANNOUNCE.search(self.line)
        assert match, self.line
        self.unix, self.host, port, self.token = match.groups()
        self.port = int(port) if port else None
        self.address = f"unix:{self.unix}" if self.unix else f"{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        if self.unix:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(30)
            conn.connect(self.unix)
            return conn
        return socket.create_connection((self.host, self.port), timeout=30)

    def login(self) -> socket.socket:
        """A client that sent the token and got the first prompt."""
        conn = self.connect()
        conn.sendall(self.token.encode() + b"\n")
        self.greeting = read_until(conn, PROMPT)
        return conn

    def wait(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.rest = self.proc.stderr.read().decode()
            self.proc.stdout.close()
            self.proc.stderr.close()
            assert "Traceback" not in self.rest, self.rest


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


def answers(conn: socket.socket, count: int) -> list:
    """The output of the next ``count`` commands, one per prompt."""
    data = b""
    while data.count(PROMPT) < count:
        chunk = conn.recv(4096)
        assert chunk, data
        data += chunk
    return [part.strip() for part in data.split(PROMPT)[:count]]


def test_session_p_a_then_quit(readme_dump: Path) -> None:
    server = Server(readme_dump)
    with server.login() as conn:
        assert b"c = a + b" in server.greeting or b"inner()" in server.greeting
        conn.sendall(b"p a\n")
        assert answers(conn, 1) == [b"1"]
        conn.sendall(b"up\n")
        read_until(conn, PROMPT)
        conn.sendall(b"p d\n")
        assert answers(conn, 1) == [b"4"]
        conn.sendall(b"q\n")
        read_until(conn, b"\x00")  # until the server closes
    assert server.wait() == 0


def test_commands_sent_together_are_all_answered(readme_dump: Path) -> None:
    """The old stream dropped read-ahead input whenever pdb wrote: only ``p a`` came back."""
    server = Server(readme_dump)
    with server.login() as conn:
        conn.sendall(b"p a\np b\np a + 41\np 'x' * 3\n")
        assert answers(conn, 4) == [b"1", b"'2'", b"42", b"'xxx'"]
        conn.sendall(b"q\n")
    assert server.wait() == 0


def test_disconnect_ends_the_server(readme_dump: Path) -> None:
    server = Server(readme_dump)
    server.login().close()
    assert server.wait() == 0


def test_only_one_client(readme_dump: Path) -> None:
    server = Server(readme_dump)
    with server.login() as conn:
        with pytest.raises(OSError):
            socket.create_connection((server.host, server.port), timeout=5).recv(1)
        conn.sendall(b"q\n")
    assert server.wait() == 0


def test_timeout_without_client(readme_dump: Path) -> None:
    result = run_python(["-m", "pydumpling_hook", "--rdebug", "--port", "0", "--timeout", "0.5",
                         str(readme_dump)])
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert ANNOUNCE.search(lines[0]) and len(lines) == 2, lines
    assert lines[1] == "pydumpling-open: error: no client connected within 0.5 seconds"


def test_connect_is_a_one_command_client(readme_dump: Path) -> None:
    server = Server(readme_dump)
    client = run_python(["-m", "pydumpling_hook", "--connect", server.address, "--token",
                         server.token], input="p a\np b\nq\n")
    assert client.returncode == 0, client.stderr
    assert "c = a + b" in client.stdout or "inner()" in client.stdout
    assert "(Pdb) 1\n(Pdb) '2'" in client.stdout
    assert server.wait() == 0


def test_connect_takes_the_token_from_the_environment(readme_dump: Path) -> None:
    token = "a-token-from-the-environment"
    server = Server(readme_dump, env=clean_env(PYDUMPLING_RDEBUG_TOKEN=token))
    assert server.token == token
    client = run_python(["-m", "pydumpling_hook", "--connect", server.address],
                        env=clean_env(PYDUMPLING_RDEBUG_TOKEN=token), input="p a\nq\n")
    assert client.returncode == 0 and "(Pdb) 1\n" in client.stdout, client.stderr
    assert server.wait() == 0


def test_connect_without_a_token_or_a_server_is_one_line() -> None:
    for args in (["--connect", "127.0.0.1:9"], ["--connect", "nowhere", "--token", "x" * 12],
                 ["--connect", "127.0.0.1:9", "--token", "x" * 12]):
        result = run_python(["-m", "pydumpling_hook", *args])
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_unix_socket_in_a_private_directory(readme_dump: Path) -> None:
    server = Server(readme_dump, "--unix")
    directory = os.path.dirname(server.unix)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(server.unix).st_mode)
    client = run_python(["-m", "pydumpling_hook", "--connect", server.address, "--token",
                         server.token], input="p a\nq\n")
    assert client.returncode == 0 and "(Pdb) 1\n" in client.stdout, client.stderr
    assert server.wait() == 0
    assert not os.path.exists(directory)
