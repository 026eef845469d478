"""``--print`` against the oracle: the stderr of the same crash without the hook.

Every scenario script in ``tests/crashes`` is run twice with this venv's
Python: once plain (what CPython prints is the expected output) and once with
PYDUMPLING_DIR set (the dump). ``pydumpling-open --print`` of the dump must
reproduce the plain stderr exactly, frame by frame. A second set of tests
prints dumps made by the *other* venvs' Pythons, to check that the rules of
the Python that made the dump are followed, not the loader's.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRASHES, clean_env, dumps_in, run_python, strip_notice

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    ("readme.py",),
    ("chains.py",),
    ("recursion.py",),
    ("notes.py",),
    ("groups.py",),
    ("thread.py",),
    ("thread_shapes.py",),
    ("main_shapes.py",),
    *[("shapes.py", k) for k in (
        "brackets", "multiline", "parens", "wide", "empty", "syntax", "multi_message", "assign",
    )],
]


def open_cmd(*args: str) -> list:
    """The installed console script when there is one, else ``-m pydumpling_hook``."""
    script = Path(sys.executable).with_name("pydumpling-open")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "pydumpling_hook", *args]


def frames(text: str) -> list:
    """Split a traceback into blocks that each start at a ``File`` line (for readable diffs)."""
    return re.split(r"(?m)^(?=\s*(?:\| )?\s*File )", text)


def assert_same_traceback(expected: str, got: str) -> None:
    if expected == got:
        return
    for index, (want, have) in enumerate(zip(frames(expected), frames(got))):
        assert have == want, f"block {index} differs:\n" + "".join(
            difflib.unified_diff(want.splitlines(True), have.splitlines(True), "python", "--print")
        )
    assert got == expected  # same blocks, different count: show the whole thing


def crash_and_print(python: str, scenario: tuple, tmp_path: Path) -> tuple:
    """(stderr of the plain run, --print of the dump of the hooked run)."""
    script = [str(CRASHES / scenario[0]), *scenario[1:]]
    plain = subprocess.run([python, *script], env=clean_env(), capture_output=True, text=True,
                           timeout=60)
    dump_dir = tmp_path / "dumps"
    hooked = subprocess.run([python, *script], env=clean_env(PYDUMPLING_DIR=str(dump_dir)),
                            capture_output=True, text=True, timeout=60)
    assert strip_notice(hooked.stderr) == plain.stderr  # the hook changes nothing it prints
    dumps = dumps_in(dump_dir)
    assert len(dumps) == 1, hooked.stderr
    if scenario[-1] == "syntax":
        from pydumpling_hook.dumpformat.dumpfile import read_body

        if "args" not in read_body(str(dumps[0]))["exception"]:
            pytest.xfail("capture does not record SyntaxError.args yet (see FORMAT.md EXC.args)")
    printed = subprocess.run(open_cmd("--print", str(dumps[0])), env=clean_env(),
                             capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0 and printed.stderr == "", printed.stderr
    return plain.stderr, printed.stdout


def _skip_unsupported(python_version: tuple, scenario: tuple) -> None:
    if scenario[0] == "groups.py" and python_version < (3, 11):
        pytest.skip("exception groups need 3.11")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: "-".join(s).replace(".py", ""))
def test_print_matches_python(scenario: tuple, tmp_path: Path) -> None:
    _skip_unsupported(sys.version_info[:2], scenario)
    expected, got = crash_and_print(sys.executable, scenario, tmp_path)
    assert expected.count("File ") >= 1
    assert_same_traceback(expected, got)


def _other_pythons() -> list:
    here = Path(sys.executable).resolve()
    found = []
    for venv in sorted((ROOT / ".venvs").glob("3.*")):
        python = venv / "bin" / "python"
        if python.exists() and python.resolve() != here:
            found.append(python)
    return found


@pytest.mark.parametrize("python", _other_pythons(), ids=lambda p: p.parent.parent.name)
@pytest.mark.parametrize("scenario", [("readme.py",), ("chains.py",), ("groups.py",),
                                      ("shapes.py", "multiline"), ("thread_shapes.py",),
                                      ("main_shapes.py",)],
                         ids=lambda s: "-".join(s).replace(".py", ""))
def test_print_follows_the_dumping_python(python: Path, scenario: tuple, tmp_path: Path) -> None:
    version = tuple(int(x) for x in python.parent.parent.name.split("."))
    _skip_unsupported(version, scenario)
    script = [str(CRASHES / scenario[0]), *scenario[1:]]
    plain = subprocess.run([str(python), *script], env=clean_env(), capture_output=True,
                           text=True, timeout=60)
    dump_dir = tmp_path / "dumps"
    subprocess.run([str(python), *script], env=clean_env(PYDUMPLING_DIR=str(dump_dir)),
                   capture_output=True, text=True, timeout=60)
    (dump,) = dumps_in(dump_dir)
    printed = run_python(["-m", "pydumpling_hook", "--print", str(dump)])
    assert printed.returncode == 0, printed.stderr
    assert_same_traceback(plain.stderr, printed.stdout)


def test_thread_crash_has_threading_header(tmp_path: Path) -> None:
    expected, got = crash_and_print(sys.executable, ("thread.py",), tmp_path)
    assert got.startswith("Exception in thread worker-1:\nTraceback (most recent call last):\n")
    assert got == expected


def test_locals_are_listed_and_bounded(tmp_path: Path) -> None:
    script = tmp_path / "big.py"
    script.write_text(
        "def inner(a, b):\n"
        "    blob = 'x' * 10000\n"
        "    c = a + b\n"
        "def outer():\n"
        "    d = 4\n"
        "    inner(1, '2')\n"
        "outer()\n"
    )
    dump_dir = tmp_path / "dumps"
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    (dump,) = dumps_in(dump_dir)
    result = run_python(["-m", "pydumpling_hook", "--print", "--locals", str(dump)])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "    a = 1" in lines and "    b = '2'" in lines and "    d = 4" in lines
    blob = next(line for line in lines if line.startswith("    blob = "))
    assert len(blob) <= len("    blob = ") + 200 and blob.endswith("…")
    # the variables follow their frame's source line, as traceback's capture_locals does
    assert lines.index("    d = 4") < lines.index("    a = 1")


def test_print_after_the_script_is_deleted(tmp_path: Path) -> None:
    script = tmp_path / "gone.py"
    script.write_text((CRASHES / "readme.py").read_text())
    expected = run_python([str(script)]).stderr
    dump_dir = tmp_path / "dumps"
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    script.unlink()
    (dump,) = dumps_in(dump_dir)
    result = run_python(["-m", "pydumpling_hook", "--print", str(dump)])
    assert result.stdout == expected
    assert "    c = a + b\n" in result.stdout


def test_print_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    dump_dir = tmp_path / "dumps"
    run_python([str(CRASHES / "recursion.py")], env=clean_env(PYDUMPLING_DIR=str(dump_dir)))
    (dump,) = dumps_in(dump_dir)
    command = " ".join(open_cmd("--print", "--locals", str(dump)))
    for _ in range(3):  # the race between head exiting and our writes varies
        result = subprocess.run(f"{command} | head -n 1", shell=True, env=clean_env(),
                                capture_output=True, text=True, timeout=60)
        assert result.stdout == "Traceback (most recent call last):\n"
        assert result.stderr == ""


# ----------------------------------------------------------------------------- unit level


def _printed(body: dict) -> str:
    from pydumpling_hook.loader.printing import format_body

    return "".join(format_body(body))


def _frame(name: str, lineno: int, filename: str = "app.py") -> dict:
    return {"filename": filename, "name": name, "lineno": lineno, "positions": None}


def test_cut_frames_inside_a_recursion_count_as_repeats() -> None:
    frames = [_frame("<module>", 1)] + [_frame("down", 2)] * 10
    exc = {"type": {"module": "builtins", "qualname": "RecursionError"}, "message": "deep",
           "frames": frames, "frames_cut": 985, "cut_at": 6}
    body = {"meta": {"python": "3.12.1"}, "exception": exc, "sources": {}}
    out = _printed(body)
    assert "[Previous line repeated 992 more times]" in out
    assert "not captured" not in out


def test_cut_frames_elsewhere_are_announced() -> None:
    frames = [_frame("a", 1), _frame("b", 2)]
    exc = {"type": {"module": "builtins", "qualname": "ValueError"}, "message": "",
           "frames": frames, "frames_cut": 7, "cut_at": 1}
    out = _printed({"meta": {"python": "3.13.0"}, "exception": exc, "sources": {}})
    assert "  [... 7 frames not captured ...]\n" in out
    assert out.endswith("ValueError\n")


def test_cyclic_context_terminates() -> None:
    first = {"type": {"module": "builtins", "qualname": "KeyError"}, "message": "1",
             "frames": []}
    second = {"type": {"module": "builtins", "qualname": "ValueError"}, "message": "2",
              "frames": [], "context": first}
    first["context"] = second
    out = _printed({"meta": {"python": "3.12.1"}, "exception": second, "sources": {}})
    assert out.count("KeyError: 1") == 1 and out.count("ValueError: 2") == 1
