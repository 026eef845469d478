"""The reader's pre-walk (``dumpformat/prewalk.py``) on small pickles, rule by rule.

Every rule is shown from both sides: what a real pickler writes for a value a
capture can hold passes, and the hostile variant is refused with its message.
The end-to-end tests of the same attacks are in ``test_hostile_files.py``.
"""

from __future__ import annotations

import pickle
import struct

import pytest

from pydumpling_hook.dumpformat import dumpfile, model, prewalk, stackmodel
from pydumpling_hook.dumpformat.keys import MAX_EQUAL_HASHES

PRIME = (1 << 61) - 1


def walk(data: bytes) -> None:
    prewalk.walk(data, dumpfile._CALLABLES)


def refused(data: bytes, words: str) -> None:
    with pytest.raises(pickle.UnpicklingError, match=words):
        walk(data)


def snapshot() -> model.ObjectSnapshot:
    snap = model.ObjectSnapshot("app", "Order", "<Order>")
    snap.attrs, snap.items, snap.note = {"total": 3}, [1, 2], "note"
    return snap


STRINGS = [f"s{i}" for i in range(600)]
"""Memoized past index 255, so that their second use is a LONG_BINGET."""

LEGIT = [
    None, True, 1, -1, 2 ** 80, 1.5, complex(1, -2), "text", b"bytes", bytearray(b"ba"),
    [1, [2, [3]]], (1, (2, (3,))), {"a": {"b": 1}}, {1, 2, 3}, frozenset({1, (2, 3)}),
    {(1, "x"): 1, (2, "y"): 2}, {-1: "minus one", -2: "minus two", PRIME: "p", 0: "z"},
    slice(1, 2, 3), Ellipsis, NotImplemented, model.Cut(5), model.Redacted(),
    model.TruncatedStr("abc", 10), model.TruncatedBytes(b"ab", 3, "bytearray"), snapshot(),
    {"shared": [snapshot()] * 3}, list(range(5000)), {i: i for i in range(5000)},
    [float(i) for i in range(300)], [(i, i + 1) for i in range(300, 600)],
    {(i, i + 1): i for i in range(300, 600)}, [STRINGS, STRINGS[::-1], {s: s for s in STRINGS}],
]


@pytest.mark.parametrize("value", LEGIT, ids=range(len(LEGIT)))
def test_what_a_capture_writes_passes(value) -> None:
    data = pickle.dumps(value, protocol=dumpfile.PICKLE_PROTOCOL)
    walk(data)
    assert repr(pickle.loads(data)) == repr(value)


def test_cycles_and_sharing_pass() -> None:
    loop: list = []
    loop.append(loop)
    shared = {"x": 1}
    walk(pickle.dumps({"loop": loop, "a": shared, "b": shared}, protocol=5))


def test_nesting_of_hashable_values() -> None:
    fine = None
    for _ in range(prewalk.MAX_HASHABLE_DEPTH):
        fine = (fine,)
    walk(pickle.dumps({fine: 1}, protocol=5))
    refused(b"\x80\x05}N" + b"\x85" * 101 + b"Ns.", "nested more than 100 deep")
    refused(b"\x80\x05(" * 1 + b"(" * 101 + b"N" + b"\x91" * 101 + b"t.", "nested")
    deep_lists = b"\x80\x05" + b"]" * 10_000 + b"a" * 9_999 + b"."
    walk(deep_lists)  # lists are never hashed: their depth is the readers' business


def _long(value: int) -> bytes:
    data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


@pytest.mark.parametrize("keys", [
    [_long(k * PRIME) for k in range(1, 40)],
    [b"G" + struct.pack(">d", 2.0 ** (61 * (k % 16 + 1))) for k in range(40)],
    [b"(" + _long(k * PRIME) + b"\x8c\x01at" for k in range(1, 40)],
])
def test_colliding_keys(keys: list) -> None:
    refused(b"\x80\x05}(" + b"".join(k + b"N" for k in keys) + b"u.", "same hash")
    refused(b"\x80\x05\x8f(" + b"".join(keys) + b"\x90.", "same hash")
    walk(b"\x80\x05}(" + b"".join(k + b"N" for k in keys[:MAX_EQUAL_HASHES]) + b"u.")


def test_equal_hashes_count_per_container() -> None:
    """Thirty keys in each of two dicts: no dict has more than 32."""
    one = b"}(" + b"".join(_long(k * PRIME) + b"N" for k in range(1, 31)) + b"u"
    walk(b"\x80\x05(" + one + one + b"l.")


def test_values_and_memory() -> None:
    refused(b"\x80\x05](" + b"N" * (prewalk.MAX_ITEMS + 1) + b"e.", "4,000,000 values")
    refused(b"\x80\x05](" + b"\x8f" * 2_000_000 + b"e.", "over 300 MB")
    walk(b"\x80\x05](" + b"N" * 100_000 + b"e.")
    refused(b"\x80\x05](" + b"M\x01\x00" * (prewalk.MAX_ITEMS + 1) + b"e.", "4,000,000 values")
    refused(b"\x80\x05](" + b"\x8c\x00\x94" * (prewalk.MAX_ITEMS + 1) + b"e.",
            "4,000,000 values")


