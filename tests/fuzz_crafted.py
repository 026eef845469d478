"""Hand-made attacks on the loader, and the helpers that splice raw opcodes into a real
dump: code execution through every route to a callable, decompression bombs, lying
sizes, deep and shared structures, memo abuse, bodies of the wrong shape, and files
that are not dumps at all. Each ``-code-`` case would create ``marker`` if it ran.
"""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any, List, Tuple

from fuzzing import Case, Seed, encode_body, join, seal, split, with_snapshot

from pydumpling_hook.dumpformat import dumpfile, model


def global_op(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def str_op(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(data)) + data


def _call(module: str, name: str, *args: str) -> bytes:
    """Opcodes calling ``module.name(*args)``: what a hostile ``__reduce__`` produces."""
    return global_op(module, name) + b"(" + b"".join(map(str_op, args)) + b"tR"


def _stack_global(module: str, name: str, *args: str) -> bytes:
    return (str_op(module) + str_op(name) + b"\x93(" + b"".join(map(str_op, args)) + b"tR")


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
    marker = str_op(PLACEHOLDER)
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
    record = (b"}(" + str_op("type") + b"}(" + str_op("module") + str_op("builtins")
              + str_op("qualname")
              + str_op("ValueError") + b"u" + str_op("message") + str_op("deep") + str_op("frames")
              + b"]" + str_op("cause"))
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
        ("getattr", global_op("builtins", "getattr") + b"(" + global_op("os", "path")
         + str_op("join")
         + b"tR"),
        ("import", _call("builtins", "__import__", "os")),
        ("model-module-escape", _call("pydumpling_hook.dumpformat.model", "__builtins__", "x")),
        ("dumpfile-global",
         _call("pydumpling_hook.dumpformat.dumpfile", "read_originals", "/etc/passwd")),
        ("copyreg", _call("copyreg", "_reconstructor", "x")),
        ("set-of-range", global_op("builtins", "set") + b"(" + global_op("builtins", "range")
         + b"(\x8a\x06\x00\x10\xa5\xd4\xe8\x00tRtR"),
        ("persistent-id", b"\x80\x02" + str_op("x") + b"Q"),
        ("inst", b"(" + str_op(touch) + b"ios\nsystem\n"),
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
    add("deep-dicts-1e5", spliced(readme, (b"}" + str_op("k")) * 100_000 + b"N" + b"s" * 100_000))
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
