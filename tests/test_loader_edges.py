"""The loader's rough edges: --list columns and marks, --latest, .fatal files, --json
budgets, what dir() shows, the session banner and pudb's variables pane."""

from __future__ import annotations

import json
import re
import rlcompleter
import shutil
import socket

import pytest
from conftest import clean_env, dumps_in, run_python
from test_debuggers import APP, LINE_DEBUGGERS, Screen, command, open_session, session_env

from pydumpling_hook.dumpformat import dumpfile

EVERY_REASON = """\
import asyncio, logging, threading
from pydumpling_hook import capture


def in_thread():
    raise KeyError("thread")


threading.Thread(target=in_thread).start()
try:
    {}["logged"]
except KeyError:
    logging.getLogger("app").exception("logged")


@capture
def captured():
    return [][1]


try:
    captured()
except IndexError:
    pass


async def lost():
    raise ValueError("asyncio")


async def main():
    task = asyncio.ensure_future(lost())
    await asyncio.sleep(0.05)
    del task


asyncio.run(main())
1 / 0
"""


def run_open(*args: str, env: dict | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env)


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    out = tmp_path_factory.mktemp("edges")
    script = out / "app.py"
    script.write_text(EVERY_REASON)
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(out / "dumps")))
    return out / "dumps"


def listing(directory) -> list:
    result = run_open("--list", str(directory))
    assert result.returncode == 0 and result.stderr == ""
    return result.stdout.splitlines()


def test_list_has_a_reason_column(directory, tmp_path):
    (tmp_path / "20261125T000000.000000Z-9-MainThread-FatalError.fatal").write_text(
        "Fatal Python error: Aborted\n")
    for dump in dumps_in(directory):
        shutil.copy(dump, tmp_path)
    reasons = sorted(line.split()[2] for line in listing(tmp_path))
    assert reasons == ["asyncio", "capture", "excepthook", "fatal", "logging", "thread"]
    for line in listing(tmp_path):
        assert re.search(r"\s\d+(\.\d)? (B|KiB|MiB)\s", line), line  # human units


def test_list_marks_truncated_and_unreadable_files(directory, tmp_path):
    whole = dumps_in(directory)[0]
    data = whole.read_bytes()
    (tmp_path / whole.name).write_bytes(data[: len(data) - 100])
    (tmp_path / "20200101T000000.000000Z-1-MainThread-Empty.dump").write_bytes(b"")
    empty, cut = sorted(listing(tmp_path), key=lambda line: "Empty" not in line)
    assert "<unreadable: empty file>" in empty
    assert re.search(r"<truncated: [\d.]+ KiB of [\d.]+ KiB> \w+", cut), cut


