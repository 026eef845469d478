"""Packed values (issue 13): dicts of strings as one text, records as one table.

A dict whose keys and values are all plain strings (headers, settings) is written
as ``Value("builtins.dict", text)``: one string instead of one pickle entry per key
and value, which is what made loading a web app's dump slow. A list, or a dict's
values, of plain objects of one type is written as ``Value("records", table)``:
a few flat lists instead of an object each, which is what made capturing wide
data slow. Every reader sees the dict or the objects again; the packing must
change nothing a user or a tool can observe (identity included), must not let a
secret through, and must stay bounded on a hostile file.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import fuzzing
import hostile_dumps as hostile
import pytest
from conftest import clean_env, dumps_in, open_dump, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile, model, packed
from pydumpling_hook.loader import load

HEADERS = {f"x-header-{i}": f"value-{i}" for i in range(200)}

CRASH = """
    def handler():
        headers = {f"x-header-{i}": f"value-{i}" for i in range(200)}
        alias = headers
        small = {f"k{i}": "v" for i in range(model_min - 1)}
        with_nul = {f"k{i}": "a\\x00b" for i in range(40)}
        mixed = {f"k{i}": i for i in range(40)}
        subclass = {Text(f"k{i}"): "v" for i in range(40)}
        empty_texts = {"": ""} | {f"k{i}": "" for i in range(40)}
        raise ValueError("boom")
    class Text(str):
        pass
    model_min = 16
    handler()
