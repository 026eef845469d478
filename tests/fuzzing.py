"""Hostile dump files for the loader: mutated real dumps and hand-made attacks.

Shared by ``tests/test_fuzz.py`` (a few hundred cases, fixed seed) and
``benchmarks/fuzz_long.py`` (thousands), so that a failure found by the long
run replays in the test with the same mutator. Nothing here imports pytest.

A case is a name and the bytes of a file. The mutators work at every layer a
reader goes through, and re-seal what they broke below the layer they aim at:
a mutation of the pickle is recompressed with the right ``crc32`` and
lengths, so it reaches the unpickler instead of stopping at the checksum.
``run_cli`` opens the files with the real ``pydumpling-open`` code in child
processes under a memory cap and reports, per case, what a user would see.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, List, NamedTuple, Tuple

from pydumpling_hook.dumpformat import dumpfile, model

PREFIX = len(dumpfile.MAGIC) + 4
CRASHES = Path(__file__).resolve().parent / "crashes"
SEED_SCRIPTS = ("readme.py", "chains.py", "thread.py")
"""A README-style crash (dumped with originals), a chained exception, a thread crash."""

MEMORY_CAP = 2 << 30
"""Address-space limit of the child that opens the files: a bomb must fail, not swap."""
CASE_SECONDS = 10
"""A case slower than this fails: every file must end 'within seconds'."""


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


def _edit(data: bytes, rng: random.Random) -> bytes:
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
    sections = [(e, _edit(s, rng) if rng.random() < 0.7 else s) for e, s in seed.sections]
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
        raw = _edit(raw, rng)
    return with_snapshot(seed, raw)


def mut_pickle_opcode(seed: Seed, rng: random.Random) -> bytes:
    """Overwrite one byte of the body pickle with an opcode byte, resealed."""
    raw = bytearray(seed.raw("snapshot"))
    for _ in range(rng.choice([1, 3])):
        raw[rng.randrange(2, len(raw))] = rng.choice(b"().0123NIJKLMRSTUVXabcdeghijklopqrstu"
                                                     b"}]\x80\x81\x82\x85\x8a\x8b\x8c\x8e"
                                                     b"\x8f\x90\x91\x92\x93\x94\x95\x96")
    return with_snapshot(seed, bytes(raw))


def _slots(root: Any, rng: random.Random, limit: int = 5000) -> List[Tuple[Any, Any]]:
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
    return [None, -1, -(2**63), 2**64, 10**300, 1e308, float("nan"), float("-inf"), True,
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
    slots = _slots(body, rng)
    for container, key in rng.sample(slots, min(len(slots), rng.choice([1, 1, 2, 5, 20]))):
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
    for i in range(count):
        seed = rng.choice(seeds)
        mutator = rng.choice(MUTATORS)
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


# --------------------------------------------------------------------------- crafted files


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(data)) + data


def _call(module: str, name: str, *args: str) -> bytes:
    """Opcodes calling ``module.name(*args)``: what a hostile ``__reduce__`` produces."""
    return _global(module, name) + b"(" + b"".join(map(_str, args)) + b"tR"


def _stack_global(module: str, name: str, *args: str) -> bytes:
    return (_str(module) + _str(name) + b"\x93(" + b"".join(map(_str, args)) + b"tR")


PLACEHOLDER = "__PYDUMPLING_FUZZ_PLACEHOLDER__"


def spliced(seed: Seed, blob: bytes, where: str = "locals") -> bytes:
    """The seed's body with raw opcodes ``blob`` standing for one value.

    The body is pickled with protocol 3 (no framing, ``BINUNICODE`` strings) with
    a placeholder string, whose opcode is then replaced by ``blob``; the memo
    entry that followed the string now holds the blob's value.
    """
    body = seed.body()
    if where == "locals":
        frame = body["exception"]["frames"][-1]
        frame["locals"] = dict(frame["locals"], hostile=PLACEHOLDER)
    else:
        body[where] = PLACEHOLDER
    raw = pickle.dumps(body, protocol=3)
    marker = _str(PLACEHOLDER)
    assert raw.count(marker) == 1
    return with_snapshot(seed, raw.replace(marker, blob))


class Evil:
    """An object whose pickle runs a shell command when unpickled."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple:
        return (os.system, (self.command,))


