"""End to end: a real script crashes with the hook, then each debugger opens the dump.

pdb, ipdb and pdbpp are driven through a pty with pexpect; pudb, a full-screen
program, runs in a tmux session whose screen is read back. The assertions are
on what the user sees. The script file is deleted before the session, so the
source shown comes from the dump.
"""

from __future__ import annotations

import importlib.util
import io
import linecache
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pexpect
import pytest
from conftest import clean_env

APP = """\
class Order:
    def __init__(self):
        self.total = 12


def inner():
    a = 1
    b = "2"
    c = a + b
    return c


def outer(n):
    d = 4
    order = Order()
    return inner() + d + n


outer(3)
"""

CHAINED = """\
class ConfigError(Exception):
    pass


def load(path):
    settings = {"a": 1}
    return settings[path]


def start():
    try:
        load("b")
    except KeyError as exc:
        raise ConfigError("no config") from exc


start()
"""

PROMPTS = {"pdb": r"\(Pdb\) ", "ipdb": r"ipdb> ", "pdbpp": r"\(Pdb\+\+\) ",
           "pdbp": r"\(Pdb\+\) "}
PDBPP_MISSING = importlib.util.find_spec("pdbpp") is None
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Z0-9]|[=>])|\r")
"""Terminal control sequences (colours, prompt_toolkit's redraws) and carriage returns."""


def command(dump: Path, *args: str) -> list:
    """``pydumpling-open`` of the interpreter running the tests."""
    script = Path(sys.executable).with_name("pydumpling-open")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "pydumpling_hook"]
    return [*program, str(dump), *args]


def session_env(home: Path) -> dict:
    """No user configuration (.pdbrc, IPython profile, pudb settings) can leak in."""
    config = home / "config"
    (config / "pudb").mkdir(parents=True, exist_ok=True)
    (config / "pudb" / "pudb.cfg").write_text("[pudb]\nseen_welcome = z999\n")
    return clean_env(HOME=str(home), XDG_CONFIG_HOME=str(config), TERM="xterm",
                     IPYTHONDIR=str(home / "ipython"),
                     # ipdb reads lines with input() instead of redrawing with prompt_toolkit
                     IPY_TEST_SIMPLE_PROMPT="1")


class Session:
    """A line-oriented debugger in a pty; ``run`` returns what a command printed."""

    def __init__(self, argv: list, env: dict, debugger: str) -> None:
        self.prompt = PROMPTS[debugger]
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8",
                                   timeout=60, dimensions=(50, 200))
        self.opening = self._wait()

    def _wait(self) -> str:
        self.child.expect(self.prompt)
        return ANSI.sub("", self.child.before)

    def run(self, line: str) -> str:
        """Send ``line``; return its output without the terminal's echo of it."""
        self.child.sendline(line)
        lines = self._wait().split("\n")
        echo = next(i for i, text in enumerate(lines) if text.strip().endswith(line))
        return "\n".join(lines[echo + 1:])

    def quit(self) -> int:
        self.child.sendline("q")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


def open_session(dump: Path, home: Path, debugger: str, *args: str) -> Session:
    return Session(command(dump, "--debugger", debugger, *args), session_env(home), debugger)


LINE_DEBUGGERS = [
    "pdb", "ipdb", "pdbp",
    pytest.param("pdbpp", marks=pytest.mark.skipif(
        PDBPP_MISSING, reason="pdbpp is not installed (the [pdbpp] extra skips 3.13.0)")),
]


@pytest.mark.parametrize("debugger", LINE_DEBUGGERS)
def test_readme_session(make_dump, tmp_path, debugger):
    dump = make_dump(APP)
    session = open_session(dump, tmp_path, debugger)
    assert "c = a + b" in session.opening
    where = r"9\s+->\s+c = a \+ b" if debugger == "pdbp" else r"crash\.py\(9\)\s*inner\(\)"
    assert re.search(where, session.opening)  # pdbp opens in sticky mode: the listing
    assert session.run("p a").strip() == "1"
    assert session.run("p b").strip() == "'2'"
    assert "c = a + b" in session.run("ll")
    session.run("up")
    assert session.run("p d").strip() == "4"
    assert session.run("args").strip() == "n = 3"
    assert session.run("whatis order").strip() == "<class '__main__.Order'>"
    assert session.run("p order.total").strip() == "12"
    assert "'Order' object has no attribute 'nothing'" in session.run("p order.nothing")
    listing = session.run("ll")
    assert "def outer(n):" in listing and "return inner() + d + n" in listing
    stack = session.run("bt")
    assert stack.index("<module>") < stack.index("outer()") < stack.index("inner()")
    assert session.quit() == 0


