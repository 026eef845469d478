"""Dicts of strings travel packed into one text (issue 13) and come back as the dicts.

A dict whose keys and values are all plain strings (headers, settings) is written
as ``Value("builtins.dict", text)``: one string instead of one pickle entry per key
and value, which is what made loading a web app's dump slow. Every reader sees
the dict again; the packing must change nothing a user or a tool can observe,
must not let a secret through, and must stay bounded on a hostile file.
"""

from __future__ import annotations

import json
from pathlib import Path

import fuzzing
import pytest
from conftest import clean_env, dumps_in, open_dump, run_python, write_script

from pydumpling_hook.dumpformat import dumpfile, model
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


@pytest.fixture(scope="module")
def packed_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("packed")
    script = write_script(directory, CRASH)
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(directory / "d")))
    assert result.returncode == 1 and "ValueError: boom" in result.stderr
    (dump,) = dumps_in(directory / "d")
    return dump


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
    body = seed.body()
    body["exception"]["frames"][-1]["locals"].update(values)
    path = tmp_path / "hostile.dump"
    path.write_bytes(fuzzing.encode_body(seed, body))
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
    monkeypatch.setattr(dumpfile, "MAX_UNPACKED", 100)
    texts = [model.pack_dict({f"{n}-{i}": "v" for i in range(20)}) for n in range(3)]
    path = with_packed(seed, tmp_path, a=texts[0], b=texts[1], c=texts[2])
    names = dumpfile.read_body(str(path))["exception"]["frames"][-1]["locals"]
    assert type(names["a"]) is dict and type(names["b"]) is dict
    assert type(names["c"]) is model.Value
