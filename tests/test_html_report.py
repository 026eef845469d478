"""``pydumpling-open FILE --html OUT``: the report of real crashes, read as HTML text.

What a browser does with the page is in ``test_html_browser.py``; here the
page is parsed with the standard library's HTML parser, so these tests run on
every Python without a browser.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import clean_env, dump_of, run_python, write_script
from html_support import hostile_dump

pytest.importorskip("jinja2")


def run_open(*args: str, env: dict | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env)


def report(dump: Path, tmp_path: Path, *args: str) -> str:
    out = tmp_path / f"{dump.stem}.html"
    result = run_open(str(dump), "--html", str(out), *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"pydumpling-open: report written to {out}\n"
    return out.read_text(encoding="utf-8")


class Page(HTMLParser):
    """The parts of a report the tests look at: text per element class, scripts, elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list = []
        self.scripts: list = []
        self.text_parts: list = []
        self._script = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.scripts[-1] += data
        else:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def attrs(self, tag: str) -> list:
        return [a for t, a in self.tags if t == tag]


def frames_of(html: str) -> list:
    """Each frame's ``<details>`` block, outermost first."""
    return re.findall(r'<details class="frame[^"]*"[^>]*>.*?</details>\n(?=<details class="frame|'
                      r'</div>|<p class="marker")', html, re.S)