"""


def raw_snapshot(path: Path) -> bytes:
    return dumpfile._read_section(str(path), "snapshot")


def crash_once(directory: Path, source: str) -> Path:
    """The dump of a script that raises ``ValueError("boom")``."""
    script = write_script(directory, source)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(directory / "d")))
    assert result.returncode == 1 and "ValueError: boom" in result.stderr
    (dump,) = dumps_in(directory / "d")
    return dump


@pytest.fixture(scope="module")
def packed_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crash_once(tmp_path_factory.mktemp("packed"), CRASH)


def handler_locals(body: dict) -> dict:
    return next(f for f in body["exception"]["frames"] if f["name"] == "handler")["locals"]


def test_a_dict_of_strings_is_stored_as_one_text(packed_dump: Path) -> None:
    raw = raw_snapshot(packed_dump)
    assert b"x-header-0\x00value-0\x00x-header-1\x00value-1\x00" in raw
    assert raw.count(b"x-header-7\x00") == 1  # the alias is the same value, stored once


def test_every_reader_gets_the_dicts_back(packed_dump: Path) -> None:
    body = dumpfile.read_body(str(packed_dump))
    names = handler_locals(body)
    assert names["headers"] == HEADERS and type(names["headers"]) is dict
    assert names["alias"] is names["headers"]
    assert names["with_nul"] == {f"k{i}": "a\x00b" for i in range(40)}
    assert names["mixed"] == {f"k{i}": i for i in range(40)}
    assert names["empty_texts"] == {"": "", **{f"k{i}": "" for i in range(40)}}
    assert len(names["small"]) == 15 and len(names["subclass"]) == 40

    tb = load(str(packed_dump)).traceback()
    while tb.tb_frame.f_code.co_name != "handler":
        tb = tb.tb_next
    live = tb.tb_frame.f_locals
    assert live["headers"] == HEADERS and live["alias"] is live["headers"]
    assert list(live["headers"])[:3] == ["x-header-0", "x-header-1", "x-header-2"]


def test_json_shows_a_packed_dict_as_the_object_it_was(packed_dump: Path) -> None:
    result = open_dump(packed_dump, "--json")
    assert result.rc == 0, result
    frames = json.loads(result.stdout)["body"]["exception"]["frames"]
    names = next(f for f in frames if f["name"] == "handler")["locals"]
    assert names["headers"] == HEADERS
    assert names["with_nul"]["k0"] == "a\x00b"


def test_a_secret_learned_later_is_hidden_inside_a_packed_dict(crash) -> None:
    """The dict is copied (and packed) before the password local is met; the sweep
    unpacks it and hides that entry as a ``Redacted``, not as a masked plain str."""
    result, dumps = crash("""
        def outer():
            settings = {f"option_{i}": f"value-{i}" for i in range(30)}
            settings["note"] = "db login is Very-Secret-9731 for now"
            inner()
        def inner():
            password = "Very-Secret-9731"
            raise ValueError("boom")
        outer()
    """)
    (dump,) = dumps
    assert b"Very-Secret-9731" not in dump.read_bytes()
    assert b"Very-Secret-9731" not in raw_snapshot(dump)
    body = dumpfile.read_body(str(dump))
    settings = next(f for f in body["exception"]["frames"] if f["name"] == "outer")["locals"][
        "settings"]
    assert type(settings) is dict and len(settings) == 31
    assert settings["option_7"] == "value-7"
    assert type(settings["note"]) is model.Redacted
    assert settings["note"].hint == "db login is <redacted> for now"


def test_a_dict_with_a_secret_name_is_redacted_not_packed(crash) -> None:
    result, dumps = crash("""
        def handler():
            form = {f"field_{i}": f"value-{i}" for i in range(30)}
            form["password"] = "Another-Secret-4412"
            raise ValueError("boom")
        handler()
    """)
    (dump,) = dumps
    assert b"Another-Secret-4412" not in dump.read_bytes()
    form = handler_locals(dumpfile.read_body(str(dump)))["form"]
    assert type(form["password"]) is model.Redacted and form["field_3"] == "value-3"


def test_pack_dict_takes_only_exact_strings_without_nul() -> None:
    assert model.pack_dict(HEADERS).data.split("\x00")[:2] == ["x-header-0", "value-0"]
    assert model.pack_dict(dict(list(HEADERS.items())[:15])) is None
    assert model.pack_dict({**HEADERS, "n": 1}) is None
    assert model.pack_dict({**HEADERS, "n": "a\x00"}) is None
    assert model.pack_dict({**HEADERS, model.SEP: "x"}) is None


# --------------------------------------------------------------------------- hostile files


@pytest.fixture(scope="module")
def seed(readme_dump: Path) -> fuzzing.Seed:
    return fuzzing.split("readme", readme_dump.read_bytes())


def with_packed(seed: fuzzing.Seed, tmp_path: Path, **values: object) -> Path:
    path = tmp_path / "hostile.dump"
    path.write_bytes(hostile.with_locals(seed, **values))
    return path


@pytest.mark.parametrize("data", ["odd\x00count\x00of parts", 12, b"k\x00v",
                                  model.TruncatedStr("k\x00v", 10, "\x00x")])
def test_a_text_that_does_not_unpack_is_shown_as_not_rebuilt(
        seed: fuzzing.Seed, tmp_path: Path, data: object) -> None:
    path = with_packed(seed, tmp_path, bad=model.Value(model.PACKED_DICT, data))
    tb = load(str(path)).traceback()
    while tb.tb_next:
        tb = tb.tb_next
    shown = repr(tb.tb_frame.f_locals["bad"])
    assert "builtins.dict value could not be rebuilt" in shown
    result = open_dump(path, "--print", "--locals")
    assert result.rc == 0 and "could not be rebuilt" in result.stdout, result


def test_unpacking_stops_at_the_strings_a_dump_may_make(
        seed: fuzzing.Seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three packed dicts of 40 strings each, against a limit of 100: the third does
    not unpack. (A real file would need 4 million NULs; a few MB on disk.)"""
    monkeypatch.setattr(packed, "MAX_UNPACKED", 100)
    texts = [model.pack_dict({f"{n}-{i}": "v" for i in range(20)}) for n in range(3)]
    path = with_packed(seed, tmp_path, a=texts[0], b=texts[1], c=texts[2])
    names = dumpfile.read_body(str(path))["exception"]["frames"][-1]["locals"]
    assert type(names["a"]) is dict and type(names["b"]) is dict
    assert type(names["c"]) is model.Value


# --------------------------------------------------------------------------- record tables

TABLES = """
    class Row:
        def __init__(self, i):
            self.sku = f"sku-{i}"
            self.price = i * 0.25
            self.stock = i % 17
    def handler():
        rows = [Row(i) for i in range(50)]
        catalog = {f"c-{i}": Row(i) for i in range(30)}
        big = [Row(i) for i in range(3000)]
        picked = rows[7]
        raise ValueError("boom")
    handler()
"""


@pytest.fixture(scope="module")
def table_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crash_once(tmp_path_factory.mktemp("tables"), TABLES)


def test_records_are_stored_as_tables(table_dump: Path) -> None:
    stored = handler_locals(pickle.loads(raw_snapshot(table_dump)))  # our own file: trusted
    big = stored["big"]
    for table in (stored["rows"], stored["catalog"], big.head, big.tail):
        assert type(table) is model.Value and table.kind == model.RECORDS
    assert stored["rows"].data[6] == {7: stored["picked"]}  # only picked keeps its own record
    assert (len(big.head.data[3]), len(big.tail.data[3]), big.total) == (900, 100, 3000)
    assert raw_snapshot(table_dump).count(b"Row object at 0x") == 1


