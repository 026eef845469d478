"""The capture's shortcuts give what the long way gives.

Capture takes C-speed paths where it can (the environment read from the bytes
``os`` keeps, namespaces of plain values copied with ``dict()``, the globals of
a recursion copied once, no ``threading`` import). Each test compares a
shortcut with the result it stands for.
"""

from __future__ import annotations

import dataclasses
import os

import pytest
from conftest import clean_env, run_python

from pydumpling_hook import config
from pydumpling_hook.dumpformat import model, packed
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


class Row:
    def __init__(self, i, **extra):
        self.sku = f"sku-{i}"
        self.price = i * 0.25
        self.stock = i % 17
        self.__dict__.update(extra)


class Other(Row):
    pass


def _shape(value):
    """A copy as comparable data: snapshots by names, repr, attributes and note."""
    kind = type(value).__name__
    if kind == "RecordTable":
        return _shape(packed.unpack_records(value.data, model.ObjectSnapshot, 10**9))
    if kind == "ObjectSnapshot":
        return (value.module, value.qualname, value.repr, _shape(value.attrs), value.note,
                value.fields, tuple(value.attrs or ()))  # the attributes' order too
    if kind == "Redacted":
        return ("redacted", value.rule, value.hint)
    if kind == "CutContainer":
        return ("cut", value.kind, value.total, _shape(value.head), _shape(value.tail))
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def _both_ways(monkeypatch, value, budgets=None, **env):
    """The copy of ``value`` with the records batch, and the long way, one by one."""
    from pydumpling_hook.engine import containers

    def copy():
        copier = Copier(budgets or config.Budgets(), Redactor(True, (), env))
        return _shape(copier.copy(value)), copier.spent, copier.redactor.counts

    batch = copy()
    monkeypatch.setattr(containers, "RECORDS_AT_LEAST", 10 ** 9)
    return batch, copy()


def test_records_are_copied_at_once_as_they_would_be_one_by_one(monkeypatch):
    rows = [Row(i) for i in range(50)]
    value = {"list": rows, "catalog": {r.sku: r for r in rows[::-1]}, "again": rows[3]}
    batch, slow = _both_ways(monkeypatch, value)
    assert batch == slow
    assert batch[0]["list"][0][3] == {"sku": "sku-0", "price": 0.0, "stock": 0}


@pytest.mark.parametrize("case", ["secret name", "secret value", "environment value",
                                  "two types", "twice", "nested", "no attributes"])
def test_records_that_need_a_look_are_copied_one_by_one(monkeypatch, case):
    rows = [Row(i) for i in range(20)]
    if case == "secret name":
        rows = [Row(i, api_token=f"tok-{i}-abcdefgh") for i in range(20)]
    elif case == "secret value":
        rows[7].sku = "Bearer abcdef0123456789xyz"
    elif case == "environment value":
        rows[7].sku = "a-known-environment-value"
    elif case == "two types":
        rows[7] = Other(7)
    elif case == "twice":
        rows[7] = rows[3]
    elif case == "nested":
        rows[7].tags = ["a", "b"]
    elif case == "no attributes":
        for row in rows:
            row.__dict__.clear()
    batch, slow = _both_ways(monkeypatch, rows, SECRET="a-known-environment-value")
    assert batch == slow
    if case.startswith("secret") or case == "environment value":
        assert sum(batch[2].values()) >= 1


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = dataclasses.field(default="p", repr=False)


@dataclasses.dataclass(init=False)
class Reordered:
    """Its instances hold the fields in another order than the class declares."""

    x: int
    y: int

    def __init__(self, i):
        self.y, self.x = i, -i


@pytest.mark.parametrize("make", [lambda i: Point(i, -i), lambda i: Point(i, -i, f"p{i}"),
                                  Reordered], ids=["dataclass", "labels", "reordered"])
def test_dataclass_records_are_tabled_as_they_would_be_one_by_one(monkeypatch, make):
    points = [make(i) for i in range(30)]
    value = {"list": points, "by_name": {f"k{i}": p for i, p in enumerate(points[::-1])},
             "again": points[4]}
    batch, slow = _both_ways(monkeypatch, value)
    assert batch == slow
    assert batch[0]["list"][0][5] == ("x", "y")


class LooksLikeADataclass:
    __dataclass_fields__ = {"x": object()}

    def __init__(self, i):
        self.x = i


def test_a_class_that_only_looks_like_a_dataclass_is_still_copied():
    copy = _shape(_copier().copy([LooksLikeADataclass(i) for i in range(10)]))
    assert [row[3] for row in copy] == [{"x": i} for i in range(10)]


def test_records_over_the_budget_are_cut_as_one_by_one(monkeypatch):
    rows = [Row(i) for i in range(200)]
    budgets = config.Budgets(total=4000)
    batch, slow = _both_ways(monkeypatch, [rows, rows[:100]], budgets)
    assert batch == slow
    assert any(s[4] == "size budget spent" for s in batch[0][0])


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
