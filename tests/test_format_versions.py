"""Dumps written by earlier releases keep opening: every mode, every Python.

``tests/data/format1/`` holds dumps written by the format-1 writer (commit
86ba79e, CPython 3.11) from tests/crashes: readme.py, chains.py, shapes.py
(multiline) and thread.py. A change that breaks reading them breaks users'
archived crash dumps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_python

from pydumpling_hook.dumpformat import dumpfile
from pydumpling_hook.loader import load

FORMAT1 = Path(__file__).parent / "data" / "format1"
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