def test_every_reader_gets_the_objects_back(table_dump: Path) -> None:
    tb = load(str(table_dump)).traceback()
    while tb.tb_frame.f_code.co_name != "handler":
        tb = tb.tb_next
    names = tb.tb_frame.f_locals
    rows, catalog, big = names["rows"], names["catalog"], names["big"]
    assert [r.sku for r in rows] == [f"sku-{i}" for i in range(50)]
    assert (rows[9].price, rows[9].stock) == (2.25, 9) and vars(rows[9]) == {
        "sku": "sku-9", "price": 2.25, "stock": 9}
    assert names["picked"] is rows[7]
    assert type(rows[7]) is type(rows[8]) and type(rows[0]).__name__ == "Row"
    assert repr(rows[0]).startswith("<__main__.Row object at 0x")
    assert len({repr(r) for r in rows}) == 50
    assert list(catalog) == [f"c-{i}" for i in range(30)] and catalog["c-4"].stock == 4
    assert len(big) == 3000 and big[0].sku == "sku-0" and big[-1].sku == "sku-2999"

    model_view = handler_locals(dumpfile.read_body(str(table_dump)))
    assert type(model_view["rows"][0]) is model.ObjectSnapshot
    assert model_view["picked"] is model_view["rows"][7]
    assert model_view["big"].head[899].attrs["sku"] == "sku-899"

    printed = open_dump(table_dump, "--print", "--locals")
    assert printed.rc == 0 and "<__main__.Row object at 0x" in printed.stdout, printed


def test_dataclass_and_attrs_records_are_tables_that_keep_their_fields(crash) -> None:
    result, dumps = crash("""
        import dataclasses
        import attr
        @dataclasses.dataclass
        class Point:
            x: int
            y: int
            label: str = dataclasses.field(default="p", repr=False)
        @attr.s
        class Pair:
            a = attr.ib()
            b = attr.ib(repr=False)
        def handler():
            points = [Point(i, -i) for i in range(20)]
            pairs = {f"p{i}": Pair(i, str(i)) for i in range(10)}
            raise ValueError("boom")
        handler()
    """)
    (dump,) = dumps
    stored = handler_locals(pickle.loads(raw_snapshot(dump)))
    assert stored["points"].kind == model.RECORDS and stored["points"].data[7] == ("x", "y")
    assert stored["pairs"].kind == model.RECORDS and stored["pairs"].data[7] == ("a",)
    tb = load(str(dump)).traceback()
    while tb.tb_frame.f_code.co_name != "handler":
        tb = tb.tb_next
    names = tb.tb_frame.f_locals
    assert [repr(p) for p in names["points"][:2]] == ["Point(x=0, y=0)", "Point(x=1, y=-1)"]
    assert names["points"][5].label == "p"
    assert repr(names["pairs"]["p3"]) == "Pair(a=3)" and names["pairs"]["p3"].b == "3"


def test_json_shows_table_rows_as_objects(table_dump: Path) -> None:
    result = open_dump(table_dump, "--json")
    assert result.rc == 0, result
    frames = json.loads(result.stdout)["body"]["exception"]["frames"]
    rows = next(f for f in frames if f["name"] == "handler")["locals"]["rows"]
    assert rows[3]["__type__"] == "__main__.Row"
    assert rows[3]["attrs"] == {"sku": "sku-3", "price": 0.75, "stock": 3}


def test_mappings_of_records_keep_their_type(crash) -> None:
    """An OrderedDict or Counter of records is rebuilt as one, not as a plain dict of a
    table; and a second reference to it is the same object, not a placeholder."""
    result, dumps = crash("""
        import collections
        class Row:
            def __init__(self, i):
                self.i = i
        def handler():
            ordered = collections.OrderedDict((f"k{i}", Row(i)) for i in range(12))
            again = ordered
            class Sub(dict):
                pass
            sub = Sub((f"s{i}", Row(i)) for i in range(12))
            raise ValueError("boom")
        handler()
    """)
    (dump,) = dumps
    tb = load(str(dump)).traceback()
    while tb.tb_frame.f_code.co_name != "handler":
        tb = tb.tb_next
    names = tb.tb_frame.f_locals
    assert type(names["ordered"]).__name__ == "OrderedDict"
    assert names["again"] is names["ordered"] and names["ordered"]["k3"].i == 3
    assert len(names["sub"]) == 12 and names["sub"]["s4"].i == 4