@pytest.mark.parametrize("debugger", LINE_DEBUGGERS)
def test_expressions_and_listing_commands(make_dump, tmp_path, debugger):
    session = open_session(make_dump(APP), tmp_path, debugger)
    assert session.run("p a + 41").strip() == "42"
    assert session.run("pp [a, b]").strip() == "[1, '2']"
    assert "c = a + b" in session.run("list")
    session.run("up")
    session.run("down")
    assert session.run("p b").strip() == "'2'"
    assert session.quit() == 0


def test_pdb_display_and_interact(make_dump, tmp_path):
    session = open_session(make_dump(APP), tmp_path, "pdb")
    assert session.run("display a").strip() == "display a: 1"
    child = session.child
    child.sendline("interact")
    child.expect(">>> ")
    child.sendline("print(a + 100, b)")
    child.expect(r"101 2")
    child.expect(">>> ")
    child.sendcontrol("d")
    session._wait()
    assert session.run("p a").strip() == "1"
    assert session.quit() == 0


def test_pdb_opens_the_cause_on_request(make_dump, tmp_path):
    dump = make_dump(CHAINED)
    session = open_session(dump, tmp_path, "pdb", "--exception", "cause")
    assert "return settings[path]" in session.opening
    assert session.run("p path").strip() == "'b'"
    assert session.quit() == 0


@pytest.mark.skipif(sys.version_info < (3, 13), reason="pdb's exceptions command is 3.13+")
def test_pdb_exceptions_command_walks_the_chain(make_dump, tmp_path):
    dump = make_dump(CHAINED)
    session = open_session(dump, tmp_path, "pdb")
    assert 'raise ConfigError("no config") from exc' in session.opening
    listing = session.run("exceptions")
    assert re.search(r"0 KeyError\('b'\)", listing)
    assert re.search(r">\s+1 ConfigError\('no config'\)", listing)
    assert "return settings[path]" in session.run("exceptions 0")
    assert session.run("p path").strip() == "'b'"
    assert session.quit() == 0


def test_ipdb_exceptions_command_walks_the_chain(make_dump, tmp_path):
    dump = make_dump(CHAINED)
    session = open_session(dump, tmp_path, "ipdb")
    listing = session.run("exceptions")
    assert "KeyError" in listing and "ConfigError" in listing
    session.run("exceptions 0")
    assert session.run("p path").strip() == "'b'"
    assert session.quit() == 0


