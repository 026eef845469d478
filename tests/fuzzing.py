"""Hostile dump files for the loader: real dumps taken apart, and mutated.

Shared by ``tests/test_fuzz.py`` (a few hundred cases, fixed seed) and
``benchmarks/fuzz_long.py`` (thousands), so that a failure found by the long
run replays in the test with the same mutator. Nothing here imports pytest.
The hand-made attacks are in ``fuzz_crafted``, the shapes of issue 9 in
``fuzz_shapes``, and running the files through the real program in
``fuzz_run``.

A case is a name and the bytes of a file. The mutators work at every layer a
reader goes through, and re-seal what they broke below the layer they aim at:
a mutation of the pickle is recompressed with the right ``crc32`` and
lengths, so it reaches the unpickler instead of stopping at the checksum.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, List, NamedTuple, Tuple

from pydumpling_hook.dumpformat import dumpfile, model

PREFIX = len(dumpfile.MAGIC) + 4
CRASHES = Path(__file__).resolve().parent / "crashes"
SEED_SCRIPTS = ("readme.py", "chains.py", "thread.py", "packed.py")
"""A README-style crash (dumped with originals), a chained exception, a thread crash,
and a crash whose locals are packed dicts and record tables."""


class Case(NamedTuple):
    name: str
    data: bytes


class Seed(NamedTuple):
    """A real dump, taken apart once: header, stored sections and their decompressed bytes."""

    name: str
    data: bytes
    header: dict
    sections: List[Tuple[dict, bytes]]

    def raw(self, section: str) -> bytes:
        entry, stored = next((e, s) for e, s in self.sections if e["name"] == section)
        return zlib.decompress(stored)

    def body(self) -> dict:
        """The body with the real model classes: our own file, so plain pickle is fine."""
        return pickle.loads(self.raw("snapshot"))


# --------------------------------------------------------------------------- containers


def split(name: str, data: bytes) -> Seed:
    (size,) = struct.unpack(">I", data[len(dumpfile.MAGIC):PREFIX])
    header = json.loads(data[PREFIX:PREFIX + size])
    sections, offset = [], PREFIX + size
    for entry in header["sections"]:
        sections.append((entry, data[offset:offset + entry["length"]]))
        offset += entry["length"]
    return Seed(name, data, header, sections)


def join(header: dict, sections: List[Tuple[dict, bytes]], *, fix: bool = True,
         header_size: int | None = None) -> bytes:
    """Assemble a file. ``fix`` recomputes each entry's ``length`` and ``crc32`` from the
    stored bytes, so the container is valid whatever the bytes inside are."""
    entries = []
    for entry, stored in sections:
        entry = dict(entry)
        if fix:
            entry.update(length=len(stored), crc32=zlib.crc32(stored))
        entries.append(entry)
    text = json.dumps(dict(header, sections=entries)).encode()
    size = len(text) if header_size is None else header_size
    return b"".join([dumpfile.MAGIC, struct.pack(">I", size), text,
                     *(stored for _, stored in sections)])


def seal(header: dict, raws: List[Tuple[str, bytes]], **overrides: Any) -> bytes:
    """A valid container around raw (decompressed) sections; ``overrides`` lie in every entry."""
    sections = []
    for name, raw in raws:
        entry = {"name": name, "codec": "zlib", "raw_length": len(raw)}
        sections.append((entry, zlib.compress(raw)))
    data = join(header, sections)
    if overrides:
        seed = split("", data)
        data = join(seed.header, [(dict(e, **overrides), s) for e, s in seed.sections],
                    fix=False)
    return data


def with_snapshot(seed: Seed, raw: bytes, **overrides: Any) -> bytes:
    """``seed`` with its snapshot section replaced by the pickle ``raw``, correctly sealed."""
    raws = [(e["name"], raw if e["name"] == "snapshot" else zlib.decompress(s))
            for e, s in seed.sections]
    return seal(seed.header, raws, **overrides)


def encode_body(seed: Seed, body: Any) -> bytes:
    """A file whose snapshot is ``body`` pickled as capture would (so any shape goes)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # hostile values nest a few deep lists
    try:
        return with_snapshot(seed, pickle.dumps(body, protocol=dumpfile.PICKLE_PROTOCOL))
    finally:
        sys.setrecursionlimit(limit)


