"""The values the reader's pre-walk (``prewalk``) must look into: keys and composites.

Most of a pickle the walk only counts. Two things need values: a key's hash
(to count equal hashes per dict or set) and a composite's nesting (tuples,
frozensets, slices and complex numbers are hashed through their items). So
composites are recorded compactly (a kind, a depth and the stack entries of
their members, in flat arrays) and a key is decoded from the pickle only when
it could collide: a number outside the range where ``hash(n) == n``, or a
composite. Inside a composite a string is decoded too, so that equal strings
count as equal however the pickle encoded them; each long string is decoded
once.
"""

from __future__ import annotations

import codecs
import struct
from array import array
from pickle import UnpicklingError

from .opcodes import (
    COLLIDING,
    FROZENSET_KIND,
    GLOBALS,
    INSTANCES,
    NUMBER_RANGE,
    SLICE_KIND,
    STRINGS,
    TUPLE_KIND,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Any

MAX_HASHABLE_DEPTH = 100
"""Nesting of tuples, frozensets and slices (hashing them recurses in C without a check)."""
MAX_EQUAL_HASHES = 32
"""Keys of one dict or set with the same hash; real data has two or three at most."""


class Unhashable(Exception):
    """A key that the unpickler would fail to hash anyway: nothing to count."""


class Values:
    """The composites of one pickle, and the hashes of its keys per container."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.kinds = bytearray()  # per composite: TUPLE_KIND...
        self.depths = bytearray()
        self.starts = array("q", [0])  # composite n's items are members[starts[n]:starts[n+1]]
        self.members = array("q")
        self.globals: dict = {}  # offset of a GLOBAL/STACK_GLOBAL -> (module, name, kind)
        self.equal: dict = {}  # (container, hash) -> count
        self.values: dict = {}  # composite or long string -> what it hashes like

    def composite(self, kind: int, members: list) -> int:
        depths = self.depths
        depth = 1 + max((depths[-1 - t] for t in members if t < 0), default=0)
        if depth > MAX_HASHABLE_DEPTH:
            raise UnpicklingError(f"tuples nested more than {MAX_HASHABLE_DEPTH} deep")
        self.kinds.append(kind)
        depths.append(depth)
        self.members.extend(members)
        self.starts.append(len(self.members))
        return -len(self.kinds)

    def tuple_members(self, token: int, what: str) -> list:
        if token >= 0 or self.kinds[-1 - token] != TUPLE_KIND:
            raise UnpicklingError(f"{what} arguments are not a tuple")
        n = -1 - token
        return self.members[self.starts[n]:self.starts[n + 1]].tolist()

    def line(self, at: int, skip: int = 0) -> bytes:
        """The text argument of the opcode at ``at`` (``skip`` lines further for GLOBAL)."""
        start = at + 1
        for _ in range(skip):
            start = self.raw.index(b"\n", start) + 1
        return self.raw[start:self.raw.index(b"\n", start)]

    def text(self, token: int) -> str:
        """The ``str`` a string opcode at ``token`` makes (for STACK_GLOBAL's names)."""
        value = self.leaf(token) if token >= 0 and self.raw[token] in STRINGS else None
        if not isinstance(value, str):
            raise UnpicklingError("STACK_GLOBAL names are not strings")
        return value

    def leaf(self, at: int) -> Any:
        """The value of the leaf opcode at offset ``at`` (its argument was checked)."""
        raw, op = self.raw, self.raw[at]
        if op in b"KMJ":
            size = {75: 1, 77: 2, 74: 4}[op]
            return int.from_bytes(raw[at + 1:at + 1 + size], "little", signed=op == 74)
        if op in b"\x8a\x8b":
            head = 1 if op == 0x8a else 4
            size = int.from_bytes(raw[at + 1:at + 1 + head], "little")
            return int.from_bytes(raw[at + 1 + head:at + 1 + head + size], "little", signed=True)
        if op in b"IL":
            text = self.line(at)
            if op == 73 and text in (b"00", b"01"):
                return text == b"01"
            return int(text.rstrip(b"L"))
        if op == 70:
            return float(self.line(at))
        if op == 71:
            return struct.unpack(">d", raw[at + 1:at + 9])[0]
        if op in b"N\x88\x89":
            return {78: None, 0x88: True, 0x89: False}[op]
        if op in b"V":
            return self.line(at).decode("raw-unicode-escape")
        if op == 83:  # STRING: a quoted, escaped repr, read as ASCII like the unpickler does
            return codecs.escape_decode(self.line(at)[1:-1])[0].decode("ascii")
        head = {0x8c: 1, 85: 1, 67: 1, 88: 4, 84: 4, 66: 4, 0x8d: 8, 0x8e: 8}[op]
        size = int.from_bytes(raw[at + 1:at + 1 + head], "little")
        data = raw[at + 1 + head:at + 1 + head + size]
        if op in b"\x8cX\x8d":
            return data.decode("utf-8", "surrogatepass")
        return data.decode("ascii") if op in b"TU" else data

    def lane(self, token: int) -> Any:
        """What ``token`` hashes like: equal whenever the real values hash equal."""
        if token < 0:
            cached = self.values.get(token)
            if cached is None:
                n = -1 - token
                parts = [self.lane(t) for t in self.members[self.starts[n]:self.starts[n + 1]]]
                kind = self.kinds[n]
                if kind == TUPLE_KIND:
                    cached = tuple(parts)
                elif kind == FROZENSET_KIND:
                    cached = frozenset(parts)
                elif kind == SLICE_KIND:
                    cached = slice(*parts)
                else:
                    cached = complex(*parts)
                self.values[token] = cached
            return cached
        op = self.raw[token]
        if op in INSTANCES:
            return ("instance", token)  # hashed by identity: one object, one hash
        if op in GLOBALS:
            return ("global",) + self.globals[token][:2]
        if op in b"]}\x8f\x96dl":
            raise Unhashable
        if op in STRINGS and token in self.values:
            return self.values[token]
        value = self.leaf(token)
        if isinstance(value, (str, bytes)) and len(value) > 256:
            value = self.values[token] = ("long", hash(value))
        return value

    def count_keys(self, container: int, keys: Any) -> None:
        """Refuse ``container`` if more than ``MAX_EQUAL_HASHES`` of ``keys`` hash alike."""
        raw, equal = self.raw, self.equal
        for key in keys:
            if key >= 0 and raw[key] not in COLLIDING:
                continue
            try:
                value = self.lane(key)
                if isinstance(value, int) and -NUMBER_RANGE < value < NUMBER_RANGE \
                        and value != -1:
                    continue  # hash(n) == n here: distinct values never collide
                slot = (container, hash(value))
            except (Unhashable, TypeError, ValueError, OverflowError):
                continue  # the unpickler fails on this key itself
            count = equal[slot] = equal.get(slot, 0) + 1
            if count > MAX_EQUAL_HASHES:
                raise UnpicklingError(
                    f"a dict or set has over {MAX_EQUAL_HASHES} keys with the same hash")
