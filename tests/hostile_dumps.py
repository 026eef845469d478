"""The hostile files of issue 9, built from a real dump (``tests/crashes/readme.py``).

Each builder takes the real dump (a ``fuzzing.Seed``) and returns the bytes of
a file that is small on disk and attacks one bound: shared values make
thousands of references cost a few bytes each, so the sizes below are what
the loader would face, not what the file weighs. Shared by the item tests
(``test_hostile_*.py``) and the fuzz run (``fuzzing.py``), which mutates these
shapes further.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict

from fuzz_crafted import global_op, spliced
from fuzzing import Seed, encode_body, join

from pydumpling_hook.dumpformat import model

ESC = "\x1b]0;pwned\x07\x1b[2J\u202e"
"""A window title, a cleared screen and a right-to-left override."""
PRIME = (1 << 61) - 1


class Shared:
    """Pickles as ``model.<name>(*args)`` with ``args`` shared by identity: one 10 MB
    string referenced by thousands of values costs a memo lookup each."""

    def __init__(self, name: str, args: tuple, state: Any = None) -> None:
        self.name, self.args, self.state = name, args, state

    def __reduce__(self) -> tuple:
        cls = getattr(model, self.name)
        return (cls, self.args) if self.state is None else (cls, self.args, self.state)


def innermost(body: dict) -> dict:
    return body["exception"]["frames"][-1]


def with_locals(seed: Seed, **values: Any) -> bytes:
    body = seed.body()
    innermost(body)["locals"].update(values)
    return encode_body(seed, body)


def long_binunicode(text: str) -> bytes:
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


# ------------------------------------------------------------------ item 3: globals, BUILD


def module_frame_smuggles_a_loader(seed: Seed) -> bytes:
    """A module frame whose *locals* hold ``__loader__``/``__spec__``/``__builtins__``:
    they used to be copied into the rebuilt frame's globals unfiltered."""
    body = seed.body()
    frame = body["exception"]["frames"][0]
    loader = model.ObjectSnapshot("importlib", "SourceLoader", "<loader>")
    loader.attrs, loader.items, loader.note = {"get_source": "x = 1"}, None, None
    frame["locals"] = {"__loader__": loader, "__spec__": loader, "__builtins__": {"open": 1},
                       "kept": 7}
    return encode_body(seed, body)


def _reduce_then_build(target: bytes, state: bytes) -> bytes:
    """Opcodes that set ``state`` on the value ``target`` pushes (BUILD)."""
    return target + state + b"b"


def build_on_a_factory(seed: Seed) -> bytes:
    """BUILD on the class the reader maps ``Cut`` to, with a slot state setting its
    ``__defaults__``: a loader function would be changed for the whole process."""
    cls = global_op("pydumpling_hook.dumpformat.model", "Cut")
    state = b"N}" + long_binunicode("__defaults__") + b"K\x05K\x06\x86s\x86"
    return spliced(seed, _reduce_then_build(cls, state))


def build_on_a_cut_instance(seed: Seed) -> bytes:
    """BUILD on a ``Cut`` instance: only ObjectSnapshot carries state in the format."""
    cut = global_op("pydumpling_hook.dumpformat.model", "Cut") + b"K\x01\x85R"
    state = b"N}" + long_binunicode("count") + long_binunicode("many") + b"s\x86"
    return spliced(seed, _reduce_then_build(cut, state))


# ------------------------------------------------------------------ item 4: bounds


def deep_tuple_key(seed: Seed) -> bytes:
    """A dict whose key is a tuple nested a million deep (1.8 KB compressed): hashing it
    recursed in C until the stack overflowed."""
    return spliced(seed, b"}N" + b"\x85" * 1_000_000 + b"Ns")


