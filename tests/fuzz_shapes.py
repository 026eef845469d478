"""Mutators of the shapes issue 9 found, for the fuzz run (``fuzzing.mutations``).

The byte- and structure-level mutators of ``fuzzing`` rarely hit these by
chance: each mutator here builds one hostile shape with random sizes (mostly
small, sometimes huge, so that the bounds are crossed from both sides) at a
random place, and ``mut_hostile_edited`` damages the issue's own files further.
"""

from __future__ import annotations

import random
import struct
from typing import Any, Callable, List

import hostile_dumps as hostile
from fuzz_crafted import global_op, spliced, str_op
from fuzzing import Seed, edit, encode_body, slots, split, with_snapshot

from pydumpling_hook.dumpformat import model

SIZES = (1, 2, 10, 33, 100, 1000, 10_000, 100_000, 1_000_000)
PLACES = ("locals", "sources", "threads", "stats", "meta")
CONTROLS = "\x00\x07\x08\x0b\x0c\x0d\x1b\x7f\x85\x9b\u061c\u200e\u202a\u202e\u2066\u2069\udc80"


def _size(rng: random.Random, top: int = 1_000_000) -> int:
    return min(rng.choice(SIZES), top)


def _long(value: int) -> bytes:
    data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(data)]) + data


def mut_deep_hashable(seed: Seed, rng: random.Random) -> bytes:
    """Tuples, frozensets or slices nested 1 to a million deep, as a value or a dict key."""
    depth = _size(rng)
    how = rng.randrange(4)
    if how == 0:
        inner = b"N" + b"\x85" * depth
    elif how == 1:
        inner = b"(" * depth + b"N" + b"t" * depth
    elif how == 2:
        inner = b"(" * depth + b"N" + b"\x91" * depth
    else:  # slice(slice(...slice(None)...)): hashable from 3.12
        depth = min(depth, 100_000)
        inner = global_op("builtins", "slice") * depth + b"N" + b"\x85R" * depth
    blob = b"}" + inner + b"Ns" if rng.random() < 0.5 else inner
    return spliced(seed, blob, rng.choice(PLACES))


def mut_collisions(seed: Seed, rng: random.Random) -> bytes:
    """A dict, set or frozenset of keys that hash alike: big ints, floats, tuples of them."""
    count = _size(rng, 20_000)
    family = rng.randrange(4)
    if family == 0:
        keys = [_long(k * hostile.PRIME) for k in range(1, count + 1)]
    elif family == 1:
        keys = [b"G" + struct.pack(">d", 2.0 ** (61 * (1 + k % 16))) for k in range(count)]
    elif family == 2:
        keys = [_long(k * hostile.PRIME) + b"\x8c\x01s\x86" for k in range(1, count + 1)]
    else:
        keys = [_long(-1 - (k % 2)) for k in range(count)]  # -1 and -2: two, not a storm
    how = rng.randrange(3)
    if how == 0:
        blob = b"}(" + b"".join(k + b"N" for k in keys) + b"u"
    elif how == 1:
        blob = b"\x8f(" + b"".join(keys) + b"\x90"
    else:
        blob = b"(" + b"".join(keys) + b"\x91"
    return spliced(seed, blob, rng.choice(PLACES))