@pytest.fixture(scope="module")
def readme_html(readme_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return report(readme_dump, tmp_path_factory.mktemp("html"))


def test_seed_report_shows_the_crash(readme_html: str) -> None:
    page = Page(readme_html)
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'str'" in page.text
    assert "c = a + b" in page.text
    frames = frames_of(readme_html)
    assert [re.search(r'class="fn">([^<]*)<', f).group(1) for f in frames] == [
        "&lt;module&gt;", "outer", "inner"]
    inner = frames[-1]
    assert re.match(r'<details class="frame" id="\w+" open>', inner), inner[:80]
    assert all(" open>" not in f.split("\n", 1)[0] for f in frames[:-1])
    inner_text = Page(inner).text
    assert "a = 1" in inner_text and "b = '2'" in inner_text
    assert "d = 4" in Page(frames[1]).text


def test_failing_line_and_carets_are_marked(readme_html: str) -> None:
    inner = frames_of(readme_html)[-1]
    current = re.findall(r'<span class="line cur"><span class="no">(\d+)</span>([^\n]*)', inner)
    assert current == [("4", "    c = a + b")]
    carets = re.findall(r'<span class="line carets"><span class="no"></span>([^\n]*)', inner)
    if sys.version_info >= (3, 11):
        assert carets == ["        ~~^~~"]  # under "a + b", as Python printed it
    else:
        assert carets == []  # Python 3.9 and 3.10 print no carets


def test_carets_are_those_python_printed(tmp_path: Path, crash) -> None:
    """Multi-line instructions too: each caret row sits under its own source line."""
    result, (dump,) = crash("""
        def f(x, y):
            total = (
                x
                + y
            )
            return total


        def g(items):
            return f(items[0],
                     items[1])


        g([1, "s"])
    """)

    def caret_rows(lines: list) -> list:
        return [ln.strip() for ln in lines if ln.strip() and set(ln.strip()) <= set("^~")]

    html = report(dump, tmp_path)
    printed = caret_rows(result.stderr.splitlines())
    assert caret_rows(re.findall(r'<span class="line carets"><span class="no"></span>([^\n]*)',
                                 html)) == printed
    assert bool(printed) == (sys.version_info >= (3, 11))
    for frame in frames_of(html):  # each caret row follows a failing line, at its indent
        rows = re.findall(r'<span class="line( cur| carets)?">(?:<span class="no">\d*</span>)?'
                          r'([^\n]*)', frame)
        for (kind, text), (_, above) in zip(rows[1:], rows):
            if kind == " carets":
                assert len(text) - len(text.lstrip()) >= len(above) - len(above.lstrip())


def test_source_context_is_configurable(readme_dump: Path, tmp_path: Path) -> None:
    numbers = re.findall(r'<span class="no">(\d+)</span>', frames_of(report(readme_dump, tmp_path))
                         [-1])
    assert numbers == [str(n) for n in range(1, 10)]  # line 4, five before (from 1), five after
    tight = frames_of(report(readme_dump, tmp_path, "--context", "0"))[-1]
    assert re.findall(r'<span class="no">(\d+)</span>', tight) == ["4"]


def test_one_file_with_its_own_policy(readme_html: str) -> None:
    """No external resource; the CSP allows exactly the inline script and style, by hash."""
    page = Page(readme_html)
    assert not [a for t, a in page.tags if a.get("src") or (t == "link")]
    (meta,) = [a for a in page.attrs("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in meta["content"].split(";"))
    assert policy["default-src"] == "'none'" and policy["form-action"] == "'none'"
    assert policy["base-uri"] == "'none'" and "connect-src" not in policy

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    (script,) = page.scripts
    style = re.search(r"<style>(.*?)</style>", readme_html, re.S).group(1)
    assert policy["script-src"] == sha(script)
    assert policy["style-src"] == sha(style)


def test_stats_read_as_numbers(readme_html: str) -> None:
    stats = Page(readme_html[readme_html.index('<section id="stats">'):]).text
    assert re.search(r"redacted\s*0\s", stats) and re.search(r"cuts\s*0\s", stats)


def test_report_is_private_like_the_dump(readme_dump: Path, tmp_path: Path) -> None:
    report(readme_dump, tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / f"{readme_dump.stem}.html").st_mode)
    assert mode == 0o600


def test_hostile_dump_stays_text(tmp_path: Path) -> None:
    """Markup in every string of a dump comes out escaped: one script, ours, and no handler."""
    html = report(hostile_dump(tmp_path, 9), tmp_path)
    page = Page(html)
    assert len(page.scripts) == 1 and "__pwned" not in page.scripts[0]
    for tag, attrs in page.tags:
        assert tag not in ("img", "svg", "iframe", "link", "a"), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "javascript:" not in " ".join(str(v) for v in attrs.values())
    for text in ("<script>window.__pwned = 'script'</script>",  # message, values, source
                 "<script>window.__pwned='argv'</script>",  # argv
                 "<img src=x onerror=window.__pwned=1>.py",  # file name
                 "{{ 7*7 }} {% raw %}"):  # template syntax is not evaluated either
        assert text in page.text


def test_recursion_collapses_like_python(tmp_path: Path) -> None:
    dump = dump_of(tmp_path / "d", "recursion.py")
    html = report(dump, tmp_path)
    printed = run_open(str(dump), "--print").stdout
    repeated = re.findall(r"\[Previous line repeated \d+ more times?\]", printed)
    assert repeated and re.findall(r"\[Previous line repeated \d+ more times?\]",
                                   Page(html).text) == repeated
    frames = frames_of(html)
    assert len(frames) <= 10  # three of each run, then the innermost frame again
    assert "innermost" in frames[-1] and " open>" in frames[-1].split("\n", 1)[0]
    assert "n = " in Page(frames[-1]).text
    assert len(html) < 200_000


def test_chain_in_python_order(tmp_path: Path) -> None:
    html = report(dump_of(tmp_path / "d", "chains.py"), tmp_path)
    text = Page(html).text
    text = text[text.index("Traceback"):]  # past the title, which names the last exception
    order = [text.index(s) for s in (
        "KeyError: 'b'",
        "The above exception was the direct cause of the following exception:",
        "ConfigError: no config 'b'",
        "During handling of the above exception, another exception occurred:",
        "IndexError: list index out of range")]
    assert order == sorted(order)
    assert html.count(" open>") == 1  # the innermost frame of the last exception
    assert "values = [1, 2]" in Page(frames_of(html)[-1]).text


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception groups and notes are 3.11+")
def test_groups_members_and_notes(tmp_path: Path) -> None:
    text = Page(report(dump_of(tmp_path / "d", "groups.py"), tmp_path)).text
    assert "ExceptionGroup: outer (19 sub-exceptions)" in text
    assert "ExceptionGroup: inner (2 sub-exceptions)" in text
    assert "while handling item 1" in text and "KeyError: 'k'" in text
    assert "and 4 more exceptions not shown" in text  # 19 members, 15 shown, as Python does
    notes = Page(report(dump_of(tmp_path / "n", "notes.py"), tmp_path)).text
    assert "order 7 has no items" in notes and "multi\nline note" in notes


def test_other_threads_and_live_stacks(tmp_path: Path, crash) -> None:
    result, _ = crash("""
        import threading, time
        import pydumpling_hook
        def park(event):
            waiting = "parked"
            event.wait()
        event = threading.Event()
        worker = threading.Thread(target=park, args=(event,), name="parker")
        worker.start()
        time.sleep(0.2)
        pydumpling_hook.dump_current_traceback("live.dump")
        event.set()
        worker.join()
    """)
    html = report(tmp_path / "live.dump", tmp_path)
    text = Page(html).text
    assert "Live stack of thread MainThread (no exception)" in text
    assert "Thread parker" in text and "waiting = 'parked'" in text
    assert html.count(" open>") == 1


def test_cuts_redactions_and_stats_are_shown(tmp_path: Path, crash) -> None:
    result, (dump,) = crash("""
        def handler():
            big = list(range(5000))
            text = "x" * 50_000
            password = "hun" + "ter2"
            raise RuntimeError("boom")
        handler()
    """)
    text = Page(report(dump, tmp_path)).text
    assert "<… 4,000 more items>" in text  # capture kept 1,000 of 5,000
    assert ("900 more not shown (the report lists the first 100); then <… 4,000 more items>, "
            "which capture left out") in text  # the report's own cut, then capture's
    assert "<… 40,000 more characters>" in text  # capture kept 10,000 characters
    assert "password = <redacted>" in text and "hunter2" not in text
    stats = text[text.index("What the dump holds"):]
    assert re.search(r"redacted\s*1", stats) and re.search(r"cuts\s*[1-9]", stats)


def test_library_frames_are_quieter(tmp_path: Path, crash) -> None:
    result, (dump,) = crash("""
        import json
        def parse(text):
            return json.loads(text)
        parse("{")
    """)
    frames = frames_of(report(dump, tmp_path))
    files = [re.search(r'class="file">([^<]*)<', f).group(1) for f in frames]
    app = [f for f, name in zip(frames, files) if name.endswith("crash.py")]
    library = [f for f, name in zip(frames, files) if "json" + os.sep in name]
    assert app and library
    assert all(f.startswith('<details class="frame" ') for f in app)
    assert all(f.startswith('<details class="frame lib" ') for f in library)


def test_capture_never_imports_jinja(tmp_path: Path) -> None:
    script = write_script(tmp_path, """
        import atexit, sys
        WATCHED = ("jinja2", "markupsafe", "pydumpling_hook.loader.html")
        atexit.register(lambda: print("LOADED", [m for m in WATCHED if m in sys.modules]))
        1 / 0
    """)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "d")))
    assert "crash dump written" in result.stderr
    assert "LOADED []" in result.stdout


