"""``pydumpling-open --serve DIR``: the real server, asked over real HTTP (every Python).

Each test starts the program as a user would (``--port 0``: any free port,
read from its first line), sends requests with ``http.client`` and stops it
with Ctrl-C.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest
from conftest import dump_of, run_python
from html_support import get, rows, serving

pytest.importorskip("jinja2")


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two dumps of one crash site, one of another, a corrupt dump and a fatal-error file."""
    root = tmp_path_factory.mktemp("served")
    first = dump_of(root / "a", "readme.py")
    second = dump_of(root / "b", "readme.py")
    other = dump_of(root / "c", "chains.py")
    served = root / "dumps"
    served.mkdir()
    for dump in (first, second, other):
        shutil.copy(dump, served / dump.name)
    (served / "20990101T000000.000000Z-1-MainThread-Broken.dump").write_bytes(b"not a dump")
    (served / "x-1-MainThread-FatalError.fatal").write_text(
        "Fatal Python error: Segmentation fault\n<script>window.__pwned = 1</script>\n")
    (root / "secret.dump").write_bytes((served / first.name).read_bytes())  # outside the dir
    return served


@pytest.fixture(scope="module")
def server(directory: Path):
    with serving(directory) as (url, port, process):
        yield port


def test_front_page_lists_and_groups(server: int, directory: Path) -> None:
    status, headers, body = get(server, "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    dumps = rows(body, "dumps")
    assert len(dumps) == 5
    (broken,) = [r for r in dumps if "Broken" in r]
    assert 'class="unreadable"' in broken and "not a pydumpling-hook dump" in broken
    times = [re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", r).group(0) for r in dumps]
    assert times == sorted(times, reverse=True)  # newest first
    readable = [r for r in dumps if "TypeError" in r or "IndexError" in r]
    assert len(readable) == 3 and all("excepthook" in r for r in readable)
    groups = rows(body, "groups")
    counts = sorted((re.search(r'<td class="num">(\d+)</td>', g).group(1),
                     re.search(r'>(\w+Error)</a>', g).group(1)) for g in groups)
    assert counts == [("1", "IndexError"), ("2", "TypeError")]
    assert "readme.py:4 in inner" in next(g for g in groups if "TypeError" in g)


def test_listing_reads_headers_only(tmp_path: Path, directory: Path) -> None:
    """A dump whose body is cut short lists from its header, which also says how long the
    file should be: the row shows the crash and that the file is truncated."""
    whole = next(directory.glob("*TypeError.dump")).read_bytes()
    served = tmp_path / "served"
    served.mkdir()
    (served / "cut-TypeError.dump").write_bytes(whole[:-200])
    with serving(served) as (url, port, process):
        (row,) = rows(get(port, "/")[2], "dumps")
        assert "TypeError: unsupported operand" in row and "&lt;truncated: " in row
        status, _, page = get(port, "/dump/cut-TypeError.dump")
    assert status == 422 and "truncated" in page


def test_filter_works_without_script(server: int) -> None:
    status, _, body = get(server, "/?q=indexerror")
    dumps = rows(body, "dumps")
    assert status == 200 and len(dumps) == 1 and "IndexError" in dumps[0]


def test_each_dump_opens_its_report(server: int, directory: Path) -> None:
    _, _, body = get(server, "/")
    links = re.findall(r'href="(/dump/[^"]+TypeError\.dump)"', body)
    assert links
    status, headers, page = get(server, links[0])
    assert status == 200
    assert "c = a + b" in page and '<a href="/">' in page
    assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'sha256-")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_corrupt_dump_is_unreadable_not_an_error(server: int) -> None:
    status, _, page = get(server, "/dump/20990101T000000.000000Z-1-MainThread-Broken.dump")
    assert status == 422 and "unreadable" in page and "not a pydumpling-hook dump" in page


def test_fatal_file_is_escaped_text(server: int) -> None:
    status, _, page = get(server, "/fatal/x-1-MainThread-FatalError.fatal")
    assert status == 200 and "Fatal Python error: Segmentation fault" in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "<script>window" not in page


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "localhost.evil.example:{port}", ""])
def test_foreign_host_is_refused(server: int, host: str) -> None:
    """DNS rebinding: a page of another site reaching 127.0.0.1 sends its own Host."""
    for path in ("/", "/state", "/dump/x.dump"):
        status, headers, body = get(server, path, host=host.format(port=server))
        assert status == 403, (host, path)
        assert "TypeError" not in body and "state" not in headers.get("content-type", "")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_own_names_are_accepted(server: int, host: str) -> None:
    assert get(server, "/", host=host.format(port=server))[0] == 200