def mut_item_flood(seed: Seed, rng: random.Random) -> bytes:
    """Runs of cheap values: None, True, empty lists, one memo entry over and over."""
    count = rng.choice([1000, 100_000, 5_900_000, 6_100_000, 20_000_000])
    unit = rng.choice([b"N", b"\x88", b"]", b"N\x88", b"K\x01"])
    blob = b"](" + unit * (count // len(unit)) + b"e"
    return spliced(seed, blob, rng.choice(PLACES))


def mut_shared_text(seed: Seed, rng: random.Random) -> bytes:
    """One big string or bytes value behind many cut values and snapshot reprs."""
    big = "y" * rng.choice([10, 100_000, 1 << 20, 5 << 20])
    blob = big.encode()[:1 << 20]  # one object, so the pickle shares it as the file does
    count = _size(rng, 20_000)
    values: List[Any] = []
    for i in range(count):
        kind = rng.randrange(3)
        if kind == 0:
            values.append(hostile.Shared("TruncatedStr", (big, i)))
        elif kind == 1:
            values.append(hostile.Shared("ObjectSnapshot", ("m", big[:rng.choice([5, 500])],
                                                              big), ({big: big}, None, big)))
        else:
            values.append(hostile.Shared("TruncatedBytes", (blob, i)))
    return hostile.with_locals(seed, shared=values)


def mut_frame_shapes(seed: Seed, rng: random.Random) -> bytes:
    """Frames with huge or odd names, argument counts, lines, positions and sources."""
    body = seed.body()
    frames = body["exception"]["frames"]
    frame = dict(rng.choice(frames))
    name = rng.choice(["x" * _size(rng, 10 << 20), "/dev/zero", "/dev/stdin", "a" + CONTROLS,
                       frame["filename"]])
    argcount = rng.choice([0, 1, 300, 301, 10_000])
    frame.update(filename=name, name=rng.choice([frame["name"], name]), argcount=argcount,
                 varnames=tuple(f"v{i}" for i in range(argcount + rng.choice([0, 5]))),
                 lineno=rng.choice([1, 2, 10_000, 9_999_999]), firstlineno=1,
                 positions=rng.choice([None, (1, 1, 0, 10 ** 6), (1, 10_000, 4, 4)]))
    frame["locals"] = {f"v{i}": i for i in range(min(argcount, 1000))}
    if rng.random() < 0.5:
        frame["locals"]["__return__"] = 10 ** rng.choice([10, 5000, 20_000])
    body["sources"][name] = rng.choice([
        "x = (" * _size(rng, 100_000) + "\n",
        ("y = " + "1 + " * _size(rng, 1_000_000) + "1\n") * rng.choice([1, 3]),
        "def f():\n    a = (1,\n" * rng.choice([1, 1000]),
        "\n".join("z" * _size(rng, 100_000) for _ in range(rng.choice([1, 50]))),
    ])
    body["meta"]["python"] = rng.choice(["3.9.0", "3.11.0", "3.12.0", "3.13.0"])
    body["exception"]["frames"] = [frame] * rng.choice([1, 2, 2000]) + frames
    return encode_body(seed, body)


def mut_state_and_calls(seed: Seed, rng: random.Random) -> bytes:
    """BUILD, REDUCE, NEWOBJ, INST and OBJ aimed at every name the reader knows."""
    module, name = rng.choice([("pydumpling_hook.dumpformat.model", n) for n in model.SAFE_TYPES]
                              + [("builtins", n) for n in ("complex", "slice", "Ellipsis",
                                                          "set", "frozenset", "getattr")])
    target = global_op(module, name)
    blob = rng.choice([
        target + b"N}" + str_op("__defaults__") + b"N\x85s\x86b",  # slot state on the class
        target + b")R}b",  # state on what a call made
        target + b"K\x01K\x02\x86R}" + str_op("count") + b"K\tsb",
        target + b"(" + str_op("a") * 3 + b"tR" + str_op("not a state tuple") + b"b",
        target + b")\x81",  # NEWOBJ
        b"(" + target + b"o",  # OBJ
        b"(" + str_op("a") + f"i{module}\n{name}\n".encode(),  # INST
    ])
    return spliced(seed, blob, rng.choice(PLACES))


def mut_escapes(seed: Seed, rng: random.Random) -> bytes:
    """Terminal controls inserted into random strings of the body."""
    body = seed.body()
    texts = [(c, k) for c, k in slots(body, rng) if isinstance(c[k], str)]
    for container, key in rng.sample(texts, min(len(texts), rng.choice([1, 5, 50]))):
        text = container[key]
        at = rng.randrange(len(text) + 1)
        container[key] = text[:at] + "".join(rng.choice(CONTROLS) for _ in range(3)) + text[at:]
    return encode_body(seed, body)


def mut_hostile_edited(seed: Seed, rng: random.Random) -> bytes:
    """One of the issue's files (``hostile_dumps.BUILDERS``), its pickle edited further."""
    name = rng.choice(sorted(set(hostile.BUILDERS) - {"many_nones"}))
    data = hostile.BUILDERS[name](seed)
    raw = split(name, data).raw("snapshot")
    for _ in range(rng.choice([1, 2, 5])):
        raw = edit(raw, rng)
    return with_snapshot(seed, raw)


MUTATORS: List[Callable[[Seed, random.Random], bytes]] = [
    mut_deep_hashable, mut_collisions, mut_item_flood, mut_shared_text, mut_frame_shapes,
    mut_state_and_calls, mut_escapes, mut_escapes, mut_hostile_edited,
]