def test_print_and_list_never_import_jinja(readme_dump: Path) -> None:
    code = (
        "import sys\n"
        "from pydumpling_hook.loader.cli import main\n"
        f"assert main(['--print', {str(readme_dump)!r}]) == 0\n"
        f"assert main(['--list', {str(readme_dump.parent)!r}]) == 0\n"
        "print('LOADED', 'jinja2' in sys.modules, file=sys.stderr)\n"
    )
    assert "LOADED False" in run_python(["-c", code]).stderr


def _one_error_line(result, status: int, contains: str) -> None:
    assert result.returncode == status, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("pydumpling-open: error: ") and contains in line, line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, status, words", [
    (["--html", "{out}/r.html", "--context", "-1"], 2, "--context must be between 0 and"),
    (["--html", "{out}/r.html", "--context", "x"], 2, "invalid int value"),
    (["--html", "{out}/r.html", "--thread", "x"], 2, "--thread and --exception go with"),
    (["--html", "{out}/r.html", "--locals"], 2, "--locals goes with --print"),
    (["--html", "{out}/r.html", "--debugger", "ipdb"], 2, "--debugger goes with"),
    (["--html", "{out}/no/such/dir/r.html"], 1, "cannot write the report"),
    (["--html", "{out}"], 1, "cannot write the report"),
    (["--print", "--context", "3"], 2, "--context goes with --html or --serve"),
])
def test_bad_html_usage_is_one_line(args: list, status: int, words: str,
                                    readme_dump: Path, tmp_path: Path) -> None:
    args = [a.format(out=tmp_path) for a in args]
    _one_error_line(run_open(str(readme_dump), *args), status, words)


@pytest.mark.parametrize("content, words", [
    (None, "no such file"),
    (b"", "empty"),
    (b"\x89PYDUMPLING\r\n\x1a\n\x00\x00" + b"\xff" * 40, "corrupt"),
])
def test_bad_dump_is_one_line(content: bytes | None, words: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.dump"
    if content is not None:
        path.write_bytes(content)
    _one_error_line(run_open(str(path), "--html", str(tmp_path / "r.html")), 1, words)
    assert not (tmp_path / "r.html").exists()


def test_without_jinja_is_one_line(readme_dump: Path, tmp_path: Path) -> None:
    """An install without the [html] extra: a shadowing module makes ``import jinja2`` fail."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "jinja2.py").write_text("raise ImportError('No module named jinja2')\n")
    result = run_open(str(readme_dump), "--html", str(tmp_path / "r.html"),
                      env=clean_env(PYTHONPATH=str(shadow)))
    _one_error_line(result, 1, "pip install 'pydumpling-hook[html]'")


def test_report_to_stdout(readme_dump: Path) -> None:
    result = run_open(str(readme_dump), "--html", "-")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("<!DOCTYPE html>") and "c = a + b" in result.stdout


@pytest.mark.parametrize("name", ["readme.dump", "chains.dump", "shapes.dump", "thread.dump"])
def test_format1_dumps_render(name: str, tmp_path: Path) -> None:
    """Dumps written by the format-1 writer (tests/data/format1) keep opening as reports."""
    dump = Path(__file__).parent / "data" / "format1" / name
    result = run_open(str(dump), "--html", "-")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = Page(result.stdout).text
    assert "Traceback" in text and "What the dump holds" in text
    if name == "readme.dump":
        assert "a = 1" in Page(frames_of(result.stdout)[-1]).text
