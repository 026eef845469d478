"""The walk a body's pickle gets before the C unpickler sees a byte of it.

The C unpickler trusts what a file controls, and some of what it then does
cannot be interrupted or bounded from Python:

* a memo index or a declared length makes it allocate first (``LONG_BINPUT
  2**27`` zeroes 2 GiB for an 8-byte pickle; ``BINBYTES8`` reserves what it claims);
* a tuple nested a million deep, used as a dict key, is hashed by C recursion
  that has no depth check: the process dies of a stack overflow;
* dict keys that all hash alike (``k * (2**61 - 1)``) make every insertion walk
  all the keys before it: quadratic time for a file of a few kilobytes;
* sixty million ``None`` opcodes compress to 59 KB and take 1.5 GB to hold.

So the opcodes are replayed here on a model of the unpickler's stack, in time
linear in the pickle and without building any value, and the file is refused
before anything is built if it breaks one of the bounds below. Each stack
entry is one integer (an ``array``), so the walk itself needs a few bytes per
item. An entry is the offset of the opcode that made the value, or, for a
tuple, frozenset, slice or complex (the values that can be hashed through
their items), ``-1 - n`` for the n-th such composite. Equal hashes are
counted only where an attacker can choose them: numbers outside the range
where ``hash(n) == n``, and composites. A ``str`` or ``bytes`` alone is
protected by hash randomisation, but inside a composite it is decoded, so
that equal strings count as equal whatever their encoding.

The walk also pins the few shapes the format uses (see ``docs/FORMAT.md``):
state (``BUILD``) may only be set on an instance of a model type, ``REDUCE``
may only call a model type or ``complex``/``slice``, items go only into
containers of the right kind, and opcodes the format never writes
(``NEWOBJ``, persistent ids, extension codes, out-of-band buffers) are refused.
"""

from __future__ import annotations

import codecs
import re
import struct
from array import array
from pickle import UnpicklingError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Any, Mapping

MAX_ITEMS = 4_000_000
"""Values pushed in all. A capture at the default budgets pushes about 2.5 million."""
MAX_MEMORY = 300 << 20
"""What the values would take once built, estimated per opcode (``_SIZES``): an empty
set costs 30 times a ``None``. A capture at the default budgets comes to about 100 MB."""
MAX_CALLS = 500_000
"""Values built by a call (REDUCE): each is a loader object of a few hundred bytes, and
a capture at the default budgets makes a few thousand."""
MAX_HASHABLE_DEPTH = 100
"""Nesting of tuples, frozensets and slices (hashing them recurses in C without a check)."""
MAX_EQUAL_HASHES = 32
"""Keys of one dict or set with the same hash; real data has two or three at most."""
MAX_TEXT_DIGITS = 4300
"""Digits of a protocol-0 integer (``int()`` of a long text is quadratic)."""

# Arguments: > 0 a fixed size; the negative kinds below; 0 none; None: not an opcode.
_COUNT1, _COUNT4, _COUNT4S, _COUNT8, _LINE, _LINE2 = -1, -2, -3, -4, -5, -6
# What an opcode does to the stack.
(_LEAF, _MUTABLE, _EMPTY_TUPLE, _MARK, _TUPLE, _TUPLE1, _TUPLE2, _TUPLE3, _LIST, _DICT,
 _FROZENSET, _APPEND, _APPENDS, _SETITEM, _SETITEMS, _ADDITEMS, _POP, _POP_MARK, _DUP,
 _MEMOIZE, _PUT, _GET, _GLOBAL, _STACK_GLOBAL, _REDUCE, _BUILD, _INST, _OBJ, _NOP, _STOP,
 _REFUSE) = range(31)

