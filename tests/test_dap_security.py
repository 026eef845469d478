"""``--dap`` as an attack surface, and bad input before anything listens.

``evaluate`` runs Python, and any web page can reach a loopback port, so the
server must drop anything that is not DAP from the first byte, refuse a first
request other than ``initialize``, and with ``--allow-remote`` refuse a
client without the printed token; a refused client must not cost the user
the session. Malformed requests in a session get an error response or a
closed connection, never a traceback or a hung server.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from conftest import run_python
from dap_client import Client, Server


def http_post(body: dict) -> bytes:
    """What a web page's ``fetch("http://127.0.0.1:PORT/", {method: "POST", body})`` sends."""
    data = json.dumps(body).encode()
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(data), data))


def framed(message: dict) -> bytes:
    data = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(data), data)


def evaluate_marker(marker: Path, seq: int = 1) -> dict:
    return {"seq": seq, "type": "request", "command": "evaluate",
            "arguments": {"expression": f"open({str(marker)!r}, 'w').close()",
                          "context": "repl"}}


def still_serves(server: Server) -> None:
    """A real client can still attach after the refusals, and ends the server cleanly."""
    client = server.client()
    client.attach()
    assert client.request("evaluate", {"expression": "b", "context": "hover"})["result"] == "'2'"
    client.request("disconnect")
    assert server.wait() == 0


def test_http_requests_are_dropped_at_their_first_byte(readme_dump: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    server = Server(readme_dump)
    for request in (http_post(evaluate_marker(marker)), b"GET"):
        # the rest of the request would come later: only its first bytes are needed
        client = Client(server.connect())
        client.send_raw(request)
        assert client.closed()
        client.close()
        assert "dropped a client: not a DAP message" in server.read_line()
    still_serves(server)
    assert not marker.exists()


def test_the_first_request_must_be_initialize(readme_dump: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    server = Server(readme_dump)
    client = Client(server.connect())
    client.send_raw(framed(evaluate_marker(marker)))
    response = client.response(1)
    assert not response["success"] and "must be 'initialize'" in response["message"]
    assert client.closed()
    assert "its first request was 'evaluate'" in server.read_line()
    still_serves(server)
    assert not marker.exists()


def test_non_loopback_host_needs_allow_remote(readme_dump: Path) -> None:
    result = run_python(["-m", "pydumpling_hook", str(readme_dump), "--dap", "--host", "0.0.0.0",
                         "--port", "0"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--allow-remote" in result.stderr
    assert "listening" not in result.stderr


def test_allow_remote_needs_the_token_in_attach(readme_dump: Path, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    server = Server(readme_dump, "--allow-remote", "--host", "0.0.0.0")
    assert server.host == "0.0.0.0" and len(server.token) >= 16
    server.host = "127.0.0.1"
    attempts = [("attach", {"token": "wrong"}), ("attach", {}),
                ("evaluate", evaluate_marker(marker)["arguments"])]
    for command, arguments in attempts:
        client = server.client()
        client.request("initialize", {"adapterID": "debugpy"})
        assert "token" in client.error(command, arguments)
        assert client.closed()
        assert "dropped a client: wrong or missing token" in server.read_line()
    still_serves(server)
    assert not marker.exists()


def test_malformed_requests_get_errors_and_the_session_goes_on(readme_dump: Path) -> None:
    server = Server(readme_dump)
    client = server.client()
    client.attach()
    bad = [("variables", {"variablesReference": "1"}), ("variables", {"variablesReference": -1}),
           ("variables", {"variablesReference": 2**40}), ("variables", {"variablesReference": 999}),
           ("stackTrace", {"threadId": 7}), ("stackTrace", {}), ("scopes", {"frameId": None}),
           ("evaluate", {"expression": ["a"]}), ("evaluate", {"expression": "a\x00b"}),
           ("evaluate", {"expression": "-" * 500_000 + "a"}), ("source", {"sourceReference": 5}),
           ("source", {"source": {"path": "/etc/passwd"}}), ("launchTheMissiles", {}),
           ("variables", {"variablesReference": 1, "filter": "everything"})]
    for command, arguments in bad:
        assert client.error(command, arguments)
    client.send_raw(framed({"seq": 99, "type": "request", "command": "threads",
                            "arguments": "not an object"}))
    assert client.response(99)["success"]
    nulls = client.request("stackTrace", {"threadId": 1, "startFrame": None, "levels": None})
    assert nulls["totalFrames"] == 3  # null reads as "not given", as clients mean it
    assert client.request("evaluate", {"expression": "a", "context": "repl"})["result"] == "1"
    client.send_raw(b"Content-Length: 5\r\n\r\n{nope")
    assert client.closed()
    assert server.wait() == 1
    assert "closed the session: a message is not UTF-8 JSON" in "".join(server.lines)
    assert not any("Traceback" in line for line in server.lines)


@pytest.mark.parametrize("data", [
    b"Content-Length: 99999999999\r\n\r\n",
    b"Content-Length: " + b"1" * 300,
    b"Content-Length: 2\r\n" + b"X-Header: y\r\n" * 20 + b"\r\n{}",
    framed({"seq": 1, "type": "event", "event": "initialize"}),
    framed({"seq": "1", "type": "request", "command": "initialize"}),
])
def test_bad_framing_before_admission_is_dropped(readme_dump: Path, data: bytes) -> None:
    server = Server(readme_dump)
    client = Client(server.connect())
    client.send_raw(data)
    assert client.closed()
    assert "dropped a client" in server.read_line()
    still_serves(server)


def test_a_client_that_hangs_up_ends_the_session_with_0(readme_dump: Path) -> None:
    server = Server(readme_dump)
    client = server.client()
    client.attach()
    client.close()
    assert server.wait() == 0


def test_bad_input_is_one_line_before_anything_listens(tmp_path: Path,
                                                       readme_dump: Path) -> None:
    corrupt = tmp_path / "corrupt.dump"
    corrupt.write_bytes(readme_dump.read_bytes()[:300])
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    cases = [
        ([str(tmp_path / "missing.dump"), "--dap"], 1, "no such file"),
        ([str(corrupt), "--dap"], 1, "corrupt.dump"),
        ([str(readme_dump), "--dap", "--port", str(busy.getsockname()[1])], 1, "cannot listen"),
        ([str(readme_dump), "--dap", "--port", "70000"], 2, "--port"),
        ([str(readme_dump), "--dap", "--debugger", "ipdb"], 2, "--dap"),
        ([str(readme_dump), "--dap", "--rdebug"], 2, "not allowed with"),
        ([str(readme_dump), "--dap", "--port", "0", "--timeout", "0.2"], 1, "no editor connected"),
    ]
    with busy:
        for args, status, words in cases:
            result = run_python(["-m", "pydumpling_hook", *args])
            lines = [line for line in result.stderr.splitlines()
                     if "listening" not in line and "token:" not in line]
            assert result.returncode == status, (args, result.stderr)
            assert len(lines) == 1 and words in lines[0], (args, result.stderr)
            assert lines[0].startswith("pydumpling-open: error: ")
            assert ("listening" in result.stderr) == ("--timeout" in args), args