@pytest.mark.parametrize("path", [
    "/dump/../secret.dump", "/dump/..%2fsecret.dump", "/dump/%2e%2e%2fsecret.dump",
    "/dump/%2Fetc%2Fpasswd", "/dump/..%5csecret.dump", "/fatal/../../../../etc/passwd",
    "/dump/.hidden.dump", "/dump/x.dump%00.fatal", "/dump/" + "%2e%2e/" * 8 + "etc/passwd",
])
def test_path_traversal_is_refused(server: int, path: str) -> None:
    status, _, body = get(server, path)
    assert status in (400, 404), path
    assert "c = a + b" not in body and "root:" not in body


def test_a_symlink_in_the_directory_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "link.fatal").symlink_to("/etc/hostname")
    with serving(tmp_path) as (url, port, process):
        status, _, body = get(port, "/fatal/link.fatal")
    assert status == 404


def test_nothing_but_reading(server: int) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, _ = get(server, "/", method=method,
                                 headers={"Origin": "http://evil.example"})
        assert status == 405 and headers["allow"] == "GET, HEAD", method
    status, headers, _ = get(server, "/", headers={"Origin": "http://evil.example"})
    assert status == 200
    assert not [h for h in headers if h.startswith("access-control-")]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert get(server, "/?callback=x")[2].startswith("<!DOCTYPE html>")  # no JSONP anywhere


def test_state_changes_when_a_dump_arrives(directory: Path, tmp_path: Path) -> None:
    served = tmp_path / "live"
    served.mkdir()
    with serving(served) as (url, port, process):
        status, headers, body = get(port, "/state")
        assert status == 200 and headers["content-type"] == "application/json; charset=utf-8"
        before = json.loads(body)["state"]
        assert get(port, "/state")[2] == body
        shutil.copy(next(directory.glob("*TypeError.dump")), served / "new-TypeError.dump")
        assert json.loads(get(port, "/state")[2])["state"] != before
        assert len(rows(get(port, "/")[2], "dumps")) == 1


@pytest.mark.parametrize("args", [(), ("--allow-remote",)])
def test_every_request_needs_the_token(directory: Path, args: tuple) -> None:
    """Also on loopback: another user of the machine can reach the port, and the pages
    show what the dumps hold."""
    with serving(directory, *args) as (url, port, process):
        token = re.search(r"\?token=([\w-]+)", url).group(1)
        assert get(port, "/", token=False)[0] == 403
        assert get(port, "/state", token=False)[0] == 403
        assert get(port, "/?token=wrong", token=False)[0] == 403
        status, headers, _ = get(port, f"/?token={token}")
        assert status == 200
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert get(port, "/state", headers={"Cookie": cookie.split(";")[0]})[0] == 200


def test_directory_removed_while_serving(tmp_path: Path) -> None:
    served = tmp_path / "gone"
    served.mkdir()
    with serving(served) as (url, port, process):
        served.rmdir()
        status, _, page = get(port, "/")
        assert status == 503 and "Cannot read" in page
        assert get(port, "/state")[0] == 503
        process.send_signal(2)
        assert process.wait(timeout=20) == 0
        assert process.stderr.read() == "pydumpling-open: stopped\n"


def test_stops_cleanly_on_ctrl_c(directory: Path) -> None:
    with serving(directory) as (url, port, process):
        assert get(port, "/")[0] == 200
        process.send_signal(2)
        assert process.wait(timeout=20) == 0
        assert process.stderr.read() == "pydumpling-open: stopped\n"


def _one_error_line(result, status: int, contains: str) -> None:
    assert result.returncode == status, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("pydumpling-open: error: ") and contains in line, line


def test_port_in_use_is_one_line(directory: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_python(["-m", "pydumpling_hook", "--serve", str(directory),
                             "--port", str(port)], timeout=30)
    _one_error_line(result, 1, f"cannot listen on 127.0.0.1:{port}")


@pytest.mark.parametrize("args, status, words", [
    (["--serve", "{missing}"], 1, "no such directory"),
    (["--serve", "{dir}", "--host", "0.0.0.0"], 2, "not a loopback address"),
    (["--serve", "{dir}", "--port", "70000"], 2, "--port must be between"),
    (["--serve", "{dir}", "--thread", "x"], 2, "--thread and --exception go with"),
    (["--serve", "{dir}", "--trust"], 2, "--serve never runs code from a dump"),
    (["{dump}", "--serve", "{dir}"], 2, "--serve takes a directory"),
])
def test_bad_serve_usage_is_one_line(args: list, status: int, words: str, directory: Path,
                                     tmp_path: Path) -> None:
    dump = next(directory.glob("*TypeError.dump"))
    args = [a.format(missing=tmp_path / "nope", dir=directory, dump=dump) for a in args]
    result = run_python(["-m", "pydumpling_hook", *args], timeout=30)
    _one_error_line(result, status, words)