# --------------------------------------------------------------------------- seeds


def seed_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYDUMPLING_")}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def make_seeds(directory: Path, python: str = sys.executable) -> List[Seed]:
    """Crash the seed scripts in child processes and take their dumps apart."""
    seeds = []
    for script in SEED_SCRIPTS:
        out = Path(directory) / script
        env = seed_env(PYDUMPLING_DIR=str(out), PYDUMPLING_QUIET="1")
        if script == "readme.py":
            env["PYDUMPLING_ORIGINALS"] = "1"
        subprocess.run([python, str(CRASHES / script)], env=env, capture_output=True,
                       timeout=120, check=False)
        (dump,) = sorted(out.glob("*.dump"))
        seeds.append(split(script, dump.read_bytes()))
    return seeds


# --------------------------------------------------------------------------- mutators

ABSURD = [-1, 0, 1, 2**31, 2**32 + 5, 2**63, 2**64 + 1, 10**30, 100 << 30, 1e400, -1e400,
          1.5, "12", "", None, True, [], {}, [1, 2], {"a": 1}]
"""Values for header fields that should be small non-negative ints or short strings."""


def _flip(data: bytes, rng: random.Random, start: int, stop: int, count: int) -> bytes:
    buf = bytearray(data)
    stop = min(stop, len(buf))
    if stop <= start:
        return bytes(buf)
    for _ in range(count):
        buf[rng.randrange(start, stop)] ^= 1 << rng.randrange(8)
    return bytes(buf)


def edit(data: bytes, rng: random.Random) -> bytes:
    """One byte-level edit: flip, delete, duplicate, insert, overwrite or cut."""
    if not data:
        return bytes([rng.randrange(256)])
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.choice([1, 2, 4, 16, 256]))
    how = rng.randrange(6)
    if how == 0:
        return _flip(data, rng, 0, len(data), rng.choice([1, 2, 8]))
    if how == 1:
        return data[:i] + data[j:]
    if how == 2:
        return data[:j] + data[i:j] + data[j:]
    if how == 3:
        return data[:i] + bytes(rng.randrange(256) for _ in range(j - i)) + data[i:]
    if how == 4:
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    return data[:i]


def mut_truncate(seed: Seed, rng: random.Random) -> bytes:
    return seed.data[:rng.randrange(len(seed.data))]


def mut_flip_anywhere(seed: Seed, rng: random.Random) -> bytes:
    return _flip(seed.data, rng, 0, len(seed.data), rng.choice([1, 1, 2, 5, 20]))


def mut_flip_header(seed: Seed, rng: random.Random) -> bytes:
    size = len(json.dumps(seed.header))
    return _flip(seed.data, rng, 0, PREFIX + size, rng.choice([1, 2, 3]))


def mut_header_field(seed: Seed, rng: random.Random) -> bytes:
    """An absurd value in one header field: a length, a checksum, the format, the table."""
    header = json.loads(json.dumps(seed.header))
    sections = [(dict(e), s) for e, s in seed.sections]
    value = rng.choice(ABSURD)
    if rng.random() < 0.7:
        entry = rng.choice(sections)[0]
        entry[rng.choice(["length", "raw_length", "crc32", "codec", "name"])] = value
        text = json.dumps(dict(header, sections=[e for e, _ in sections]))
        return b"".join([dumpfile.MAGIC, struct.pack(">I", len(text)), text.encode(),
                         *(s for _, s in sections)])
    header[rng.choice(["format", "sections", "summary"])] = value
    return join(header, sections, fix=False)


def mut_header_size(seed: Seed, rng: random.Random) -> bytes:
    """The 4-byte header length: off by a little, zero, over the limit, or 4 GiB."""
    size = len(json.dumps(seed.header))
    lie = rng.choice([0, 1, size - 1, size + 1, size + 100, dumpfile.MAX_HEADER,
                      dumpfile.MAX_HEADER + 1, 0xFFFFFFFF])
    return join(seed.header, seed.sections, fix=False, header_size=lie)


