"""Shared by the HTML tests: a hostile crash, a canary web server, a running ``--serve``."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List, Tuple

from conftest import clean_env, dumps_in, run_python, write_script

from pydumpling_hook.loader.html.security import COOKIE

# Each payload, if it ever ran, would set window.__pwned, or fetch from the canary.
HOSTILE_SCRIPT = r'''
import sys
import threading

CANARY = "http://127.0.0.1:{port}"
PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<a href=\"javascript:window.__pwned='link'\">click</a>",
    "\"><svg onload=\"window.__pwned='svg'\">",
    "</pre></code></script><script>window.__pwned = 'close'</script>",
    "<img src='" + CANARY + "/img'>",
    "<link rel=stylesheet href='" + CANARY + "/css'>",
    "<script src='" + CANARY + "/js'></script>",
    "<iframe src='" + CANARY + "/frame'></iframe>",
    "{{{{ 7*7 }}}} {{% raw %}}",
]


class Evil:
    pass


Evil.__qualname__ = PAYLOADS[0]
Evil.__module__ = PAYLOADS[1]
Boom = type("Boom", (Exception,), {{}})
Boom.__qualname__ = PAYLOADS[4]
Boom.__module__ = PAYLOADS[2]


def fail(*args):
    evil = Evil()
    evil.__dict__[PAYLOADS[3]] = PAYLOADS[5]
    table = {{p: [p, p.encode()] for p in PAYLOADS}}
    long_text = "".join(PAYLOADS) * 100
    exc = Boom(" ".join(PAYLOADS))
    if hasattr(exc, "add_note"):
        exc.add_note(PAYLOADS[6])
    raise exc


threading.current_thread().name = PAYLOADS[7]
fail(*PAYLOADS)
'''


def hostile_dump(directory: Path, canary_port: int) -> Path:
    """Crash a script whose every string (names, types, values, source, argv) is markup."""
    script = write_script(directory, HOSTILE_SCRIPT.format(port=canary_port),
                          name="<img src=x onerror=window.__pwned=1>.py")
    dumps = directory / "dumps"
    run_python([str(script), "<script>window.__pwned='argv'</script>"],
               env=clean_env(PYDUMPLING_DIR=str(dumps)), cwd=directory)
    (dump,) = dumps_in(dumps)
    return dump


class Canary:
    """A loopback web server that records every request: a report must never reach it."""

    def __init__(self) -> None:
        self.requests: List[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def serving(directory: Path | str, *args: str,
            env: dict | None = None) -> Iterator[Tuple[str, int, subprocess.Popen]]:
    """Run ``pydumpling-open --serve DIRECTORY --port 0 ARGS``; yield (url, port, process).

    ``env`` adds to the clean environment (an S3 endpoint's variables, say).

    The server is stopped with Ctrl-C (SIGINT) at the end, as a user stops it,
    and must then exit 0.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "pydumpling_hook", "--serve", str(directory), "--port", "0",
         *args], env=clean_env(**(env or {})), stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        match = re.search(r"on (http://\S+)", line)
        if not match:
            process.kill()
            raise AssertionError(f"--serve did not start: {line}{process.stderr.read()}")
        url = match.group(1)
        port = int(re.search(r":(\d+)/", url).group(1))
        TOKENS[port] = re.search(r"\?token=([^\s&]+)", url).group(1)
        yield url, port, process
    finally:
        if process.poll() is None:
            process.send_signal(2)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stderr.close()


def rows(body: str, table: str) -> list:
    """The rows of the front page's ``dumps`` or ``groups`` table, as HTML."""
    section = body[body.index(f'<section id="{table}">'):]
    section = section[:section.index("</section>")]
    return re.findall(r'<tr class="row[^"]*">(.*?)</tr>', section, re.S)


TOKENS: dict = {}
"""The access token of each ``serving`` server, by port: ``get`` sends it as the cookie the
printed URL sets in a browser, unless ``token=False``."""


def get(port: int, path: str, host: str | None = None, method: str = "GET",
        headers: dict | None = None, token: bool = True) -> Tuple[int, dict, str]:
    """One request to 127.0.0.1:port; returns (status, headers lower-cased, body text)."""
    headers = dict(headers or {})
    if token and port in TOKENS and "token=" not in path:
        headers.setdefault("Cookie", f"{COOKIE}={TOKENS[port]}")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()