def test_a_secret_learned_later_is_hidden_inside_a_table(crash) -> None:
    result, dumps = crash("""
        class Row:
            def __init__(self, i):
                self.label = f"row {i}"
                self.comment = "plain"
        def outer():
            rows = [Row(i) for i in range(20)]
            rows[5].comment = "login Very-Secret-5521 here"
            inner()
        def inner():
            password = "Very-Secret-5521"
            raise ValueError("boom")
        outer()
    """)
    (dump,) = dumps
    assert b"Very-Secret-5521" not in dump.read_bytes()
    assert b"records" in raw_snapshot(dump)
    body = dumpfile.read_body(str(dump))
    rows = next(f for f in body["exception"]["frames"] if f["name"] == "outer")["locals"]["rows"]
    assert rows[4].attrs == {"label": "row 4", "comment": "plain"}
    assert type(rows[5].attrs["comment"]) is model.Redacted
    assert rows[5].attrs["comment"].hint == "login <redacted> here"


def _table(**changes: object) -> model.Value:
    data = {"module": "app", "qualname": "Row", "names": ("a", "b"), "ids": [16, 32],
            "values": [1, "x", 2, "y"], "keys": None, "shared": {}}
    data.update(changes)
    return model.Value(model.RECORDS, tuple(data.values()))


def test_a_well_formed_table_opens(seed: fuzzing.Seed, tmp_path: Path) -> None:
    path = with_packed(seed, tmp_path, good=_table(keys=["k1", "k2"]))
    names = dumpfile.read_body(str(path))["exception"]["frames"][-1]["locals"]
    assert [(k, v.repr, v.attrs) for k, v in names["good"].items()] == [
        ("k1", "<app.Row object at 0x10>", {"a": 1, "b": "x"}),
        ("k2", "<app.Row object at 0x20>", {"a": 2, "b": "y"})]


@pytest.mark.parametrize("table", [
    _table(values=[1, "x", 2]),
    _table(names=("a", 5)),
    _table(names=()),
    _table(names=["a", "b"]),
    _table(ids=[16, "32"]),
    _table(keys=["only one"]),
    _table(keys=[[1], [2]]),
    _table(module=None),
    _table(shared=[]),
    model.Value(model.RECORDS, ("app", "Row")),
    model.Value(model.RECORDS, "table"),
    model.Value(model.RECORDS, (*_table().data, "a")),
    model.Value(model.RECORDS, (*_table().data, ("a",), "extra")),
], ids=["values", "name type", "no names", "names list", "id type", "keys", "unhashable keys",
        "module", "shared", "short", "text", "fields text", "long"])
def test_a_table_that_does_not_unpack_is_shown_as_not_rebuilt(
        seed: fuzzing.Seed, tmp_path: Path, table: model.Value) -> None:
    path = with_packed(seed, tmp_path, bad=table)
    tb = load(str(path)).traceback()
    while tb.tb_next:
        tb = tb.tb_next
    assert "records value could not be rebuilt" in repr(tb.tb_frame.f_locals["bad"])


def test_a_table_with_fields_opens(seed: fuzzing.Seed, tmp_path: Path) -> None:
    path = with_packed(seed, tmp_path, good=model.Value(model.RECORDS, (*_table().data, ("a",))))
    tb = load(str(path)).traceback()
    while tb.tb_next:
        tb = tb.tb_next
    assert [repr(row) for row in tb.tb_frame.f_locals["good"]] == ["Row(a=1)", "Row(a=2)"]


def test_table_keys_that_all_hash_alike_are_refused(seed: fuzzing.Seed, tmp_path: Path) -> None:
    """As the pre-walk refuses such a dict: building it would take quadratic time."""
    count = 20_000
    table = _table(names=("a",), ids=list(range(count)), values=[0] * count,
                   keys=[k * (2**61 - 1) for k in range(1, count + 1)])
    path = with_packed(seed, tmp_path, bad=table)
    names = dumpfile.read_body(str(path))["exception"]["frames"][-1]["locals"]
    assert type(names["bad"]) is model.Value


def test_tables_stop_at_the_values_a_dump_may_make(
        seed: fuzzing.Seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packed, "MAX_UNPACKED", 20)
    tables = {name: _table() for name in "abcd"}  # 4 values and 2 rows each: 8 of 20
    path = with_packed(seed, tmp_path, **tables)
    names = dumpfile.read_body(str(path))["exception"]["frames"][-1]["locals"]
    assert [type(names[n]).__name__ for n in "abcd"] == ["list", "list", "Value", "Value"]
