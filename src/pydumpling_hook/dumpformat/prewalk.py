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

import struct
from array import array
from pickle import UnpicklingError

from . import opcodes as codes
from .keys import MAX_HASHABLE_DEPTH, Values

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Any, Mapping

MAX_ITEMS = 4_000_000
"""Values pushed in all. A capture at the default budgets pushes about 2.5 million."""
MAX_MEMORY = 300 << 20
"""What the values would take once built, estimated per opcode (``opcodes.SIZES``): an
empty set costs 30 times a ``None``. A capture at the default budgets comes to about 125 MB."""
STATEFUL = frozenset({"ObjectSnapshot", "CutContainer"})
"""The model types whose state follows them (``BUILD``); the others are whole at once."""
MAX_CALLS = 500_000
"""Values built by a call (REDUCE): each is a loader object of a few hundred bytes, and
a capture at the default budgets makes a few thousand."""
MAX_TEXT_DIGITS = 4300
"""Digits of a protocol-0 integer (``int()`` of a long text is quadratic)."""

def _too_big(items: int, size: int) -> None:
    if items > MAX_ITEMS:
        raise UnpicklingError(f"more than {MAX_ITEMS:,} values")
    raise UnpicklingError(f"its values would take over {MAX_MEMORY >> 20} MB")