def test_a_run_of_numbers_goes_only_into_a_list() -> None:
    run = b"M\x01\x00" * 10
    walk(b"\x80\x05](" + run + b"e.")
    refused(b"\x80\x05}(" + run + b"e.", "wrong kind")
    refused(b"\x80\x05]((" + run + b"e.", "underflow")
    refused(b"\x80\x05(" + run + b"e.", "underflow|wrong kind")


def test_state_only_on_snapshots() -> None:
    model_global = b"\x8c\x20pydumpling_hook.dumpformat.model\x8c\x03Cut\x93"
    refused(b"\x80\x05" + model_global + b"N}\x8c\x0c__defaults__Ns\x86b.", "BUILD")
    refused(b"\x80\x05" + model_global + b"K\x01\x85R}b.", "BUILD")
    refused(b"\x80\x05]}b.", "BUILD")


@pytest.mark.parametrize("blob, words", [
    (b"cbuiltins\nset\n)R.", "refused to load builtins.set"),
    (b"cos\nsystem\n.", "refused to load os.system"),
    (b"cbuiltins\nEllipsis\n)R.", "not part of the format"),
    (b"cbuiltins\ncomplex\n\x8c\x011\x85R.", "not part of the format"),
    (b"cbuiltins\ncomplex\n)\x81.", "NEWOBJ"),
    (b"(cbuiltins\nslice\no.", "INST and OBJ"),
    (b"(K\x01ios\nsystem\n.", "refused to load os.system"),
    (b"Pid\n.", "persistent ids"),
    (b"\x82\x01.", "not part of the format"),
    (b"]K\x01K\x02s.", "SETITEM applied to the wrong kind"),
    (b"}K\x01a.", "APPEND applied to the wrong kind"),
    (b"I" + b"9" * 5000 + b"\n.", "4300 digits"),
    (b"]r\x00\x00\x00\x04.", "memo index out of order"),
    (b"h\x05.", "memo key 5 not found"),
    (b"\x8e" + (1 << 40).to_bytes(8, "little"), "truncated"),
    (b"N", "truncated"),
    (b"\xff.", "invalid opcode"),
])
def test_what_the_format_never_writes(blob: bytes, words: str) -> None:
    refused(b"\x80\x05" + blob, words)


SNAPSHOT_TYPE = b"\x8c\x20pydumpling_hook.dumpformat.model\x8c\x0eObjectSnapshot\x93\x94"
SNAPSHOT_ARGS = b"\x8c\x03app\x8c\x05Order\x8c\x07<Order>\x87"
"""``ObjectSnapshot("app", "Order", "<Order>")`` as the pickler writes it (with ``R``):
the call the walk checks inline, with the type memoized at index 0."""


def test_the_inline_snapshot_call_keeps_every_rule(monkeypatch) -> None:
    walk(b"\x80\x05" + SNAPSHOT_TYPE + SNAPSHOT_ARGS + b"R}b.")
    again = b"0h\x00" + SNAPSHOT_ARGS + b"R"
    walk(b"\x80\x05" + SNAPSHOT_TYPE + SNAPSHOT_ARGS + b"R" + again * 9 + b".")
    monkeypatch.setattr(stackmodel, "MAX_CALLS", 9)
    refused(b"\x80\x05" + SNAPSHOT_TYPE + SNAPSHOT_ARGS + b"R" + again * 9 + b".",
            "more than 9 objects")
    monkeypatch.undo()
    refused(b"\x80\x05" + SNAPSHOT_TYPE + b"NR.", "not a tuple")
    refused(b"\x80\x05" + SNAPSHOT_TYPE + b"(" + SNAPSHOT_ARGS + b"R.", "underflow")
    refused(b"\x80\x05" + SNAPSHOT_TYPE + SNAPSHOT_ARGS + b"R(}b.", "underflow")
    refused(b"\x80\x05" + SNAPSHOT_ARGS + SNAPSHOT_ARGS + b"R.", "not part of the format")


def test_the_inline_small_tuples_keep_every_rule() -> None:
    walk(b"\x80\x05}N" + b"NN\x87" * 99 + b"Ns.")
    refused(b"\x80\x05}N" + b"NN\x87" * 101 + b"Ns.", "nested more than 100 deep")
    refused(b"\x80\x05}N" + b"N\x86" * 101 + b"Ns.", "nested more than 100 deep")
    refused(b"\x80\x05NN(N\x87.", "underflow")
    refused(b"\x80\x05N(N\x86.", "underflow")
    assert pickle.loads(b"\x80\x05NK\x01K\x02\x87K\x03\x86.") == ((None, 1, 2), 3)
    walk(b"\x80\x05NK\x01K\x02\x87K\x03\x86.")