_OPCODES = {
    # leaves: numbers, strings, bytes, constants
    "I": (_LINE, _LEAF), "J": (4, _LEAF), "K": (1, _LEAF), "M": (2, _LEAF), "L": (_LINE, _LEAF),
    "\x8a": (_COUNT1, _LEAF), "\x8b": (_COUNT4S, _LEAF), "S": (_LINE, _LEAF),
    "T": (_COUNT4S, _LEAF), "U": (_COUNT1, _LEAF), "B": (_COUNT4, _LEAF), "C": (_COUNT1, _LEAF),
    "\x8e": (_COUNT8, _LEAF), "N": (0, _LEAF), "\x88": (0, _LEAF), "\x89": (0, _LEAF),
    "V": (_LINE, _LEAF), "\x8c": (_COUNT1, _LEAF), "X": (_COUNT4, _LEAF),
    "\x8d": (_COUNT8, _LEAF), "F": (_LINE, _LEAF), "G": (8, _LEAF),
    # containers
    "\x96": (_COUNT8, _MUTABLE), "]": (0, _MUTABLE), "}": (0, _MUTABLE), "\x8f": (0, _MUTABLE),
    ")": (0, _EMPTY_TUPLE), "(": (0, _MARK), "t": (0, _TUPLE), "\x85": (0, _TUPLE1),
    "\x86": (0, _TUPLE2), "\x87": (0, _TUPLE3), "l": (0, _LIST), "d": (0, _DICT),
    "\x91": (0, _FROZENSET), "a": (0, _APPEND), "e": (0, _APPENDS), "s": (0, _SETITEM),
    "u": (0, _SETITEMS), "\x90": (0, _ADDITEMS),
    # stack and memo
    "0": (0, _POP), "1": (0, _POP_MARK), "2": (0, _DUP), "\x94": (0, _MEMOIZE),
    "p": (_LINE, _PUT), "q": (1, _PUT), "r": (4, _PUT), "g": (_LINE, _GET), "h": (1, _GET),
    "j": (4, _GET),
    # objects
    "c": (_LINE2, _GLOBAL), "\x93": (0, _STACK_GLOBAL), "R": (0, _REDUCE), "b": (0, _BUILD),
    "i": (_LINE2, _INST), "o": (0, _OBJ), "\x80": (1, _NOP), "\x95": (8, _NOP), ".": (0, _STOP),
    # never written by the format
    "\x81": (0, _REFUSE), "\x92": (0, _REFUSE), "P": (_LINE, _REFUSE), "Q": (0, _REFUSE),
    "\x82": (1, _REFUSE), "\x83": (2, _REFUSE), "\x84": (4, _REFUSE), "\x97": (0, _REFUSE),
    "\x98": (0, _REFUSE),
}
_REFUSALS = {"\x81": "NEWOBJ is not part of the format", "\x92": "NEWOBJ_EX is not part of "
             "the format", "P": "persistent ids are not part of the format",
             "Q": "persistent ids are not part of the format"}
_ARGS: list = [None] * 256
_ACTIONS = bytearray(256)
for _code, (_arg, _action) in _OPCODES.items():
    _ARGS[ord(_code)], _ACTIONS[ord(_code)] = _arg, _action

# The inline paths of _Walk.run: most opcodes of a real body take one of them.
(_F_SLOW, _F_LEAF, _F_SHORT, _F_LONG, _F_MEMOIZE, _F_BINGET, _F_TUPLE2, _F_MARK,
 _F_SETITEMS) = range(9)
_FAST = bytearray(256)
_WIDTHS = bytearray(256)
for _code in range(256):
    _arg = _ARGS[_code]
    if _ACTIONS[_code] <= _MUTABLE and _arg is not None and _arg >= 0:
        _FAST[_code], _WIDTHS[_code] = _F_LEAF, 1 + _arg
    elif _ACTIONS[_code] == _LEAF and _arg in (_COUNT1, _COUNT4):
        _FAST[_code] = _F_SHORT if _arg == _COUNT1 else _F_LONG
_FAST[0x94], _FAST[ord("h")], _FAST[0x86] = _F_MEMOIZE, _F_BINGET, _F_TUPLE2
_FAST[ord("(")], _FAST[ord("u")] = _F_MARK, _F_SETITEMS
_RUNS = {code: re.compile(re.escape(bytes([code])) + b"+") for code in range(256)
         if _FAST[code] == _F_LEAF and _WIDTHS[code] == 1}
"""Runs of one one-byte leaf (``NNNN...``) are pushed at once."""

_DICTS = frozenset(b"}d")
_LISTS = frozenset(b"]l")
_INSTANCES = frozenset(b"R")
_GLOBALS = frozenset(b"c\x93")
_STRINGS = frozenset(b"STUBC\x8eV\x8cX\x8d")
_COLLIDING = frozenset(b"\x8a\x8bILFG")
"""Number opcodes whose value may hash like another (the small-int ones never do)."""
_NUMBER_RANGE = (1 << 61) - 1
_TUPLE_KIND, _FROZENSET_KIND, _SLICE_KIND, _COMPLEX_KIND = range(4)


