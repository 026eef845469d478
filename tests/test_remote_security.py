"""``--rdebug`` as an attack surface (issue 9, item 1).

A session runs any Python its client sends, so who may send it is the whole
question. The attackers here are real: a local user with ``nc``, and a web
page's ``fetch`` (the exact bytes a browser sends for a ``no-cors`` POST).
Each attack carries a payload that would create a marker file if any of it
ran; the marker must never appear, the connection must close at once, and the
user's own client must still get the session afterwards.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from conftest import LIMIT_SECONDS, run_bounded
from test_remote import PROMPT, Server, answers, read_until


def payload(marker: Path) -> bytes:
    return f"!open({str(marker)!r}, 'w').write('ran')\nimport os; os.system('touch {marker}')\n" \
        .encode()


def browser_post(server: Server, body: bytes) -> bytes:
    """What ``fetch("http://127.0.0.1:PORT", {method: "POST", mode: "no-cors", body})``
    puts on the wire."""
    return (f"POST / HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            "Content-Type: text/plain;charset=UTF-8\r\nOrigin: https://evil.example\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode() + body


def refused_at_once(server: Server, data: bytes) -> float:
    """Send ``data`` as a client; return how long the server took to close on it."""
    started = time.monotonic()
    with server.connect() as conn:
        try:
            conn.sendall(data)
            rest = conn.recv(4096)
        except ConnectionResetError:  # closed with our bytes unread: a reset is a close too
            rest = b""
        assert rest == b"", rest  # nothing: no prompt, no hint
    return time.monotonic() - started


def finish_with_the_real_client(server: Server) -> None:
    """After the attacks, the user's own client still gets the session."""
    with server.login() as conn:
        conn.sendall(b"p a\n")
        assert answers(conn, 1) == [b"1"]
        conn.sendall(b"q\n")
    assert server.wait() == 0


def test_a_web_page_cannot_drive_the_session(readme_dump: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    server = Server(readme_dump)
    elapsed = refused_at_once(server, browser_post(server, payload(marker)))
    assert elapsed < LIMIT_SECONDS
    finish_with_the_real_client(server)
    assert not marker.exists()
    assert "refused 127.0.0.1: wrong token" in server.rest


@pytest.mark.parametrize("first", [b"not-the-token\n", b"\n", b"p a\n", b"x" * 5000,
                                   b"GET / HTTP/1.0\r\n\r\n"])
def test_any_other_first_line_closes_the_connection(readme_dump: Path, tmp_path: Path,
                                                     first: bytes) -> None:
    marker = tmp_path / "MARKER"
    server = Server(readme_dump)
    assert refused_at_once(server, first + payload(marker)) < LIMIT_SECONDS
    finish_with_the_real_client(server)
    assert not marker.exists()


def test_a_token_prefix_or_a_longer_line_is_wrong(readme_dump: Path) -> None:
    server = Server(readme_dump)
    for guess in (server.token[:-1], server.token + "x", server.token.upper() + "!", " "
                  + server.token):
        refused_at_once(server, guess.encode() + b"\np a\n")
    finish_with_the_real_client(server)


def test_the_token_is_random_per_run_even_on_loopback(readme_dump: Path) -> None:
    tokens = []
    for _ in range(2):
        server = Server(readme_dump)
        assert server.host == "127.0.0.1"
        tokens.append(server.token)
        server.connect().close()  # hang up before any line: refused, the server goes on
        finish_with_the_real_client(server)
    assert tokens[0] != tokens[1] and min(map(len, tokens)) >= 32


def test_a_chosen_token_and_bad_ones(readme_dump: Path) -> None:
    server = Server(readme_dump, "--token", "correct-horse-battery")
    assert server.token == "correct-horse-battery"
    refused_at_once(server, b"wrong-horse-battery\n")
    finish_with_the_real_client(server)
    for bad in ("short", "has space inside", "x" * 300, "caf\u00e9-latte-token",
                "-looks-like-an-option"):
        result = run_bounded(["-m", "pydumpling_hook", "--rdebug", "--port", "0", "--token", bad,
                              str(readme_dump)])
        assert result.one_error_line() and result.rc == 2, result
        assert "token" in result.stderr


def test_non_loopback_still_needs_allow_remote(readme_dump: Path) -> None:
    result = run_bounded(["-m", "pydumpling_hook", "--rdebug", "--host", "0.0.0.0", "--port",
                          "0", str(readme_dump)])
    assert result.one_error_line() and result.rc == 2, result
    assert "--allow-remote" in result.stderr


def test_allow_remote_binds_all_interfaces_behind_the_token(readme_dump: Path) -> None:
    server = Server(readme_dump, "--allow-remote", "--host", "0.0.0.0")
    assert server.host == "0.0.0.0"
    server.host = "127.0.0.1"
    refused_at_once(server, b"p a\n")
    finish_with_the_real_client(server)


def test_hang_up_mid_session(readme_dump: Path) -> None:
    server = Server(readme_dump)
    conn = server.login()
    conn.sendall(b"p b\n")
    assert answers(conn, 1) == [b"'2'"]
    conn.sendall(b"whe")  # half a command, then gone
    conn.close()
    assert server.wait() == 0


def test_a_slow_first_line_does_not_hold_the_server(readme_dump: Path) -> None:
    """A client that says nothing is dropped after the token timeout; a second client that
    connects meanwhile waits its turn and is served."""
    server = Server(readme_dump)
    silent = server.connect()
    waiting = server.connect()
    waiting.sendall(server.token.encode() + b"\n")
    silent.close()  # the server is reading from it: a close is an immediate refusal
    read_until(waiting, PROMPT)
    waiting.sendall(b"q\n")
    waiting.close()
    assert server.wait() == 0


def test_too_many_refusals_end_the_server(readme_dump: Path) -> None:
    server = Server(readme_dump)
    for _ in range(20):
        try:
            with socket.create_connection((server.host, server.port), timeout=5) as conn:
                conn.sendall(b"nope\n")
                conn.recv(1)
        except OSError:
            break
    assert server.wait() == 1
    assert "gave up after 20 clients with a wrong token" in server.rest
