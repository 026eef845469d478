"""Dumps written by earlier releases keep opening: every mode, every Python.

``tests/data/format1/`` holds dumps written by the format-1 writer (commit
86ba79e, CPython 3.11) from tests/crashes: readme.py, chains.py, shapes.py
(multiline) and thread.py. ``tests/data/format2/headers.dump`` was written by
``headers.py`` next to it, by the format-2 writer before dicts of strings were
packed (commit 7c72afb). A change that breaks reading them breaks users'
archived crash dumps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import clean_env, dumps_in, run_python

from pydumpling_hook.dumpformat import dumpfile
from pydumpling_hook.loader import load

FORMAT1 = Path(__file__).parent / "data" / "format1"
FORMAT2 = Path(__file__).parent / "data" / "format2"
LAST_LINES = {
    "readme.dump": "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
    "chains.dump": "IndexError: list index out of range",
    "shapes.dump": "ZeroDivisionError: integer division or modulo by zero",
    "thread.dump": "TypeError: unsupported operand type(s) for +=: 'int' and 'NoneType'",
}


@pytest.mark.parametrize("name", sorted(LAST_LINES))
def test_format1_prints_and_exports(name):
    path = FORMAT1 / name
    assert dumpfile.read_header(str(path))["format"] == 1
    printed = run_python(["-m", "pydumpling_hook", "--print", "--locals", str(path)])
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.rstrip().splitlines()[-1] == LAST_LINES[name]
    exported = run_python(["-m", "pydumpling_hook", "--json", str(path)])
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["header"]["format"] == 1


def test_format1_rebuilds_the_crash_for_debuggers():
    dump = load(str(FORMAT1 / "readme.dump"))
    tb = dump.traceback()
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_name == "inner"
    assert tb.tb_frame.f_locals["a"] == 1 and tb.tb_frame.f_locals["b"] == "2"
    assert "ConfigError" in repr(load(str(FORMAT1 / "chains.dump")).exception_object("context"))


def handler_locals(path: Path) -> dict:
    tb = load(str(path)).traceback()
    while tb.tb_frame.f_code.co_name != "handler":
        tb = tb.tb_next
    return tb.tb_frame.f_locals


def test_a_dump_from_before_packing_reads_as_a_packed_one(tmp_path: Path) -> None:
    """The same crash, written before and after dicts of strings were packed, gives
    the debugger the same locals: the old file's dicts were pickled entry by entry."""
    old_file = FORMAT2 / "headers.dump"
    assert b"x-header-0\x00" not in dumpfile._read_section(str(old_file), "snapshot")
    result = run_python([str(FORMAT2 / "headers.py")],
                        env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert result.returncode == 1, result.stderr
    (new_file,) = dumps_in(tmp_path)
    assert b"x-header-0\x00value-0\x00" in dumpfile._read_section(str(new_file), "snapshot")

    old, new = handler_locals(old_file), handler_locals(new_file)
    assert old["headers"] == new["headers"] == {f"x-header-{i}": f"value-{i}" for i in range(40)}
    assert old["alias"] is old["headers"] and new["alias"] is new["headers"]
    assert repr(old["state"]) == repr(new["state"])
    assert "'session': <redacted>" in repr(new["state"])
