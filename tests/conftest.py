"""Shared helpers: run real crashing subprocesses and look at the dumps they leave.

Tests run under whichever venv's pytest started them (``.venvs/3.X/bin/python
-m pytest``), and every child process uses that same interpreter, so one test
run checks one Python.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The servers under test stop on Ctrl-C (SIGINT), as a user stops them. A suite
# started as a background job of a shell without job control inherits SIGINT
# ignored, and so would every child it starts: a child of a process that handles
# the signal starts with the default instead.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


CRASHES = Path(__file__).parent / "crashes"


def clean_env(**extra: str) -> dict:
    """The environment without our variables, so a developer's shell cannot leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYDUMPLING_")}
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_python(args: list, *, env: dict | None = None, cwd: os.PathLike | None = None,
               timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env or clean_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, input=input)


def write_script(directory: Path, source: str, name: str = "crash.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(source))
    return path


def dumps_in(directory: Path) -> list:
    return sorted(p for p in Path(directory).glob("*.dump")) if Path(directory).exists() else []


def strip_notice(stderr: str) -> str:
    """stderr minus our single notice line, to compare with a run without the hook."""
    return "".join(line for line in stderr.splitlines(True) if not line.startswith("pydumpling:"))


def dump_of(directory: Path, crash: str, **env: str) -> Path:
    """Run ``tests/crashes/<crash>`` with the hook on; return the one dump it left."""
    run_python([str(CRASHES / crash)], env=clean_env(PYDUMPLING_DIR=str(directory), **env))
    (dump,) = dumps_in(directory)
    return dump


def need(module: str):
    """Import ``module`` for a heavy test: skipped where it is not installed, except in
    the venvs CI gives the heavy extras (PYDUMPLING_HEAVY=1), where a missing module
    must fail the test rather than hide it."""
    if os.environ.get("PYDUMPLING_HEAVY") == "1":
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture(scope="module")
def readme_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The predecessor README's crash (inner/outer, ``c = a + b``), dumped once per module."""
    return dump_of(tmp_path_factory.mktemp("readme"), "readme.py")


@pytest.fixture
def dump_dir(tmp_path: Path) -> Path:
    return tmp_path / "dumps"


@pytest.fixture
def crash(tmp_path: Path, dump_dir: Path):
    """Run a script with PYDUMPLING_DIR set (zero-code activation); return (result, dumps)."""

    def run(source: str, *, env: dict | None = None, args: list = (), timeout: float = 60):
        script = write_script(tmp_path, source)
        result = run_python([str(script), *args], env=clean_env(
            PYDUMPLING_DIR=str(dump_dir), **(env or {})), cwd=tmp_path, timeout=timeout)
        return result, dumps_in(dump_dir)

    return run


@pytest.fixture
def make_dump(crash, tmp_path):
    """Crash ``source`` in a subprocess, delete the script, return the dump's path."""

    def make(source: str) -> Path:
        result, dumps = crash(source)
        assert result.returncode == 1 and len(dumps) == 1, result.stderr
        (tmp_path / "crash.py").unlink()
        return dumps[0]

    return make


@pytest.fixture
def body():
    from pydumpling_hook.dumpformat import dumpfile

    return lambda path: dumpfile.read_body(str(path))


# --- integration tests (tests/test_integrations_*.py) ---------------------------------

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def normalized(text: str) -> str:
    """Output with object addresses blanked, so two runs of one script compare equal."""
    return _ADDRESS.sub("0x?", text)


def assert_same_behaviour(hooked: subprocess.CompletedProcess,
                          plain: subprocess.CompletedProcess) -> None:
    """Exit code, stdout and stderr (minus our notice lines) as without the package."""
    assert hooked.returncode == plain.returncode, hooked.stderr
    assert normalized(hooked.stdout) == normalized(plain.stdout)
    assert normalized(strip_notice(hooked.stderr)) == normalized(strip_notice(plain.stderr))


def notices(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("pydumpling:")]


@pytest.fixture
def compare(tmp_path: Path, dump_dir: Path):
    """Run a script with PYDUMPLING_DIR (plus ``env``) and without; return (hooked, plain, dumps).

    ``source`` is a script text, or the name of a file in tests/crashes.
    """

    def run(source: str, *, env: dict | None = None, args: list = (), timeout: float = 60):
        if source.endswith(".py") and "\n" not in source:
            script = CRASHES / source
        else:
            script = write_script(tmp_path, source)
        hooked = run_python([str(script), *args], env=clean_env(
            PYDUMPLING_DIR=str(dump_dir), **(env or {})), cwd=tmp_path, timeout=timeout)
        plain = run_python([str(script), *args], cwd=tmp_path, timeout=timeout)
        return hooked, plain, dumps_in(dump_dir)

    return run


# --- hostile inputs (issue 9): every refusal is bounded, one line, no traceback ---------

LIMIT_SECONDS = 5
"""What the issue allows a hostile input to cost: seconds of CPU (the work done, which a
busy machine does not inflate the way it inflates wall time) and peak memory. The
children run under a 2 GiB address-space cap, so that a blow-up fails instead of
swapping, and a wall-clock timeout, so that a hang fails."""
LIMIT_RSS_MB = 500


class Bounded:
    """A finished child: exit status, output, CPU and wall seconds, peak resident memory."""

    def __init__(self, rc: int, stdout: str, stderr: str, seconds: float, rss_mb: float,
                 wall: float) -> None:
        self.rc, self.stdout, self.stderr = rc, stdout, stderr
        self.seconds, self.rss_mb, self.wall = seconds, rss_mb, wall

    def __repr__(self) -> str:
        return (f"<rc={self.rc} {self.seconds:.2f}s cpu {self.wall:.2f}s wall "
                f"{self.rss_mb:.0f}MB stderr={self.stderr[-600:]!r} "
                f"stdout={self.stdout[-300:]!r}>")

    def within_bounds(self) -> bool:
        return self.seconds < LIMIT_SECONDS and self.rss_mb < LIMIT_RSS_MB

    def one_error_line(self) -> bool:
        """Exit 1 or 2 with exactly one ``pydumpling-open: error:`` line, no traceback."""
        lines = self.stderr.splitlines()
        return (self.rc in (1, 2) and len(lines) == 1
                and lines[0].startswith("pydumpling-open: error: ")
                and "internal error" not in lines[0] and "Traceback" not in self.stderr)


def run_bounded(args: list, *, env: dict | None = None, cwd: os.PathLike | None = None,
                input: str = "", timeout: float = 60) -> Bounded:
    """Run ``python ARGS`` and measure it (``measure_child.py``): CPU time and peak RSS;
    killed (and so failing) after ``timeout`` seconds of wall time."""
    import json
    import tempfile

    launcher = Path(__file__).with_name("measure_child.py")
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        report = Path(work, "usage.json")
        proc = subprocess.Popen(
            [sys.executable, str(launcher), str(report), str(timeout), sys.executable, *args],
            env=env or clean_env(), cwd=cwd, stdin=subprocess.PIPE, stdout=out, stderr=err)
        proc.stdin.write(input.encode())
        proc.stdin.close()
        proc.wait(timeout + 60)
        usage = json.loads(report.read_text())
        out.seek(0)
        err.seek(0)
        return Bounded(usage["rc"], out.read().decode("utf-8", "replace"),
                       err.read().decode("utf-8", "replace"),
                       usage["seconds"], usage["rss_mb"], usage["wall"])


def open_dump(path: os.PathLike, *args: str, **kwargs) -> Bounded:
    """``python -m pydumpling_hook PATH ARGS``, measured."""
    return run_bounded(["-m", "pydumpling_hook", str(path), *args], **kwargs)
