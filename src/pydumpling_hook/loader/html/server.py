"""``--serve``: a read-only local web site over a dump directory.

The standard library's ``ThreadingHTTPServer`` (a thread per request) is
enough for one person's browser and adds no dependency; an ASGI stack would
add several packages to audit for a page that answers a handful of GETs.

Routes, all GET or HEAD, none of which changes anything:

* ``/``: the dumps, newest first, their groups, and a filter (``?q=``);
* ``/dump/NAME``: the report of one dump, as ``--html`` writes it;
* ``/fatal/NAME``: a ``.fatal`` file as escaped text;
* ``/state``: a digest of the directory, which the front page polls to
  reload itself when a dump arrives.

The directory may be an fsspec URL (``s3://…``): the listing reads headers
with ranged reads, as ``--list`` does, and a report downloads its dump once.

Every request first passes the checks of ``security`` (Host header, token).
Responses carry the page's Content-Security-Policy as a header too, no CORS
header, and ``nosniff``, ``no-referrer``, ``no-store`` and ``DENY`` framing.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Tuple
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlsplit

from ...config import is_remote
from ...dumpformat.dumpfile import DumpError
from ..inputs import fetch
from .directory import listing_view, names, state
from .render import Page, render_listing, render_report, render_text
from .security import (
    COOKIE,
    allowed_hosts,
    host_ok,
    is_wildcard,
    listed_path,
    safe_name,
    token_ok,
)

FATAL_LIMIT = 1 << 20
"""Bytes of a ``.fatal`` file shown (faulthandler writes a few KiB)."""
REQUEST_TIMEOUT = 30
"""Seconds a connection may stay silent before its thread gives up on it."""
RENDER_ERRORS = (AttributeError, TypeError, ValueError, IndexError, KeyError, RecursionError)
"""What a body that unpickled but is not shaped like a dump can raise while rendered."""


class ServeError(Exception):
    """A setup problem to report in one line (port in use, bad address)."""


class Site:
    """What the handler threads share: the directory, the options, the token."""

    def __init__(self, directory: str, host: str, port: int, context: int,
                 token: str, allow_remote: bool = False, identity: str | None = None) -> None:
        self.directory = directory
        self.context = context
        self.token = token
        self.identity = identity
        self.any_host = allow_remote and is_wildcard(host)
        self.hosts = allowed_hosts(host, port)
        self.fetched: Dict[Tuple[Any, ...], str] = {}
        """The plain local path of each dump already shown: one download of an object
        (its name is unique to one dump) and one decrypted copy of an encrypted file per
        version of it (path, size, mtime), however often the page is reloaded."""

    def located(self, name: str) -> str | None:
        """The path or URL of ``name`` if the directory lists it, else None."""
        if not is_remote(self.directory):
            return listed_path(self.directory, name)
        return f"{self.directory.rstrip('/')}/{name}" if name in names(self.directory) else None

    def plain(self, location: str) -> str:
        """A local path of the plain dump at ``location``, decrypted with ``identity``."""
        if is_remote(location):
            key: Tuple[Any, ...] = (location,)
        else:
            try:
                info = os.stat(location)
            except OSError as exc:  # removed or replaced since the page listed it
                raise DumpError(f"{location}: {exc.strerror or exc}") from None
            key = (location, info.st_size, info.st_mtime_ns)
        if key not in self.fetched:
            self.fetched[key] = fetch(location, self.identity)
        return self.fetched[key]

    def report(self, name: str) -> Tuple[int, Page]:
        from .. import load
        from .view import report_view

        if not safe_name(name):
            return _refused(name)
        location = self.located(name)
        if location is None:
            return 404, _message("Not found", f"No dump named {name} in this directory.")
        try:
            return 200, render_report(report_view(load(self.plain(location)),
                                                  self.context), served=True)
        except DumpError as exc:
            return 422, _message("Unreadable dump", f"unreadable: {exc}")
        except RENDER_ERRORS as exc:
            return 422, _message("Unreadable dump",
                                 f"unreadable: {name}: corrupt dump ({type(exc).__name__})")

    def fatal(self, name: str) -> Tuple[int, Page]:
        if not safe_name(name):
            return _refused(name)
        location = self.located(name)
        if location is None or not name.endswith(".fatal"):
            return 404, _message("Not found", f"No fatal-error file named {name}.")
        try:
            data = _head(location, FATAL_LIMIT + 1)
        except OSError as exc:
            return 422, _message("Unreadable file", f"unreadable: {name}: {exc.strerror}")
        except DumpError as exc:
            return 422, _message("Unreadable file", f"unreadable: {exc}")
        text = data[:FATAL_LIMIT].decode("utf-8", "replace")
        if len(data) > FATAL_LIMIT:
            text += f"\n<… the rest is not shown: only the first {FATAL_LIMIT:,} bytes are>"
        return 200, render_text(title=name, heading=f"Fatal error: {name}", text=text,
                                message=None)


def _head(location: str, size: int) -> bytes:
    """The first ``size`` bytes of a listed local file (never through a symlink) or object."""
    if is_remote(location):
        from ..fleet.objects import download

        return download(location, size)
    fd = os.open(location, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as fh:
        return fh.read(size)


def _message(title: str, message: str) -> Page:
    return render_text(title=title, heading=title, text=None, message=message)


def _refused(name: str) -> Tuple[int, Page]:
    return 400, _message("Refused", f"Refused {name!r}: a file is named only as the list "
                         "names it, without any path.")


class Handler(BaseHTTPRequestHandler):
    """One request: check who asks, then route to a page. Only GET and HEAD exist."""

    server_version = "pydumpling-open"
    sys_version = ""
    timeout = REQUEST_TIMEOUT
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the front page polls every few seconds; errors are answered, not logged."""

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    def _refuse_method(self) -> None:
        self._send(405, _message("Method not allowed", "This server only reads.").html,
                   "text/html", extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    @property
    def site(self) -> Site:
        return self.server.site  # type: ignore[attr-defined]

    def _respond(self, head: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        refused = self._refusal(_first(query, "token"))
        if refused is not None:
            self._send(403, refused.html, "text/html", csp=refused.csp, head=head)
            return
        cookie = None
        if _first(query, "token"):
            cookie = f"{COOKIE}={self.site.token}; HttpOnly; SameSite=Strict; Path=/"
        try:
            if url.path == "/state":
                body = json.dumps({"state": state(self.site.directory)})
                self._send(200, body, "application/json", head=head, cookie=cookie)
                return
            status, page = self._route(url.path, _first(query, "q") or "")
        except OSError as exc:  # the directory was removed or made unreadable meanwhile
            status, page = 503, _message("Directory unreadable",
                                         f"Cannot read {self.site.directory}: {exc.strerror}")
        except DumpError as exc:  # the bucket is gone, or the storage does not answer
            status, page = 503, _message("Directory unreadable", f"Cannot read {exc}")
        self._send(status, page.html, "text/html", csp=page.csp, head=head, cookie=cookie)

    def _refusal(self, query_token: str | None) -> Page | None:
        """The page refusing this request, or None when it may be answered."""
        if not (self.site.any_host or host_ok(self.headers.get("Host"), self.site.hosts)):
            return _message("Forbidden", "This server answers only to the address it listens "
                            "on (the Host header names another).")
        if not token_ok(self.site.token, query_token,
                                             self.headers.get("Cookie")):
            return _message("Forbidden", "Open the URL pydumpling-open printed: it carries "
                            "the access token.")
        return None

    def _route(self, path: str, query: str) -> Tuple[int, Page]:
        if path == "/":
            view = listing_view(self.site.directory, query.strip())
            return 200, render_listing(listing=view)
        for prefix, page in (("/dump/", self.site.report), ("/fatal/", self.site.fatal)):
            if path.startswith(prefix):
                name = os.fsdecode(unquote_to_bytes(path[len(prefix):]))
                return page(name)
        return 404, _message("Not found", "There is no such page.")

    def _send(self, status: int, body: str, kind: str, csp: str = "default-src 'none'",
              head: bool = False, cookie: str | None = None,
              extra: Dict[str, str] | None = None) -> None:
        data = body.encode("utf-8", "backslashreplace")
        self.send_response(status)
        headers = {
            "Content-Type": f"{kind}; charset=utf-8",
            "Content-Length": str(len(data)),
            "Content-Security-Policy": f"{csp}; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            **(extra or {}),
        }
        if cookie:
            headers["Set-Cookie"] = cookie
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)


def _first(query: Dict[str, Any], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _server(host: str, port: int, announce: Callable[[str], None]) -> ThreadingHTTPServer:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:
        raise ServeError(f"cannot resolve --host {host!r}: {exc.strerror or exc}") from None

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            """One line for a failed request, not socketserver's traceback; none for a
            browser that hung up."""
            error = sys.exc_info()[1]
            if not isinstance(error, ConnectionError):
                announce(f"error answering a request: {type(error).__name__}: {error}"[:300])

    try:
        return Server((host, port), Handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(directory: str, token: str, host: str = "127.0.0.1", port: int = 8765,
          context: int = 5, allow_remote: bool = False, identity: str | None = None,
          announce: Callable[[str], None] = print) -> int:
    """Serve ``directory`` (a path or an fsspec URL) until Ctrl-C; return the exit status.

    ``identity`` (else ``$PYDUMPLING_IDENTITY``) decrypts encrypted dumps for their
    reports; without it their rows still list, from the clear header.

    Every request must carry ``token`` (the printed URL has it, and the first
    page sets it as a cookie), also on loopback: the pages show what the dumps
    hold, and other users of the machine reach loopback ports too.
    ``announce`` gets the lines a user must see: the URL with the token.
    Raises ``ServeError`` when the address cannot be used.
    """
    server = _server(host, port, announce)
    bound_port = server.server_address[1]
    if not is_remote(directory):
        directory = os.path.abspath(directory)
    site = Site(directory, host, bound_port, context, token, allow_remote, identity)
    server.site = site  # type: ignore[attr-defined]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound_port}/?token={quote(token)}"
    announce(f"serving {site.directory} on {url} (read-only; Ctrl-C stops)")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        announce("stopped")
    finally:
        server.server_close()
    return 0