def colliding_keys(seed: Seed, count: int = 20_000) -> bytes:
    """A dict of ints that all hash to 0 (``k * (2**61 - 1)``): quadratic insertion."""
    keys = b"".join(b"\x8a" + bytes([len(b)]) + b + b"N" for b in (
        (k * PRIME).to_bytes(((k * PRIME).bit_length() + 8) // 8, "little", signed=True)
        for k in range(1, count)))
    return spliced(seed, b"}(" + keys + b"u")


def many_nones(seed: Seed, count: int = 60_000_000) -> bytes:
    """Sixty million ``None`` in one list: 59 KB of file, 1.5 GB to hold."""
    return spliced(seed, b"](" + b"N" * count + b"e")


BIG = "x" * (10 << 20)


def shared_big_string(seed: Seed) -> bytes:
    """One 10 MB string behind 10,000 cut strings and 10,000 object reprs."""
    cuts = [Shared("TruncatedStr", (BIG, i)) for i in range(10_000)]
    snaps = [Shared("ObjectSnapshot", ("app", "Thing", BIG), ({}, None, BIG))
             for _ in range(10_000)]
    return with_locals(seed, cuts=cuts, snaps=snaps)


def shared_big_filename(seed: Seed) -> bytes:
    """2,000 frames sharing one 10 MB file name (and one 10 MB function name)."""
    body = seed.body()
    frame = innermost(body)
    body["exception"]["frames"] = [dict(frame, filename=BIG, name=BIG, qualname=BIG,
                                        lineno=1 + i % 50) for i in range(2000)]
    return encode_body(seed, body)


def many_arguments(seed: Seed) -> bytes:
    """2,000 frames with 10,000 arguments each (one shared names tuple, one locals dict)."""
    body = seed.body()
    frame = innermost(body)
    names = tuple(f"a{i}" for i in range(10_000))
    local = {name: i for i, name in enumerate(names)}
    body["exception"]["frames"] = [dict(frame, argcount=10_000, varnames=names, locals=local,
                                        lineno=1 + i % 7, firstlineno=1)
                                   for i in range(2000)]
    return encode_body(seed, body)


def _print_313(seed: Seed, source: str, where: tuple) -> bytes:
    body = seed.body()
    body["meta"]["python"] = "3.13.0"
    frame = innermost(body)
    body["sources"][frame["filename"]] = source
    frame.update(lineno=where[0], positions=where, firstlineno=1)
    return encode_body(seed, body)


def long_source_line(seed: Seed) -> bytes:
    """A 20-million-character source line, printed with 3.13's rules."""
    return _print_313(seed, "x = " + "a" * 20_000_000 + "\n", (1, 1, 4, 20_000_004))


def long_expression(seed: Seed) -> bytes:
    """A 4 MB expression over 10,000 lines, printed with 3.13's rules (its ``ast.parse``
    took about 900 MB)."""
    rows = ["x = f(" + "1 + " * 100 + "1,"] + ["  " + "1 + " * 100 + "1," for _ in range(9998)]
    source = "\n".join(rows + ["  1)"]) + "\n"
    return _print_313(seed, source, (1, 10_000, 4, 4))


def huge_return_value(seed: Seed) -> bytes:
    """A 5,000-digit ``__return__``: bdb's stack entry reprs it outside pdb's error
    handling, and the int is past the default conversion limit."""
    return with_locals(seed, __return__=10 ** 5000, __args__=[10 ** 5000])


def unclosed_bracket_source(seed: Seed) -> bytes:
    """Embedded source with an unclosed bracket: ``ll`` tokenizes the function's block."""
    body = seed.body()
    frame = innermost(body)
    body["sources"][frame["filename"]] = "def inner():\n    a = (1,\n    b = 2\n    c = a + b\n"
    frame.update(firstlineno=1, lineno=4)
    return encode_body(seed, body)


def source_from_disk(seed: Seed, filename: str) -> bytes:
    """The innermost frame names ``filename`` and the dump does not embed its source."""
    body = seed.body()
    frame = innermost(body)
    body["sources"].pop(frame["filename"], None)
    frame["filename"] = filename
    return encode_body(seed, body)


# ------------------------------------------------------------------ item 5: escapes


def escapes_everywhere(seed: Seed) -> bytes:
    """Escape sequences in every string a terminal would show (not the header)."""
    body = seed.body()
    exc = body["exception"]
    exc["message"] = f"boom {ESC}"
    exc["notes"] = [f"note {ESC}"]
    exc["type"]["qualname"] = f"Type{ESC}"
    snap = model.ObjectSnapshot("app", f"Thing{ESC}", f"<Thing {ESC}>")
    snap.attrs, snap.items, snap.note = {f"attr{ESC}": f"value{ESC}"}, None, f"note{ESC}"
    for frame in exc["frames"]:
        old = frame["filename"]
        frame["filename"] = f"{old}{ESC}"
        frame["name"] = frame["qualname"] = f"{frame['name']}{ESC}"
        body["sources"][frame["filename"]] = body["sources"][old].replace(
            "\n", f"  # {ESC}\n")
        frame["locals"][f"name{ESC}"] = snap
    body["meta"]["thread"] = f"Main{ESC}"
    return encode_body(seed, body)


def escapes_in_the_header(seed: Seed) -> bytes:
    summary = dict(seed.header["summary"], exc_type=f"Err{ESC}", message=f"msg{ESC}",
                   site=f"app.py:1 in f{ESC}")
    return join(dict(seed.header, summary=summary), seed.sections)


def escapes_in_a_refused_name(seed: Seed) -> bytes:
    """``refused to load {module}.{name}`` quotes the file's own names."""
    return spliced(seed, global_op(f"os{ESC}", "system") + b"(" + long_binunicode("true")
                   + b"tR")


BUILDERS: Dict[str, Callable[[Seed], bytes]] = {f.__name__: f for f in (
    module_frame_smuggles_a_loader, build_on_a_factory, build_on_a_cut_instance,
    deep_tuple_key, colliding_keys, many_nones, shared_big_string, shared_big_filename,
    many_arguments, long_source_line, long_expression, huge_return_value,
    unclosed_bracket_source, escapes_everywhere, escapes_in_the_header,
    escapes_in_a_refused_name,
)}
"""Every builder that needs only the seed, by name: the fuzz run mutates their output."""


def write(seed: Seed, directory: Any, name: str, data: bytes | None = None) -> Any:
    """Write ``BUILDERS[name](seed)`` (or ``data``) as ``directory/name.dump``."""
    path = directory / f"{name}.dump"
    path.write_bytes(BUILDERS[name](seed) if data is None else data)
    return path
