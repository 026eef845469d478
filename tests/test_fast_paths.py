"""The capture's shortcuts give what the long way gives.

Capture takes C-speed paths where it can (the environment read from the bytes
``os`` keeps, namespaces of plain values copied with ``dict()``, the globals of
a recursion copied once, no ``threading`` import). Each test compares a
shortcut with the result it stands for.
"""

from __future__ import annotations

import os

import pytest
from conftest import clean_env, run_python

from pydumpling_hook import config
from pydumpling_hook.engine import process
from pydumpling_hook.engine.copier import Copier
from pydumpling_hook.engine.redact import Redactor


def test_environment_is_environ_and_environb(monkeypatch):
    monkeypatch.setenv("PYDUMPLING_TEST_TEXT", "caf\u00e9 and a lone \udcff byte")
    expected = dict(os.environ)
    expected.update(getattr(os, "environb", {}))
    assert process.environment() == expected


def _copier(**env: str) -> Copier:
    return Copier(config.Budgets(), Redactor(True, (), env))


def test_plain_namespace_is_copied_whole_and_counted():
    ns = {"a": 1, "b": 2.5, "c": "text", "d": None}
    copier = _copier()
    copy = copier.copy_namespace(ns)
    assert copy == ns and copy is not ns
    assert copier.spent > 0


@pytest.mark.parametrize("ns", [{"password": "hunter2", "a": 1},
                                {"a": "a-known-environment-value"},
                                {"a": [1, 2], "b": 3}])
def test_namespaces_that_need_a_look_still_get_one(ns):
    copier = _copier(SECRET="a-known-environment-value")
    copy = copier.copy_namespace(ns)
    redacted = [k for k, v in copy.items() if type(v).__name__ == "Redacted"]
    if "password" in ns or "a-known-environment-value" in ns.values():
        assert redacted
    else:
        assert copy == ns and copy["a"] is not ns["a"]


def test_dict_of_objects_keeps_its_keys_once():
    class Item:
        def __init__(self, i):
            self.i = i

    value = {f"k{i}": Item(i) for i in range(5)}
    copier = _copier()
    copy = copier.copy(value)
    assert list(copy) == list(value)
    assert [o.attrs for o in copy.values()] == [{"i": i} for i in range(5)]


def test_recursion_frames_share_one_globals_copy(tmp_path):
    script = tmp_path / "deep.py"
    script.write_text(
        "LIMIT = 30\n"
        "def down(n):\n"
        "    if n == LIMIT:\n"
        "        raise ValueError(n)\n"
        "    return down(n + 1)\n"
        "down(0)\n")
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "dumps")))
    (dump,) = (tmp_path / "dumps").glob("*.dump")
    from pydumpling_hook.loader import load

    frames = [f for f in load(str(dump)).exception["frames"] if f["name"] == "down"]
    assert len(frames) == 31
    assert all(f["globals"] is frames[0]["globals"] for f in frames)
    assert frames[0]["globals"]["LIMIT"] == 30
    assert [f["locals"]["n"] for f in frames] == list(range(31))


def test_a_program_without_threading_is_named_main_thread(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text("import sys\nassert 'threading' not in sys.modules\nraise KeyError('x')\n")
    done = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(tmp_path / "dumps")))
    assert "KeyError" in done.stderr and "AssertionError" not in done.stderr
    (dump,) = (tmp_path / "dumps").glob("*.dump")
    assert "-MainThread-KeyError" in dump.name
    from pydumpling_hook.loader import load

    assert load(str(dump)).meta["thread"] == "MainThread"