# Estimated bytes of what an opcode builds, with the pointer that holds it.
_SIZE_POINTER, _SIZE_STRING, _SIZE_TUPLE, _SIZE_ENTRY = 8, 64, 56, 16
_SIZES = [_SIZE_POINTER] * 256
for _code in b"JMIL\x8a\x8bFG":
    _SIZES[_code] = _SIZE_POINTER + 32
for _code in b"STUBC\x8eV\x8cX\x8d":
    _SIZES[_code] = _SIZE_STRING
for _code, _size in ((b"]", 72), (b"l", 72), (b"}", 80), (b"d", 80), (b"\x8f", 232),
                     (b"\x91", 232), (b"\x96", 72), (b"t", _SIZE_TUPLE), (b")", _SIZE_TUPLE),
                     (b"\x85", _SIZE_TUPLE), (b"\x87", _SIZE_TUPLE), (b"R", 400)):
    _SIZES[_code[0]] = _SIZE_POINTER + _size


def _too_big(items: int, size: int) -> None:
    if items > MAX_ITEMS:
        raise UnpicklingError(f"more than {MAX_ITEMS:,} values")
    raise UnpicklingError(f"its values would take over {MAX_MEMORY >> 20} MB")


class _Unhashable(Exception):
    """A key that the unpickler would fail to hash anyway: nothing to count."""