class _Walk(Values):
    """One pass over one pickle; see the module docstring."""

    def __init__(self, raw: bytes, callables: Mapping[tuple, str]) -> None:
        super().__init__(raw)
        self.callables = callables
        self.stack = array("q")
        self.marks: list = []
        self.memo = array("q")
        self.items = self.calls = self.size = 0
        self.stateful: set = set()  # offsets of the STATEFUL instances (BUILD targets)

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
        self.size += codes.SIZE_ENTRY * len(taken)
        del self.stack[start:]
        return taken

    def top(self) -> int:
        if len(self.stack) <= self.fence():
            raise UnpicklingError("unpickling stack underflow")
        return self.stack[-1]

    def target(self, allowed: Any, what: str) -> int:
        token = self.top()
        if token < 0 or self.raw[token] not in allowed:
            raise UnpicklingError(f"{what} applied to the wrong kind of value")
        return token

    def named(self, at: int) -> int:
        """Resolve the ``module\\nname\\n`` argument of GLOBAL or INST."""
        module, name = (self.line(at, n).decode("utf-8", "replace") for n in (0, 1))
        return self.resolve(at, module, name)

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
            if name in STATEFUL:
                self.stateful.add(at)
            return at
        if kind == "slice" and 1 <= len(arguments) <= 3:
            return self.composite(codes.SLICE_KIND, arguments)
        if kind == "complex" and len(arguments) <= 2 and all(
                t >= 0 and self.raw[t] in b"JKMI\x8a\x8bLFG" for t in arguments):
            return self.composite(codes.COMPLEX_KIND, arguments)
        raise UnpicklingError("a value is built by a call that is not part of the format")

    def run(self) -> None:
        """Walk to STOP. The opcodes that make up most bodies (leaves, MEMOIZE, BINGET,
        TUPLE2, MARK, SETITEMS) are handled inline, without a call: this loop is what a
        load pays for."""
        raw, end, pos = self.raw, len(self.raw), 0
        fast, widths, runs = codes.FAST, codes.WIDTHS, codes.RUNS
        stack, marks, memo = self.stack, self.marks, self.memo
        push, pop, remember = stack.append, stack.pop, memo.append
        kinds, depths, members, starts = self.kinds, self.depths, self.members, self.starts
        items, limit, fence = self.items, MAX_ITEMS, 0
        size, size_limit, sizes = self.size, MAX_MEMORY, codes.SIZES
        leaf, short, long_leaf = codes.F_LEAF, codes.F_SHORT, codes.F_LONG
        memoize, binget, tuple2 = codes.F_MEMOIZE, codes.F_BINGET, codes.F_TUPLE2
        long_binget, string_size = codes.F_LONG_BINGET, codes.SIZE_STRING
        from_bytes = int.from_bytes
        mark, setitems, dicts, lists = codes.F_MARK, codes.F_SETITEMS, codes.DICTS, codes.LISTS
        while pos < end:
            op = raw[pos]
            kind = fast[op]
            if kind == leaf:
                width = widths[op]
                if pos + width < end and raw[pos + width] == op:
                    span = runs[op].match(raw, pos).end() - pos
                    run = span // width
                    if items + run > limit or size + run * sizes[op] > size_limit:
                        _too_big(items + run, size + run * sizes[op])
                    if len(stack) == fence > (marks[-2] if len(marks) > 1 else 0) and \
                            raw[pos + span:pos + span + 1] == b"e" and stack[-1] >= 0 and \
                            raw[stack[-1]] in lists:
                        # MARK, a run, APPENDS: a list of numbers, whose items go
                        # straight into the list below the mark, never on the stack.
                        marks.pop()
                        fence = marks[-1] if marks else 0
                        items += run
                        size += run * (sizes[op] + codes.SIZE_ENTRY)
                        pos += span + 1
                        continue
                    stack.extend(range(pos, pos + span, width))
                    items += run - 1
                    size += (run - 1) * sizes[op]
                    pos += span - width
                else:
                    push(pos)
                size += sizes[op]
                pos += width
            elif kind == memoize and len(stack) > fence:
                remember(stack[-1])
                pos += 1
                continue
            elif kind == short:
                # A dict of strings is a run of SHORT_BINUNICODE, each memoized: the
                # commonest stretch of a body, walked without leaving this loop.
                count = 0
                while True:
                    at = pos
                    push(at)
                    count += 1
                    pos += 2 + raw[pos + 1]
                    if pos < end and raw[pos] == 0x94:
                        remember(at)
                        pos += 1
                    if pos >= end or raw[pos] != op or count > limit:
                        break
                items += count - 1
                size += count * string_size
            elif kind == long_leaf:
                push(pos)
                size += codes.SIZE_STRING
                pos += 5 + from_bytes(raw[pos + 1:pos + 5], "little")
            elif kind == binget and raw[pos + 1] < len(memo):
                push(memo[raw[pos + 1]])
                size += codes.SIZE_POINTER
                pos += 2
            elif kind == long_binget and from_bytes(raw[pos + 1:pos + 5], "little") < len(memo):
                push(memo[from_bytes(raw[pos + 1:pos + 5], "little")])  # past 256 memoized
                size += codes.SIZE_POINTER
                pos += 5
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
                kinds.append(codes.TUPLE_KIND)
                depths.append(depth)
                starts.append(len(members))
                push(-len(kinds))
                size += codes.SIZE_TUPLE + 2 * codes.SIZE_POINTER
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
                size += codes.SIZE_ENTRY * len(keys)
                pos += 1
                continue
            else:
                start, arg = pos, codes.ARGS[op]
                if arg is None:
                    raise UnpicklingError(f"invalid opcode {op:#04x} at {start}")
                pos = self.argument(op, arg, pos + 1)
                if pos > end:
                    raise UnpicklingError("pickle data was truncated")
                self.items, self.size = items, size + sizes[op]
                if self.step(codes.ACTIONS[op], op, start):
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
        if kind == codes.COUNT1:
            return pos + 1 + raw[pos]
        if kind >= codes.COUNT8:
            width = 8 if kind == codes.COUNT8 else 4
            size = int.from_bytes(raw[pos:pos + width], "little", signed=kind == codes.COUNT4S)
            if size < 0:
                raise UnpicklingError(f"negative length at {pos - 1}")
            return pos + width + size
        for _ in range(2 if kind == codes.LINE2 else 1):
            newline = raw.find(b"\n", pos)
            if newline < 0:
                raise UnpicklingError("pickle data was truncated")
            if op in b"IL" and newline - pos > MAX_TEXT_DIGITS + 2:
                raise UnpicklingError(f"an integer of over {MAX_TEXT_DIGITS} digits")
            pos = newline + 1
        return pos

    def step(self, action: int, op: int, at: int) -> bool:  # noqa: C901 - one opcode table
        """Apply one opcode to the model; True at STOP."""
        if action == codes.LEAF or action == codes.MUTABLE:
            self.push(at)
        elif action == codes.MEMOIZE or action == codes.PUT:
            self.memoize(action, op, at)
        elif action == codes.GET:
            index = self.memo_index(op, at)
            if index >= len(self.memo):
                raise UnpicklingError(f"memo key {index} not found")
            self.push(self.memo[index])
        elif action == codes.MARK:
            self.items += 1
            self.marks.append(len(self.stack))
        elif codes.TUPLE1 <= action <= codes.TUPLE3:
            self.push(self.composite(codes.TUPLE_KIND, self.pop(action - codes.TUPLE1 + 1)))
        elif action == codes.TUPLE:
            self.push(self.composite(codes.TUPLE_KIND, self.pop_mark()))
        elif action == codes.EMPTY_TUPLE:
            self.push(self.composite(codes.TUPLE_KIND, []))
        elif action == codes.SETITEMS or action == codes.SETITEM:
            pairs = self.pop_mark() if action == codes.SETITEMS else self.pop(2)
            if len(pairs) % 2:
                raise UnpicklingError("odd number of items for SETITEMS")
            self.count_keys(self.target(codes.DICTS, "SETITEM"), pairs[0::2])
        elif action == codes.APPENDS or action == codes.APPEND:
            self.pop_mark() if action == codes.APPENDS else self.pop()
            self.target(codes.LISTS, "APPEND")
        elif action == codes.ADDITEMS:
            members = self.pop_mark()
            self.count_keys(self.target(b"\x8f", "ADDITEMS"), members)
        elif action == codes.DICT:
            pairs = self.pop_mark()
            if len(pairs) % 2:
                raise UnpicklingError("odd number of items for DICT")
            self.count_keys(at, pairs[0::2])
            self.push(at)
        elif action == codes.LIST:
            self.pop_mark()
            self.push(at)
        elif action == codes.FROZENSET:
            members = self.pop_mark()
            self.count_keys(at, members)
            self.push(self.composite(codes.FROZENSET_KIND, members))
        else:
            return self.step_objects(action, op, at)
        return False

    def step_objects(self, action: int, op: int, at: int) -> bool:
        """The opcodes that name or call something, the stack's own and STOP."""
        if action == codes.STACK_GLOBAL:
            name, module = self.pop(2)[::-1]
            self.push(self.resolve(at, self.text(module), self.text(name)))
        elif action == codes.GLOBAL:
            self.push(self.named(at))
        elif action == codes.REDUCE:
            function, arguments = self.pop(2)
            self.push(self.call(at, function, self.tuple_members(arguments, "REDUCE")))
        elif action == codes.INST or action == codes.OBJ:
            if action == codes.INST:
                self.named(at)  # a name from outside the format is refused by name
            raise UnpicklingError("INST and OBJ are not part of the format")
        elif action == codes.BUILD:
            self.pop()
            if self.top() not in self.stateful:
                raise UnpicklingError("state (BUILD) set on something that is not a snapshot")
        elif action == codes.POP:
            if self.marks and self.marks[-1] == len(self.stack):
                self.marks.pop()
            else:
                self.pop()
        elif action == codes.POP_MARK:
            self.pop_mark()
        elif action == codes.DUP:
            self.push(self.top())
        elif action == codes.STOP:
            self.top()
            return True
        elif action == codes.REFUSE:
            reason = codes.REFUSALS.get(chr(op), f"opcode {op:#04x} is not part of the format")
            raise UnpicklingError(reason)
        elif action != codes.NOP:
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
        index = len(self.memo) if action == codes.MEMOIZE else self.memo_index(op, at)
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
