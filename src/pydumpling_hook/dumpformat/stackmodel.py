"""The pre-walk's model of the unpickler's stack, one opcode at a time.

``prewalk`` replays the common opcodes inline, in one loop, because that loop is
what a load pays for; everything else comes here, one call per opcode: the rare
and the hostile opcodes, and the common ones whenever their inline check fails,
so that each rule has one place that raises. See ``prewalk``'s docstring for the
bounds and ``docs/FORMAT.md`` for the shapes.
"""

from __future__ import annotations

from array import array
from pickle import UnpicklingError

from . import opcodes as codes
from .keys import Values

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Any, Mapping

STATEFUL = frozenset({"ObjectSnapshot", "CutContainer"})
"""The model types whose state follows them (``BUILD``); the others are whole at once."""
MAX_CALLS = 500_000
"""Values built by a call (REDUCE): each is a loader object of a few hundred bytes, and
a capture at the default budgets makes a few thousand."""
MAX_TEXT_DIGITS = 4300
"""Digits of a protocol-0 integer (``int()`` of a long text is quadratic)."""


class StackModel(Values):
    """The stack, marks and memo of one pickle as integers, and the rules of each opcode."""

    def __init__(self, raw: bytes, callables: Mapping[tuple, str]) -> None:
        super().__init__(raw)
        self.callables = callables
        self.stack = array("q")
        self.marks: list = []
        self.memo = array("q")
        self.items = self.calls = self.size = 0
        self.stateful: set = set()  # offsets of the STATEFUL instances (BUILD targets)
        self.model_names: dict = {}  # offset of a GLOBAL naming a model type -> its name

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
        if kind == "model":
            self.model_names[at] = name
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
