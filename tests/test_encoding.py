"""How capture encodes a dump: the header's JSON and the choice of compression.

Capture writes the header without ``json`` and picks zlib's level per body;
whatever it picks, the file must read back with the one reader every version
has (``dumpfile.read_header`` / ``read_body``).
"""

from __future__ import annotations

import json
import os

import pytest

from pydumpling_hook.dumpformat import dumpfile


def _write(tmp_path, body: dict, summary: dict | None = None) -> str:
    path = tmp_path / "x.dump"
    path.write_bytes(dumpfile.encode(body, summary or {}))
    return str(path)


@pytest.mark.parametrize("text", ["plain ascii", 'quote " and \\ backslash', "tab\tnewline\n",
                                  "accents éà and ☃", "nul \x00 and \x7f", "lone \udc80 surrogate",
                                  ""])
def test_header_strings_read_back_as_written(tmp_path, text):
    path = _write(tmp_path, {"meta": {}}, {"message": text, "site": f"{text}:1"})
    summary = dumpfile.read_header(path)["summary"]
    assert summary == {"message": text, "site": f"{text}:1"}


def test_header_is_what_json_would_write(tmp_path):
    summary = {"exc_type": "KeyError", "pid": 12, "ok": True, "none": None, "ratio": 0.5,
               "list": [1, "two"], "message": "it's \"quoted\""}
    path = _write(tmp_path, {"meta": {}}, summary)
    raw = open(path, "rb").read()
    size = int.from_bytes(raw[len(dumpfile.MAGIC):len(dumpfile.MAGIC) + 4], "big")
    header = raw[len(dumpfile.MAGIC) + 4:len(dumpfile.MAGIC) + 4 + size]
    assert json.loads(header)["summary"] == summary


def _section(path: str) -> dict:
    (entry,) = dumpfile.read_header(path)["sections"]
    return entry


def test_a_big_body_that_does_not_compress_is_stored(tmp_path):
    blob = os.urandom(4 * dumpfile.SAMPLE)
    path = _write(tmp_path, {"meta": {}, "blob": blob})
    entry = _section(path)
    assert entry["codec"] == "zlib"
    assert entry["length"] >= entry["raw_length"]  # stored blocks: no shrinking at all
    assert dumpfile.read_body(path)["blob"] == blob


def test_a_big_body_that_shrinks_fourfold_is_compressed(tmp_path):
    values = [f"item {i % 100}" for i in range(50_000)]
    path = _write(tmp_path, {"meta": {}, "values": values})
    entry = _section(path)
    assert entry["raw_length"] > dumpfile.SAMPLE
    assert entry["length"] < entry["raw_length"] / 4
    assert dumpfile.read_body(path)["values"] == values


def test_a_big_body_that_shrinks_less_is_stored(tmp_path):
    values = list(range(0, 10**9, 7919))[:100_000]  # distinct ints: zlib gets to ~40%
    path = _write(tmp_path, {"meta": {}, "values": values})
    entry = _section(path)
    assert entry["raw_length"] > dumpfile.SAMPLE
    assert entry["length"] >= entry["raw_length"]
    assert dumpfile.read_body(path)["values"] == values


def test_a_big_body_is_judged_by_more_than_its_start(tmp_path):
    """Its first 80 KB shrink to nothing, the 512 KB after them not at all."""
    blob = os.urandom(8 * dumpfile.SAMPLE)
    path = _write(tmp_path, {"meta": {}, "text": "x" * 80_000, "blob": blob})
    entry = _section(path)
    assert entry["length"] >= entry["raw_length"]
    assert dumpfile.read_body(path)["blob"] == blob


def test_a_small_body_is_compressed_whatever_it_holds(tmp_path):
    blob = os.urandom(dumpfile.SAMPLE // 4)
    path = _write(tmp_path, {"meta": {}, "text": "x" * 5000, "blob": blob})
    entry = _section(path)
    assert entry["length"] < entry["raw_length"]
    assert dumpfile.read_body(path)["blob"] == blob