def _exception_chain(depth: int) -> bytes:
    """Opcodes for ``depth`` EXC records, each the ``cause`` of the one before."""
    record = (b"}(" + _str("type") + b"}(" + _str("module") + _str("builtins") + _str("qualname")
              + _str("ValueError") + b"u" + _str("message") + _str("deep") + _str("frames")
              + b"]" + _str("cause"))
    return record * depth + b"N" + b"u" * depth


def _shared_dag(depth: int) -> list:
    """A list whose tree expansion has 2**depth leaves but takes ``depth`` objects."""
    node: list = ["leaf"]
    for _ in range(depth):
        node = [node, node]
    return node


def crafted(seeds: List[Seed], marker: Path) -> List[Case]:
    """Hand-made attacks. ``marker`` is a file that must never come to exist."""
    readme = seeds[0]
    touch = f"touch {marker}"
    cases: List[Case] = []

    def add(name: str, data: bytes) -> None:
        cases.append(Case(f"crafted-{name}", data))

    # Code execution through the pickle: every route to a callable must be refused.
    for name, blob in [
        ("os-system", _call("os", "system", touch)),
        ("posix-system", _call("posix", "system", touch)),
        ("stack-global-system", _stack_global("os", "system", touch)),
        ("eval", _call("builtins", "eval", f"__import__('os').system({touch!r})")),
        ("exec", _stack_global("builtins", "exec", f"import os; os.system({touch!r})")),
        ("getattr", _global("builtins", "getattr") + b"(" + _global("os", "path") + _str("join")
         + b"tR"),
        ("import", _call("builtins", "__import__", "os")),
        ("model-module-escape", _call("pydumpling_hook.dumpformat.model", "__builtins__", "x")),
        ("dumpfile-global",
         _call("pydumpling_hook.dumpformat.dumpfile", "read_originals", "/etc/passwd")),
        ("copyreg", _call("copyreg", "_reconstructor", "x")),
        ("set-of-range", _global("builtins", "set") + b"(" + _global("builtins", "range")
         + b"(\x8a\x06\x00\x10\xa5\xd4\xe8\x00tRtR"),
        ("persistent-id", b"\x80\x02" + _str("x") + b"Q"),
        ("inst", b"(" + _str(touch) + b"ios\nsystem\n"),
    ]:
        add(f"code-{name}", spliced(readme, blob))
    add("code-reduce-body", encode_body(readme, {"meta": {}, "evil": Evil(touch)}))
    body = readme.body()
    body["exception"]["frames"][-1]["locals"]["evil"] = Evil(touch)
    add("code-reduce-in-locals", encode_body(readme, body))
    evil_originals = pickle.dumps({"/2/a": pickle.dumps(Evil(touch))}, protocol=5)
    add("code-originals-entry", seal(readme.header, [("snapshot", readme.raw("snapshot")),
                                                    ("originals", evil_originals)]))
    add("code-originals-table", seal(readme.header, [
        ("snapshot", readme.raw("snapshot")), ("originals", pickle.dumps(Evil(touch)))]))

    # Decompression bombs and lying sizes.
    add("bomb-claims-100GB", with_snapshot(readme, readme.raw("snapshot"),
                                           raw_length=100 << 30))
    squeeze = zlib.compressobj(9)
    zeros = b"".join(squeeze.compress(bytes(1 << 20)) for _ in range(256)) + squeeze.flush()
    bomb = split("bomb", readme.data)
    add("bomb-claims-small-inflates-256MB", join(bomb.header, [
        ({"name": "snapshot", "codec": "zlib", "raw_length": 1 << 20}, zeros)]))
    add("bomb-claims-exactly-256MB", join(bomb.header, [
        ({"name": "snapshot", "codec": "zlib", "raw_length": 256 << 20}, zeros)]))
    add("bomb-valid-pickle-200MB", seal(readme.header, [
        ("snapshot", b"\x80\x05\x8e" + struct.pack("<Q", 200 << 20) + bytes(200 << 20) + b".")]))
    for name, blob in [
        ("binbytes8-1TB", b"\x8e" + struct.pack("<Q", 1 << 40)),
        ("binunicode8-1TB", b"\x8d" + struct.pack("<Q", 1 << 40)),
        ("bytearray8-1TB", b"\x96" + struct.pack("<Q", 1 << 40)),
        ("frame-1TB", b"\x95" + struct.pack("<Q", 1 << 40) + b"N"),
        ("long4-2GB", b"\x8b" + struct.pack("<i", 2**31 - 1)),
        ("long4-1MB-int", b"\x8b" + struct.pack("<i", 1 << 20) + b"\x7f" * (1 << 20)),
    ]:
        add(f"size-{name}", spliced(readme, blob))

    # Deep and wide structures.
    deep = 1_000_000
    add("deep-lists-1e6", spliced(readme, b"]" * deep + b"a" * (deep - 1)))
    add("deep-dicts-1e5", spliced(readme, (b"}" + _str("k")) * 100_000 + b"N" + b"s" * 100_000))
    add("deep-tuples-1e5", spliced(readme, b"(" * 100_000 + b"N" + b"t" * 100_000))
    add("deep-exception-chain-1e5", spliced(readme, _exception_chain(100_000), "exception"))
    add("deep-threads-1e6", spliced(readme, b"]" * deep + b"a" * (deep - 1), "threads"))
    body = readme.body()
    body["exception"]["frames"][-1]["locals"]["dag"] = _shared_dag(60)
    add("shared-dag-2**60", encode_body(readme, body))
    body = readme.body()
    frames = body["exception"]["frames"]
    body["exception"]["frames"] = frames * (1_000_000 // len(frames))
    add("frames-1M-shared", encode_body(readme, body))
    body = readme.body()
    body["threads"] = [dict(body["threads"][0], frames=body["threads"][0]["frames"] * 50_000)]
    add("thread-frames-50k-shared", encode_body(readme, body))

    # Memo abuse.
    for name, blob in [
        ("long-binput-2**26", b"]r" + struct.pack("<I", 1 << 26)),
        ("long-binput-4G", b"]r" + struct.pack("<I", 0xFFFFFFFF)),
        ("put-2**27", b"]p134217728\n"),
        ("put-huge", b"]p" + b"9" * 5000 + b"\n"),
        ("long-binget-4G", b"j" + struct.pack("<I", 0xFFFFFFFF)),
        ("binget-unset", b"h\xfe"),
        ("get-negative", b"g-1\n"),
    ]:
        add(f"memo-{name}", spliced(readme, blob))

    # Valid pickles of the wrong shape.
    exc = dict(readme.body()["exception"])
    exc["cause"] = exc["context"] = exc
    exc["members"] = [exc, exc]
    cyclic = readme.body()
    cyclic["exception"] = exc
    loop_a, loop_b = dict(exc, cause=None), dict(exc, cause=None)
    loop_a["cause"], loop_b["context"] = loop_b, loop_a
    two_cycle = dict(readme.body(), exception=loop_a)
    wrong: List[Tuple[str, Any]] = [
        ("list-body", [1, 2, 3]),
        ("string-body", "body"),
        ("no-meta", {"format": 1}),
        ("meta-list", {"meta": [], "exception": None}),
        ("cyclic-exception-chain", cyclic),
        ("two-cycle-exception-chain", two_cycle),
    ]
    for name, change in [
        ("exception-string", lambda b: b.update(exception="boom")),
        ("frames-wrong-types", lambda b: b["exception"].update(frames=[1, "x", None, [], {}])),
        ("frames-dict", lambda b: b["exception"].update(frames={"a": 1})),
        ("threads-int", lambda b: b.update(threads=5)),
        ("threads-of-strings", lambda b: b.update(threads=["a", "b"])),
        ("sources-wrong-types", lambda b: b.update(sources={1: 2, "f": 5, "g": b"bytes"})),
        ("lineno-negative", lambda b: b["exception"]["frames"][-1].update(lineno=-5)),
        ("lineno-huge", lambda b: b["exception"]["frames"][-1].update(lineno=10**100)),
        ("lineno-string", lambda b: b["exception"]["frames"][-1].update(lineno="12")),
        ("firstlineno-huge", lambda b: b["exception"]["frames"][-1].update(firstlineno=2**64)),
        ("lasti-huge", lambda b: b["exception"]["frames"][-1].update(lasti=2**63, positions=(
            -1, 2**70, "a", None))),
        ("linetable-garbage", lambda b: b["exception"]["frames"][-1].update(
            linetable=bytes(range(256)) * 10, flags=-1, argcount=10**9, varnames=("a",) * 3)),
        ("varnames-wrong", lambda b: b["exception"]["frames"][-1].update(
            varnames=[1, None, "a\x00b", "class"], argcount=4)),
        ("names-with-nul", lambda b: b["exception"]["frames"][-1].update(
            filename="a\x00b.py", name="f\x00n", qualname="\x00", module="m\x00")),
        ("type-name-nul", lambda b: b["exception"]["type"].update(
            module="\x00mod", qualname="Bad\x00Name", mro=[["builtins", "\x00"], 5, None])),
        ("type-builtin-odd", lambda b: b["exception"].update(type={
            "module": "builtins", "qualname": "UnicodeDecodeError", "mro": []},
            args=(1, 2, 3))),
        ("type-system-exit", lambda b: b["exception"].update(type={
            "module": "builtins", "qualname": "SystemExit", "mro": []}, args=(3,))),
        ("type-keyboard-interrupt", lambda b: b["exception"].update(type={
            "module": "builtins", "qualname": "KeyboardInterrupt", "mro": []})),
        ("type-exception-group", lambda b: b["exception"].update(type={
            "module": "builtins", "qualname": "ExceptionGroup", "mro": []}, members=[])),
        ("message-10MB", lambda b: b["exception"].update(message="m" * (10 << 20))),
        ("notes-wrong", lambda b: b["exception"].update(notes=[1, None, "\x00" * 1000])),
        ("locals-not-dict", lambda b: b["exception"]["frames"][-1].update(locals=[1, 2])),
        ("locals-non-str-keys", lambda b: b["exception"]["frames"][-1].update(
            locals={1: 2, None: 3, ("a",): 4, "ok": model.Redacted()})),
        ("frames-cut-absurd", lambda b: b["exception"].update(frames_cut=-7, cut_at=10**9)),
        ("summary-wrong-types", lambda b: b["meta"].update(python="x.y.z", time=5, pid="p")),
        ("python-version-future", lambda b: b["meta"].update(python="9.99.0")),
        ("python-version-garbage", lambda b: b["meta"].update(python="3.\x00")),
        ("stats-wrong", lambda b: b.update(stats=[1, 2])),
    ]:
        body = readme.body()
        change(body)
        wrong.append((name, body))
    for name, body in wrong:
        add(f"shape-{name}", encode_body(readme, body))
    for seed in seeds:
        fake = dict(seed.header, summary={"exc_type": 5, "site": ["x"], "time": None,
                                          "message": "\x00" * 300, "pid": -1})
        add(f"shape-header-summary-{seed.name}", join(fake, seed.sections))

    # Not dumps at all, or from the future.
    add("foreign-empty", b"")
    add("foreign-text", b"Traceback (most recent call last):\n  nothing here\n")
    add("foreign-png", b"\x89PNG\r\n\x1a\n" + bytes(100))
    add("foreign-magic-only", dumpfile.MAGIC)
    add("foreign-zero-header", dumpfile.MAGIC + b"\x00\x00\x00\x00")
    for name, value in [("future", 2), ("string", "1"), ("negative", -1), ("float", 1.0),
                        ("missing", None)]:
        header = dict(readme.header, format=value)
        if value is None:
            del header["format"]
        add(f"format-{name}", join(header, readme.sections))
    add("header-deep-json", dumpfile.MAGIC + struct.pack(">I", 200_000) + b"[" * 200_000)
    add("header-not-utf8", dumpfile.MAGIC + struct.pack(">I", 4) + b"\xff\xfe\xfd\xfc")
    add("header-sections-absurd", join(dict(readme.header), [(dict(
        e, length=2**70), s) for e, s in readme.sections], fix=False))
    return cases


# --------------------------------------------------------------------------- running

_CHILD = r"""
import faulthandler, io, json, signal, sys, time, traceback
from pydumpling_hook.loader.cli import main

class Sink(io.TextIOBase):
    def __init__(self):
        self.size = 0
    def writable(self):
        return True
    def write(self, text):
        self.size += len(text)
        return len(text)

def alarm(signum, frame):
    raise TimeoutError("case took too long")

signal.signal(signal.SIGALRM, alarm)
jobs, results, seconds = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
real_out, real_err = sys.stdout, sys.stderr
with open(results, "a") as log:
    for index, args in jobs:
        log.write(json.dumps({"start": index}) + "\n")
        log.flush()
        sink, err = Sink(), io.StringIO()
        sys.stdout, sys.stderr = sink, err
        started = time.perf_counter()
        signal.alarm(seconds)
        # C code that never returns to the interpreter cannot see the alarm: past
        # twice the limit, print where it is stuck and end the child.
        faulthandler.dump_traceback_later(2 * seconds, exit=True, file=real_err)
        try:
            rc = main(args)
        except BaseException:
            rc = "escaped"
            err.write(traceback.format_exc())
        finally:
            faulthandler.cancel_dump_traceback_later()
            signal.alarm(0)
            sys.stdout, sys.stderr = real_out, real_err
        log.write(json.dumps({"index": index, "rc": rc, "stderr": err.getvalue()[-4000:],
                              "stdout": sink.size,
                              "seconds": time.perf_counter() - started}) + "\n")
        log.flush()
"""


class Outcome(NamedTuple):
    case: str
    args: Tuple[str, ...]
    rc: Any
    stderr: str
    stdout_chars: int
    seconds: float

    def problem(self) -> str | None:
        """What is wrong with this outcome for a user, or ``None``.

        Acceptable: a clean open (exit 0, output, nothing on stderr) or exit 1
        with exactly one ``pydumpling-open: error: ...`` line that is not an
        internal error (a bug of ours wearing a one-line coat).
        """
        lines = self.stderr.splitlines()
        if self.seconds > CASE_SECONDS:
            return f"took {self.seconds:.1f} s"
        if "Traceback" in self.stderr:
            return "traceback on stderr"
        if self.rc == 0:
            return None if self.stdout_chars and not lines else "exit 0 without clean output"
        if self.rc != 1 or len(lines) != 1 or not lines[0].startswith("pydumpling-open: error: "):
            return f"exit {self.rc} with {len(lines)} stderr lines"
        if "internal error" in lines[0]:
            return "internal error"
        return None


def limit_memory() -> None:
    """``preexec_fn`` of every child that opens hostile files."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(jobs: List[Tuple[str, List[str]]], *, python: str = sys.executable,
            batch: int = 40, env: dict | None = None) -> List[Outcome]:
    """Run ``pydumpling-open ARGS`` for each (case name, args), ``batch`` per child process.

    Each child runs the CLI's ``main`` in-process under ``MEMORY_CAP``, with
    an alarm per case, and ``faulthandler`` ends it when a case hangs in C code
    (where no alarm reaches). A child that dies has the case it was on recorded
    as such, with its stderr, and the rest of its batch runs in a new child.
    """
    outcomes: List[Outcome | None] = [None] * len(jobs)
    pending = list(range(len(jobs)))
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "results.jsonl"
        while pending:
            chunk, pending = pending[:batch], pending[batch:]
            log.write_text("")
            payload = json.dumps([[i, jobs[i][1]] for i in chunk])
            try:
                proc = subprocess.run(
                    [python, "-c", _CHILD, payload, str(log), str(CASE_SECONDS)],
                    env=env or seed_env(), capture_output=True, text=True,
                    timeout=CASE_SECONDS * 3 + 5 * len(chunk), preexec_fn=limit_memory)
                death = f"child exited {proc.returncode}: {proc.stderr[-2000:]}"
            except subprocess.TimeoutExpired:
                death = "child hung (killed)"
            started = None
            for line in log.read_text().splitlines():
                record = json.loads(line)
                if "start" in record:
                    started = record["start"]
                    continue
                started = None
                i = record["index"]
                outcomes[i] = Outcome(jobs[i][0], tuple(jobs[i][1]), record["rc"],
                                      record["stderr"], record["stdout"], record["seconds"])
            if started is not None:
                outcomes[started] = Outcome(jobs[started][0], tuple(jobs[started][1]), "died",
                                            death, 0, float("inf"))
                pending = [i for i in chunk if outcomes[i] is None] + pending
            elif any(outcomes[i] is None for i in chunk):
                raise RuntimeError(f"fuzz child failed before its first case: {death}")
    return [o for o in outcomes if o is not None]


MODES = (("--print", "--locals"), ("--json",))


def write_cases(cases: List[Case], directory: Path,
                modes: Tuple[Tuple[str, ...], ...] = MODES) -> List[Tuple[str, List[str]]]:
    """Write each case to ``directory`` and return its CLI jobs, one per mode."""
    jobs = []
    for case in cases:
        path = Path(directory) / f"{case.name}.dump"
        path.write_bytes(case.data)
        for mode in modes:
            jobs.append((case.name, [str(path), *mode]))
    return jobs


def make_corpus(work: Path, seed: int, count: int,
                modes: Tuple[Tuple[str, ...], ...] = MODES) -> dict:
    """Seeds from real crashes, the crafted attacks, boundary truncations and ``count``
    mutations, written under ``work/files`` with their jobs; ``marker`` is the file a
    payload creates if it ever runs."""
    seeds = make_seeds(work / "seeds")
    marker = work / "MARKER"
    cases = crafted(seeds, marker)
    for one in seeds:
        cases.extend(boundary_truncations(one))
    cases.extend(mutations(seeds, random.Random(seed), count))
    files = work / "files"
    files.mkdir()
    jobs = write_cases(cases, files, modes)
    return {"seeds": seeds, "marker": marker, "cases": cases, "files": files, "jobs": jobs}


def check_in_process(paths: List[Path]) -> List[str]:
    """``load(path)`` for each file: it returns a Dump or raises ``DumpError``, nothing else."""
    from pydumpling_hook.loader import DumpError, load

    problems = []
    for path in paths:
        started = time.perf_counter()
        try:
            load(str(path))
        except DumpError as exc:
            if "\n" in str(exc):
                problems.append(f"{path.name}: DumpError message has several lines")
        except BaseException as exc:  # noqa: BLE001 - anything else is the finding
            problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:200]}")
        if time.perf_counter() - started > CASE_SECONDS:
            problems.append(f"{path.name}: load took {time.perf_counter() - started:.1f} s")
    return problems


def summarize(outcomes: List[Outcome]) -> str:
    """One line per problem, then the counts: what a report needs."""
    lines = [f"{o.case} {' '.join(o.args[1:])}: {o.problem()}: {o.stderr.strip()[-600:]}"
             for o in outcomes if o.problem()]
    opened = sum(o.rc == 0 for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    lines.append(f"{len(outcomes)} runs: {opened} opened, {len(outcomes) - opened} refused, "
                 f"{sum(bool(o.problem()) for o in outcomes)} problems; slowest "
                 f"{slowest.seconds if slowest else 0:.2f} s ({slowest.case if slowest else '-'})")
    return "\n".join(lines)