def mut_sections(seed: Seed, rng: random.Random) -> bytes:
    """Swap, duplicate, drop or rename sections; the table may or may not follow."""
    sections = list(seed.sections)
    how = rng.randrange(5)
    if how == 0:
        sections.reverse()
    elif how == 1:
        sections.insert(rng.randrange(len(sections) + 1), rng.choice(sections))
    elif how == 2 and len(sections) > 1:
        sections.pop(rng.randrange(len(sections)))
    elif how == 3:
        names = [e["name"] for e, _ in sections]
        rng.shuffle(names)
        sections = [(dict(e, name=n), s) for (e, s), n in zip(sections, names)]
        sections.append(({"name": "snapshot", "codec": "zlib", "raw_length": 1},
                         zlib.compress(pickle.dumps(["not", "a", "body"]))))
    else:  # the stored bytes move, the table stays: every checksum is wrong
        stored = [s for _, s in sections]
        rng.shuffle(stored)
        return join(seed.header, [(e, s) for (e, _), s in zip(seed.sections, stored)],
                    fix=False)
    return join(seed.header, sections, fix=rng.random() < 0.7)


def mut_stored_fixed(seed: Seed, rng: random.Random) -> bytes:
    """Damage the compressed bytes of a section and fix the checksum: reaches zlib."""
    sections = [(e, edit(s, rng) if rng.random() < 0.7 else s) for e, s in seed.sections]
    return join(seed.header, sections)


def mut_raw_length(seed: Seed, rng: random.Random) -> bytes:
    """``raw_length`` lies (by a little or a lot) on an otherwise valid section."""
    delta = rng.choice([-100, -1, 1, 100, 1 << 20, dumpfile.MAX_SECTION + 1])
    sections = [(dict(e, raw_length=max(0, e["raw_length"] + delta)), s)
                for e, s in seed.sections]
    return join(seed.header, sections)


def mut_pickle(seed: Seed, rng: random.Random) -> bytes:
    """Byte edits to the body pickle, resealed: reaches the unpickler."""
    raw = seed.raw("snapshot")
    for _ in range(rng.choice([1, 1, 2, 4, 10])):
        raw = edit(raw, rng)
    return with_snapshot(seed, raw)


def mut_pickle_opcode(seed: Seed, rng: random.Random) -> bytes:
    """Overwrite one byte of the body pickle with an opcode byte, resealed."""
    raw = bytearray(seed.raw("snapshot"))
    for _ in range(rng.choice([1, 3])):
        raw[rng.randrange(2, len(raw))] = rng.choice(b"().0123NIJKLMRSTUVXabcdeghijklopqrstu"
                                                     b"}]\x80\x81\x82\x85\x8a\x8b\x8c\x8e"
                                                     b"\x8f\x90\x91\x92\x93\x94\x95\x96")
    return with_snapshot(seed, bytes(raw))


def slots(root: Any, rng: random.Random, limit: int = 5000) -> List[Tuple[Any, Any]]:
    """(container, key) pairs of a body, walked without recursion: where a value can go."""
    found, todo, seen = [], [root], set()
    while todo and len(found) < limit:
        node = todo.pop(rng.randrange(len(todo)))
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            items = list(node.items())
        elif isinstance(node, list):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            found.append((node, key))
            todo.append(value)
    return found


def _deep_list(depth: int) -> list:
    root = inner = []
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return root


