"""``--rdebug`` as an attack surface: what ``tests/test_remote.py`` does not already pin down.

That file covers loopback refusal, a wrong token, one client and a plain
disconnect. Here: the token really is per-run and only exists with
``--allow-remote``, the remote bind itself works behind the token, and a client
that hangs up at any point (before the token, mid-session) ends the server
cleanly, with no traceback.
"""

from __future__ import annotations

from pathlib import Path

from test_remote import PROMPT, Server, read_until


def finish(server: Server) -> str:
    """Wait for the server; return its remaining stderr, which must hold no traceback."""
    server.wait_code = server.proc.wait(timeout=30)
    rest = server.proc.stderr.read().decode()
    server.proc.stdout.close()
    server.proc.stderr.close()
    assert "Traceback" not in rest, rest
    return rest


def test_token_is_random_and_only_with_allow_remote(readme_dump: Path) -> None:
    tokens = []
    for _ in range(2):
        server = Server(readme_dump, "--allow-remote")
        tokens.append(server.token)
        with server.connect() as conn:
            conn.sendall(b"\n")  # an empty first line is a wrong token too
            assert b"wrong token" in read_until(conn, b"\n")
        finish(server)
        assert server.wait_code == 1
    assert tokens[0] != tokens[1] and min(map(len, tokens)) >= 16
    plain = Server(readme_dump)
    assert plain.token is None
    with plain.connect() as conn:
        read_until(conn, PROMPT)  # no token asked for on loopback without --allow-remote
        conn.sendall(b"q\n")
    assert "token" not in finish(plain)


def test_allow_remote_binds_all_interfaces_behind_the_token(readme_dump: Path) -> None:
    server = Server(readme_dump, "--allow-remote", "--host", "0.0.0.0")
    assert server.host == "0.0.0.0"
    server.host = "127.0.0.1"
    with server.connect() as conn:
        conn.sendall(b"p a\n")  # pdb commands before the token are not obeyed
        data = read_until(conn, b"\n")
        assert b"wrong token" in data and b"(Pdb)" not in data
    finish(server)
    assert server.wait_code == 1


def test_hang_up_before_the_token(readme_dump: Path) -> None:
    server = Server(readme_dump, "--allow-remote")
    server.connect().close()
    finish(server)
    assert server.wait_code == 1


def test_hang_up_mid_session(readme_dump: Path) -> None:
    server = Server(readme_dump, "--allow-remote")
    conn = server.connect()
    conn.sendall(server.token.encode() + b"\n")
    read_until(conn, PROMPT)
    conn.sendall(b"p b\n")
    assert b"'2'" in read_until(conn, PROMPT)
    conn.sendall(b"whe")  # half a command, then gone
    conn.close()
    finish(server)
    assert server.wait_code == 0