def test_latest_skips_a_broken_newer_dump_with_one_note(directory, tmp_path):
    good = dumps_in(directory)[0]
    shutil.copy(good, tmp_path)
    newer = tmp_path / "29991231T000000.000000Z-1-MainThread-Cut.dump"
    newer.write_bytes(good.read_bytes()[:300])
    result = run_open("--latest", "--print", env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.returncode == 0
    (note,) = result.stderr.splitlines()
    assert note == f"pydumpling-open: note: skipped {newer}: <unreadable: truncated dump (cut " \
                   "inside the header)>"
    assert result.stdout.startswith("Traceback") or result.stdout.startswith("Exception")


@pytest.mark.parametrize("mode", [[], ["--print"]], ids=["open", "print"])
def test_fatal_file_prints_its_report(tmp_path, mode):
    report = ("Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call "
              "first):\n  File \"/app/native.py\", line 3 in crash\n\x1b[31mred\n")
    fatal = tmp_path / "20261125T000000.000000Z-9-MainThread-FatalError.fatal"
    fatal.write_text(report)
    result = run_open(*mode, str(fatal))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == report.replace("\x1b", "?")  # no terminal escapes from a file


def test_fatal_file_refuses_other_modes_and_says_when_empty(tmp_path):
    fatal = tmp_path / "x.fatal"
    fatal.write_text("")
    result = run_open(str(fatal))
    assert result.returncode == 1 and "empty" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    fatal.write_text("Fatal Python error: Aborted\n")
    result = run_open("--json", str(fatal))
    assert result.returncode == 2 and "plain text" in result.stderr


def _huge_dump(tmp_path):
    """A body whose exception alone is over the export budget."""
    body = {"format": 1, "meta": {"python": "3.12.0", "reason": "logging"},
            "exception": {"type": {"module": "builtins", "qualname": "ValueError", "mro": []},
                          "message": "big", "frames": [{"name": "f", "locals": {
                              f"v{i}": list(range(1000)) for i in range(300)}}]},
            "threads": [{"name": "MainThread", "frames": []}],
            "sources": {"app.py": "print(1)\n"}, "stats": {"redacted": 0}}
    path = tmp_path / "huge.dump"
    path.write_bytes(dumpfile.encode(body, {"exc_type": "ValueError"}))
    return path


def test_json_never_drops_a_section(tmp_path):
    path = _huge_dump(tmp_path)
    result = run_open("--json", str(path))
    assert result.returncode == 0
    document = json.loads(result.stdout)
    body = document["body"]
    assert body["threads"] == [{"name": "MainThread", "frames": []}]
    assert body["sources"] == {"app.py": "print(1)\n"} and body["stats"] == {"redacted": 0}
    assert document["export"]["cut"] == ["exception"] and document["export"]["budget"]
    assert result.stderr.count("\n") == 1 and "--json cut exception" in result.stderr
    full = run_open("--json", "--full", str(path))
    assert full.returncode == 0 and full.stderr == ""
    everything = json.loads(full.stdout)
    assert everything["export"] == {"full": True, "cut": [], "budget": None}
    frame_locals = everything["body"]["exception"]["frames"][0]["locals"]
    assert len(frame_locals) == 300 and frame_locals["v299"] == list(range(1000))


def test_full_needs_json(readme_dump):
    result = run_open("--print", "--full", str(readme_dump))
    assert result.returncode == 2 and "--full goes with --json" in result.stderr


def test_dir_and_completion_show_only_captured_names(crash, tmp_path):
    from pydumpling_hook import load

    result, (path,) = crash(APP)
    dump = load(str(path))
    frames = {f["name"]: f for f in dump.exception["frames"]}
    order = frames["outer"]["locals"]["order"]
    assert dir(order) == ["total"]
    completer = rlcompleter.Completer({"order": order})
    found = []
    while (match := completer.complete("order.", len(found))) is not None:
        found.append(match)
    assert found == ["order.total"]
    private = []
    while (match := completer.complete("order._", len(private))) is not None:
        private.append(match)
    assert not any("pydumpling" in m or "_items" in m or "__len__" in m for m in private)


@pytest.mark.parametrize("debugger", LINE_DEBUGGERS)
def test_every_debugger_opens_with_a_banner(crash, tmp_path, debugger):
    result, (path,) = crash(APP)
    session = open_session(path, tmp_path, debugger)
    banner = next(ln for ln in session.opening.splitlines() if ln.startswith("pydumpling: "))
    host = socket.gethostname()
    assert re.fullmatch(
        r"pydumpling: TypeError: unsupported operand type\(s\) for \+: 'int' and 'str' at "
        r"\S+crash\.py:9 in inner, \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ on (\S+) "
        r"\(pid \d+, excepthook\)", banner.strip()), banner
    assert host.split(".")[0] in banner
    assert session.quit() == 0


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_pudb_expands_an_object_without_an_empty_row(crash, tmp_path):
    result, (path,) = crash(APP)
    screen = Screen(command(path, "--debugger", "pudb"), session_env(tmp_path))
    try:
        screen.wait_for("Variables:")
        screen.keys("u")
        screen.wait_for("order: Order")
        screen.keys("V")
        for _ in range(2):  # d, then order (variables are sorted)
            screen.keys("Down")
        screen.keys("Enter")
        text = screen.wait_for(".total: 12")
        assert "<empty>" not in text
        screen.keys("q")
        assert screen.exit_status() == 0
    finally:
        screen.close()