def hostile_values() -> List[Any]:
    """Values of every wrong type and size, for where the loader expects something else."""
    snap = model.ObjectSnapshot("mod\x00ule", "Name\x00With.Nul", "\udcff" * 10)
    snap.attrs, snap.items, snap.note = ["not", "a", "dict"], 5, b"bytes-note"
    weird = model.ObjectSnapshot("", "", "")
    weird.attrs = {1: 2, "class": 3, "__class__": 4, "__dict__": 5, "x" * 10_000: 6}
    record = model.ObjectSnapshot("m", "Cfg", "<Cfg>")
    record.__setstate__(({"a": 1}, None, None, ("a", "missing", 5, "a" * 10_000)))
    lying = model.CutContainer("dict", -3)
    lying.head, lying.tail = [1, 2], "tail"
    loop = model.CutContainer("list", 10**30)
    loop.head = [loop]
    square = 2**62
    values = [
        lying, loop, record, model.CutContainer("\x00" * 100, 5),
        model.TruncatedStr("a", 5, b"bytes tail"),
        model.Value("numpy.ndarray", {"shape": (square, square), "dtype": "f8", "edge": 3,
                                      "sample": [1.0] * 36}),
        model.Value("torch.Tensor", {"shape": (3,), "dtype": 5, "device": "cuda:\x00"}),
        model.Value("pandas.DataFrame", {
            "shape": (10**18, 5), "labels": [1] * 5, "dtypes": ["x"] * 5, "positions": [0] * 5,
            "rows": ((["a"], []), [[1, 2, 3, 4, 5]], []), "columns": loop}),
        model.Value("pandas.Index", {"kind": "RangeIndex", "length": -1, "range": (0, 2**70, 0)}),
        model.Value("datetime.datetime", ("x",) * 9), model.Value(5, None),
        model.Value("namedtuple", ("m", "P", ("a" * 100,), (1,))),
        model.Value("collections.deque", ([loop], -1)),
    ]
    return values + [None, -1, -(2**63), 2**64, 10**300, 1e308, float("nan"), float("-inf"), True,
            "", "x\x00y", "\udcff", "A" * 200_000, b"\x00\xff" * 100, bytearray(b"ab"),
            [], {}, (), {1, 2}, frozenset(), complex(1, -1), Ellipsis, NotImplemented,
            {"frames": 5, "type": [], "mro": "x"}, [None, 1, "frame"], _deep_list(400),
            model.Cut(-5, "items"), model.Cut(10**30, "\x00"), model.TruncatedStr("a", -10),
            model.TruncatedBytes(b"b", 2**70, "bytearray"), model.Redacted(), snap, weird]


def mut_shape(seed: Seed, rng: random.Random) -> bytes:
    """A valid pickle of the wrong shape: some values of a real body replaced, or cycled.

    The places are chosen before any change, so a hostile value never lands
    inside another (which could nest deep lists past the pickler's own limit).
    """
    body = seed.body()
    places = slots(body, rng)
    for container, key in rng.sample(places, min(len(places), rng.choice([1, 1, 2, 5, 20]))):
        if rng.random() < 0.15:
            container[key] = rng.choice([container, body, body.get("exception")])
        else:
            container[key] = rng.choice(hostile_values())
    return encode_body(seed, body)


MUTATORS: List[Callable[[Seed, random.Random], bytes]] = [
    mut_truncate, mut_flip_anywhere, mut_flip_header, mut_header_field, mut_header_size,
    mut_sections, mut_stored_fixed, mut_raw_length, mut_pickle, mut_pickle, mut_pickle_opcode,
    mut_shape, mut_shape, mut_shape,
]
"""Weighted by repetition: the pickle and the body shape get the most cases."""


def mutations(seeds: List[Seed], rng: random.Random, count: int) -> Iterator[Case]:
    """``count`` mutated files. A third come from ``fuzz_shapes`` (the shapes of issue 9),
    imported here so that this module stays importable by it."""
    from fuzz_shapes import MUTATORS as SHAPES

    for i in range(count):
        seed = rng.choice(seeds)
        mutator = rng.choice(SHAPES if rng.random() < 1 / 3 else MUTATORS)
        yield Case(f"{i:05d}-{mutator.__name__}-{seed.name}", mutator(seed, rng))


def boundary_truncations(seed: Seed) -> Iterator[Case]:
    """Cuts at every place where a reader changes what it reads, and one byte either side."""
    size = len(json.dumps(seed.header))
    ends, offset = [], PREFIX + size
    for entry, _ in seed.sections:
        offset += entry["length"]
        ends.append(offset)
    for cut in sorted({0, 1, 8, len(dumpfile.MAGIC), PREFIX - 1, PREFIX, PREFIX + 1,
                       PREFIX + size - 1, PREFIX + size, PREFIX + size + 1, PREFIX + size + 2,
                       *ends, *(e - 1 for e in ends), len(seed.data) - 1}):
        if 0 <= cut < len(seed.data):
            yield Case(f"cut-{cut}-{seed.name}", seed.data[:cut])