@pytest.mark.skipif(not PDBPP_MISSING, reason="pdbpp is installed here")
def test_pdbpp_fails_cleanly_where_missing(make_dump, tmp_path):
    dump = make_dump(APP)
    result = subprocess.run(command(dump, "--debugger", "pdbpp"), env=session_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "pdbpp" in result.stderr
    assert "Traceback" not in result.stderr


class Screen:
    """pudb in a detached tmux session, read back with capture-pane."""

    def __init__(self, argv: list, env: dict) -> None:
        self.name = f"pydumpling-{uuid.uuid4().hex[:8]}"
        self.status = Path(env["HOME"]) / "status"
        shell = " ".join(f"{k}={_quote(v)}" for k, v in env.items() if k != "TMUX")
        inner = f"env -i {shell} {' '.join(map(_quote, argv))}; echo $? > {self.status}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "160", "-y", "45",
                        inner], check=True)

    def text(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared on screen:\n{self.text()}")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def exit_status(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.status.exists():
            time.sleep(0.2)
        return int(self.status.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_pudb_session(make_dump, tmp_path):
    dump = make_dump(APP)
    screen = Screen(command(dump, "--debugger", "pudb"), session_env(tmp_path))
    try:
        text = screen.wait_for("Variables:")
        assert re.search(r">\s+c = a \+ b", text)
        assert "a: 1" in text and "b: '2'" in text
        assert re.search(r">> inner crash\.py:9", text)
        screen.keys("u")
        text = screen.wait_for("d: 4")
        assert "order: Order" in text and "n: 3" in text
        screen.keys("q")
        assert screen.exit_status() == 0
    finally:
        screen.close()


def test_in_process_session_over_streams_leaves_no_trace(make_dump, tmp_path):
    from pydumpling_hook.loader import load

    dump = load(str(make_dump(APP)))
    before = (dict(linecache.cache), sys.excepthook, sys.displayhook, sys.gettrace(),
              linecache.getlines, sys.modules["__main__"])
    output = io.StringIO()
    dump.debug("pdb", stdin=io.StringIO("p a\nup\np d\nll\n"), stdout=output)
    after = (dict(linecache.cache), sys.excepthook, sys.displayhook, sys.gettrace(),
             linecache.getlines, sys.modules["__main__"])
    assert after == before
    text = output.getvalue()
    assert "-> c = a + b" in text
    assert re.search(r"\(Pdb\) 1\n", text) and re.search(r"\(Pdb\) 4\n", text)
    assert "return inner() + d + n" in text


WORKER = """\
import threading

ready = threading.Event()
release = threading.Event()


def work(job):
    step = "waiting"
    ready.set()
    release.wait()


threading.Thread(target=work, args=("job-1",), name="Worker", daemon=True).start()
ready.wait()
1 / 0
"""


def test_pdb_opens_a_thread_stack(make_dump, tmp_path):
    dump = make_dump(WORKER)
    session = open_session(dump, tmp_path, "pdb", "--thread", "Worker")
    assert "wait" in session.opening  # innermost: threading's Event/Condition wait
    stack = session.run("bt")
    assert "work()" in stack and "release.wait()" in stack
    for _ in range(5):  # climb from threading.py to work()
        shown = session.run("p step, job").strip()
        if "waiting" in shown:
            break
        session.run("up")
    assert shown == "('waiting', 'job-1')"
    assert session.quit() == 0


def test_all_extra_leaves_import_pdb_alone():
    """pdbpp's .pth takes over ``import pdb`` for the whole environment: not in [all]."""
    from importlib.metadata import requires

    wanted = [r for r in requires("pydumpling-hook") or ()
              if "extra == 'all'" in r.replace('"', "'")]
    assert wanted and not any(r.startswith("pdbpp") for r in wanted), wanted


USER_PROGRAM = """\
import pdb
import sys

import ipdb

print("pdb is", pdb.__file__)


def compute():
    secret_sauce = 41
    return secret_sauce / 0


try:
    compute()
except ZeroDivisionError:
    ipdb.post_mortem(sys.exc_info()[2])
"""


@pytest.mark.skipif(not PDBPP_MISSING, reason="pdbpp is installed here: it hijacks import pdb")
def test_users_own_ipdb_post_mortem_where_pdbpp_is_not_installed(tmp_path):
    """What [all] installs must leave the user's ``import pdb`` and ``ipdb`` as they are."""
    script = tmp_path / "user.py"
    script.write_text(USER_PROGRAM)
    session = Session([sys.executable, str(script)], session_env(tmp_path), "ipdb")
    assert re.search(r"pdb is \S+/lib/python3\.\d+/pdb\.py", session.opening), session.opening
    assert session.run("p secret_sauce + 1").strip() == "42"
    assert session.quit() == 0


def test_ipdb_works_where_pdbpp_already_hijacked_pdb(make_dump, tmp_path):
    """pdbpp's .pth makes ``import pdb`` load pdbpp, which breaks IPython's debugger."""
    code = ("import sys, pdb\n"
            "from pydumpling_hook.loader import load\n"
            "load(sys.argv[1]).debug('ipdb')\n")
    argv = [sys.executable, "-c", code, str(make_dump(APP))]
    session = Session(argv, session_env(tmp_path), "ipdb")
    assert session.run("p a").strip() == "1"
    assert session.quit() == 0