class _Walk:
    """One pass over one pickle; see the module docstring."""

    def __init__(self, raw: bytes, callables: Mapping[tuple, str]) -> None:
        self.raw = raw
        self.callables = callables
        self.stack = array("q")
        self.marks: list = []
        self.memo = array("q")
        self.items = self.calls = self.size = 0
        self.kinds = bytearray()  # per composite: _TUPLE_KIND...
        self.depths = bytearray()
        self.starts = array("q", [0])  # composite n's items are members[starts[n]:starts[n+1]]
        self.members = array("q")
        self.globals: dict = {}  # offset of a GLOBAL/STACK_GLOBAL -> (module, name, kind)
        self.equal: dict = {}  # (container, hash) -> count
        self.values: dict = {}  # composite or long string -> what it hashes like
        self.stateful: set = set()  # offsets of the ObjectSnapshot instances (BUILD targets)

    # ----------------------------------------------------------------- the stack

    def fence(self) -> int:
        return self.marks[-1] if self.marks else 0

    def push(self, token: int) -> None:
        self.items += 1
        self.stack.append(token)

    def pop(self, count: int = 1) -> list:
        stack = self.stack
        if len(stack) - count < self.fence():
            raise UnpicklingError("unpickling stack underflow")
        taken = stack[len(stack) - count:].tolist()
        del stack[len(stack) - count:]
        return taken

    def pop_mark(self) -> list:
        if not self.marks:
            raise UnpicklingError("could not find MARK")
        start = self.marks.pop()
        taken = self.stack[start:].tolist()
        self.size += _SIZE_ENTRY * len(taken)
        del self.stack[start:]
        return taken

    def top(self) -> int:
        if len(self.stack) <= self.fence():
            raise UnpicklingError("unpickling stack underflow")
        return self.stack[-1]

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
        if token >= 0 or self.kinds[-1 - token] != _TUPLE_KIND:
            raise UnpicklingError(f"{what} arguments are not a tuple")
        n = -1 - token
        return self.members[self.starts[n]:self.starts[n + 1]].tolist()

    # ----------------------------------------------------------------- values

    def line(self, at: int, skip: int = 0) -> bytes:
        """The text argument of the opcode at ``at`` (``skip`` lines further for GLOBAL)."""
        start = at + 1
        for _ in range(skip):
            start = self.raw.index(b"\n", start) + 1
        return self.raw[start:self.raw.index(b"\n", start)]

    def named(self, at: int) -> int:
        """Resolve the ``module\\nname\\n`` argument of GLOBAL or INST."""
        module, name = (self.line(at, n).decode("utf-8", "replace") for n in (0, 1))
        return self.resolve(at, module, name)

    def text(self, token: int) -> str:
        """The ``str`` a string opcode at ``token`` makes (for STACK_GLOBAL's names)."""
        value = self.leaf(token) if token >= 0 and self.raw[token] in _STRINGS else None
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
                if kind == _TUPLE_KIND:
                    cached = tuple(parts)
                elif kind == _FROZENSET_KIND:
                    cached = frozenset(parts)
                elif kind == _SLICE_KIND:
                    cached = slice(*parts)
                else:
                    cached = complex(*parts)
                self.values[token] = cached
            return cached
        op = self.raw[token]
        if op in _INSTANCES:
            return ("instance", token)  # hashed by identity: one object, one hash
        if op in _GLOBALS:
            return ("global",) + self.globals[token][:2]
        if op in b"]}\x8f\x96dl":
            raise _Unhashable
        if op in _STRINGS and token in self.values:
            return self.values[token]
        value = self.leaf(token)
        if isinstance(value, (str, bytes)) and len(value) > 256:
            value = self.values[token] = ("long", hash(value))
        return value

    def count_keys(self, container: int, keys: Any) -> None:
        """Refuse ``container`` if more than ``MAX_EQUAL_HASHES`` of ``keys`` hash alike."""
        raw, equal = self.raw, self.equal
        for key in keys:
            if key >= 0 and raw[key] not in _COLLIDING:
                continue
            try:
                value = self.lane(key)
                if isinstance(value, int) and -_NUMBER_RANGE < value < _NUMBER_RANGE \
                        and value != -1:
                    continue  # hash(n) == n here: distinct values never collide
                slot = (container, hash(value))
            except (_Unhashable, TypeError, ValueError, OverflowError):
                continue  # the unpickler fails on this key itself
            count = equal[slot] = equal.get(slot, 0) + 1
            if count > MAX_EQUAL_HASHES:
                raise UnpicklingError(
                    f"a dict or set has over {MAX_EQUAL_HASHES} keys with the same hash")

    def target(self, allowed: Any, what: str) -> int:
        token = self.top()
        if token < 0 or self.raw[token] not in allowed:
            raise UnpicklingError(f"{what} applied to the wrong kind of value")
        return token

    # ----------------------------------------------------------------- objects

    def resolve(self, at: int, module: str, name: str) -> int:
        kind = self.callables.get((module, name))
        if kind is None:
            raise UnpicklingError(f"refused to load {module}.{name}"[:300])
        self.globals[at] = (module, name, kind)
        return at

    def call(self, at: int, function: int, arguments: list) -> int:
        """What ``REDUCE`` pushes: only the calls the format makes."""
        module, name, kind = self.globals.get(function, (None, None, None)) \
            if function >= 0 else (None, None, None)
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise UnpicklingError(f"more than {MAX_CALLS:,} objects")
        if kind == "model":
            if name == "ObjectSnapshot":
                self.stateful.add(at)
            return at
        if kind == "slice" and 1 <= len(arguments) <= 3:
            return self.composite(_SLICE_KIND, arguments)
        if kind == "complex" and len(arguments) <= 2 and all(
                t >= 0 and self.raw[t] in b"JKMI\x8a\x8bLFG" for t in arguments):
            return self.composite(_COMPLEX_KIND, arguments)
        raise UnpicklingError("a value is built by a call that is not part of the format")

    # ----------------------------------------------------------------- the walk

    def run(self) -> None:
        """Walk to STOP. The opcodes that make up most bodies (leaves, MEMOIZE, BINGET,
        TUPLE2) are handled inline, without a call: this loop is what a load pays for."""
        raw, end, pos = self.raw, len(self.raw), 0
        fast, widths, runs = _FAST, _WIDTHS, _RUNS
        stack, marks, memo = self.stack, self.marks, self.memo
        push, pop, remember = stack.append, stack.pop, memo.append
        kinds, depths, members, starts = self.kinds, self.depths, self.members, self.starts
        items, limit, fence = self.items, MAX_ITEMS, 0
        size, size_limit, sizes = self.size, MAX_MEMORY, _SIZES
        leaf, short, memoize, binget, tuple2 = _F_LEAF, _F_SHORT, _F_MEMOIZE, _F_BINGET, _F_TUPLE2
        long_leaf, from_bytes = _F_LONG, int.from_bytes
        mark, setitems, dicts = _F_MARK, _F_SETITEMS, _DICTS
        while pos < end:
            op = raw[pos]
            kind = fast[op]
            if kind == leaf:
                if widths[op] == 1 and raw[pos + 1:pos + 2] == raw[pos:pos + 1]:
                    run = runs[op].match(raw, pos).end() - pos  # e.g. sixty million None
                    if items + run > limit or size + run * sizes[op] > size_limit:
                        _too_big(items + run, size + run * sizes[op])
                    stack.extend(range(pos, pos + run))
                    items += run - 1
                    size += (run - 1) * sizes[op]
                    pos += run - 1
                else:
                    push(pos)
                size += sizes[op]
                pos += widths[op]
            elif kind == memoize and len(stack) > fence:
                remember(stack[-1])
                pos += 1
                continue
            elif kind == short:
                push(pos)
                size += _SIZE_STRING
                pos += 2 + raw[pos + 1]
            elif kind == long_leaf:
                push(pos)
                size += _SIZE_STRING
                pos += 5 + from_bytes(raw[pos + 1:pos + 5], "little")
            elif kind == binget and raw[pos + 1] < len(memo):
                push(memo[raw[pos + 1]])
                size += _SIZE_POINTER
                pos += 2
            elif kind == tuple2 and len(stack) - 1 > fence:
                second, first = pop(), pop()
                depth = 1
                if first < 0 or second < 0:
                    depth = 1 + max(depths[-1 - t] for t in (first, second) if t < 0)
                    if depth > MAX_HASHABLE_DEPTH:
                        raise UnpicklingError(
                            f"tuples nested more than {MAX_HASHABLE_DEPTH} deep")
                members.append(first)
                members.append(second)
                kinds.append(_TUPLE_KIND)
                depths.append(depth)
                starts.append(len(members))
                push(-len(kinds))
                size += _SIZE_TUPLE + 2 * _SIZE_POINTER
                pos += 1
            elif kind == mark:
                marks.append(len(stack))
                fence = len(stack)
                pos += 1
            elif kind == setitems and marks and (len(stack) - fence) % 2 == 0 \
                    and fence > (marks[-2] if len(marks) > 1 else 0):
                keys = stack[fence::2]
                del stack[fence:]
                marks.pop()
                fence = marks[-1] if marks else 0
                target = stack[-1]
                if target < 0 or raw[target] not in dicts:
                    raise UnpicklingError("SETITEM applied to the wrong kind of value")
                self.count_keys(target, keys)
                size += _SIZE_ENTRY * len(keys)
                pos += 1
                continue
            else:
                start, arg = pos, _ARGS[op]
                if arg is None:
                    raise UnpicklingError(f"invalid opcode {op:#04x} at {start}")
                pos = self.argument(op, arg, pos + 1)
                if pos > end:
                    raise UnpicklingError("pickle data was truncated")
                self.items, self.size = items, size + sizes[op]
                if self.step(_ACTIONS[op], op, start):
                    return
                items, size = self.items, self.size
                fence = marks[-1] if marks else 0
                if items <= limit and size <= size_limit:
                    continue
            items += 1
            if items > limit or size > size_limit:
                _too_big(items, size)
        raise UnpicklingError("pickle data was truncated")

    def argument(self, op: int, kind: int, pos: int) -> int:
        """Where the argument of ``op``, starting at ``pos``, ends."""
        raw = self.raw
        if kind >= 0:
            return pos + kind
        if kind == _COUNT1:
            return pos + 1 + raw[pos]
        if kind >= _COUNT8:
            width = 8 if kind == _COUNT8 else 4
            size = int.from_bytes(raw[pos:pos + width], "little", signed=kind == _COUNT4S)
            if size < 0:
                raise UnpicklingError(f"negative length at {pos - 1}")
            return pos + width + size
        for _ in range(2 if kind == _LINE2 else 1):
            newline = raw.find(b"\n", pos)
            if newline < 0:
                raise UnpicklingError("pickle data was truncated")
            if op in b"IL" and newline - pos > MAX_TEXT_DIGITS + 2:
                raise UnpicklingError(f"an integer of over {MAX_TEXT_DIGITS} digits")
            pos = newline + 1
        return pos

    def step(self, action: int, op: int, at: int) -> bool:  # noqa: C901 - one opcode table
        """Apply one opcode to the model; True at STOP."""
        if action == _LEAF or action == _MUTABLE:
            self.push(at)
        elif action == _MEMOIZE or action == _PUT:
            self.memoize(action, op, at)
        elif action == _GET:
            index = self.memo_index(op, at)
            if index >= len(self.memo):
                raise UnpicklingError(f"memo key {index} not found")
            self.push(self.memo[index])
        elif action == _MARK:
            self.items += 1
            self.marks.append(len(self.stack))
        elif _TUPLE1 <= action <= _TUPLE3:
            self.push(self.composite(_TUPLE_KIND, self.pop(action - _TUPLE1 + 1)))
        elif action == _TUPLE:
            self.push(self.composite(_TUPLE_KIND, self.pop_mark()))
        elif action == _EMPTY_TUPLE:
            self.push(self.composite(_TUPLE_KIND, []))
        elif action == _SETITEMS or action == _SETITEM:
            pairs = self.pop_mark() if action == _SETITEMS else self.pop(2)
            if len(pairs) % 2:
                raise UnpicklingError("odd number of items for SETITEMS")
            self.count_keys(self.target(_DICTS, "SETITEM"), pairs[0::2])
        elif action == _APPENDS or action == _APPEND:
            self.pop_mark() if action == _APPENDS else self.pop()
            self.target(_LISTS, "APPEND")
        elif action == _ADDITEMS:
            members = self.pop_mark()
            self.count_keys(self.target(b"\x8f", "ADDITEMS"), members)
        elif action == _DICT:
            pairs = self.pop_mark()
            if len(pairs) % 2:
                raise UnpicklingError("odd number of items for DICT")
            self.count_keys(at, pairs[0::2])
            self.push(at)
        elif action == _LIST:
            self.pop_mark()
            self.push(at)
        elif action == _FROZENSET:
            members = self.pop_mark()
            self.count_keys(at, members)
            self.push(self.composite(_FROZENSET_KIND, members))
        else:
            return self.step_objects(action, op, at)
        return False

    def step_objects(self, action: int, op: int, at: int) -> bool:
        """The opcodes that name or call something, the stack's own and STOP."""
        if action == _STACK_GLOBAL:
            name, module = self.pop(2)[::-1]
            self.push(self.resolve(at, self.text(module), self.text(name)))
        elif action == _GLOBAL:
            self.push(self.named(at))
        elif action == _REDUCE:
            function, arguments = self.pop(2)
            self.push(self.call(at, function, self.tuple_members(arguments, "REDUCE")))
        elif action == _INST or action == _OBJ:
            if action == _INST:
                self.named(at)  # a name from outside the format is refused by name
            raise UnpicklingError("INST and OBJ are not part of the format")
        elif action == _BUILD:
            self.pop()
            if self.top() not in self.stateful:
                raise UnpicklingError("state (BUILD) set on something that is not a snapshot")
        elif action == _POP:
            if self.marks and self.marks[-1] == len(self.stack):
                self.marks.pop()
            else:
                self.pop()
        elif action == _POP_MARK:
            self.pop_mark()
        elif action == _DUP:
            self.push(self.top())
        elif action == _STOP:
            self.top()
            return True
        elif action == _REFUSE:
            reason = _REFUSALS.get(chr(op), f"opcode {op:#04x} is not part of the format")
            raise UnpicklingError(reason)
        elif action != _NOP:
            raise AssertionError(f"opcode {op:#04x} has no rule")  # a bug of this table
        return False

    def memo_index(self, op: int, at: int) -> int:
        if op in b"gp":
            text = self.line(at)
            if len(text) > 18 or not text.isdigit():
                raise UnpicklingError(f"bad memo index at {at}")
            return int(text)
        width = 1 if op in b"hq" else 4
        return int.from_bytes(self.raw[at + 1:at + 1 + width], "little")

    def memoize(self, action: int, op: int, at: int) -> None:
        value = self.top()
        index = len(self.memo) if action == _MEMOIZE else self.memo_index(op, at)
        if index > len(self.memo):
            raise UnpicklingError(f"memo index out of order at {at}")
        if index == len(self.memo):
            self.memo.append(value)
        else:
            self.memo[index] = value


def walk(raw: bytes, callables: Mapping[tuple, str]) -> None:
    """Check the pickle ``raw``; raise ``UnpicklingError`` with one line if it breaks a rule.

    ``callables`` maps the ``(module, name)`` a pickle may name to what it is:
    ``"model"`` (a model type, or the loader's factory for it), ``"complex"``,
    ``"slice"`` or ``"constant"`` (``Ellipsis``, which may be named, not called).
    """
    try:
        _Walk(raw, callables).run()
    except (IndexError, KeyError, ValueError, UnicodeError, struct.error) as exc:
        raise UnpicklingError(f"malformed pickle ({type(exc).__name__})") from None
