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
from pickle import UnpicklingError

from . import opcodes as codes
from . import stackmodel
from .keys import MAX_HASHABLE_DEPTH
from .stackmodel import STATEFUL, StackModel

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and dumpfile also runs in a crashing process
    from typing import Mapping

MAX_ITEMS = 4_000_000
"""Values pushed in all. A capture at the default budgets pushes about 2.5 million."""
MAX_MEMORY = 300 << 20
"""What the values would take once built, estimated per opcode (``opcodes.SIZES``): an
empty set costs 30 times a ``None``. A capture at the default budgets comes to about 125 MB."""


def _too_big(items: int, size: int) -> None:
    if items > MAX_ITEMS:
        raise UnpicklingError(f"more than {MAX_ITEMS:,} values")
    raise UnpicklingError(f"its values would take over {MAX_MEMORY >> 20} MB")


class _Walk(StackModel):
    """One pass over one pickle; see the module docstring."""

    def run(self) -> None:
        """Walk to STOP. The opcodes that make up most bodies (leaves, MEMOIZE, BINGET,
        TUPLE1-3, MARK, SETITEMS, and a snapshot's REDUCE and BUILD) are handled inline,
        without a call: this loop is what a load pays for. Any of them that fails its
        inline check takes ``step``, which raises in the rule's own words."""
        raw, end, pos = self.raw, len(self.raw), 0
        fast, widths, runs = codes.FAST, codes.WIDTHS, codes.RUNS
        stack, marks, memo = self.stack, self.marks, self.memo
        push, pop, remember = stack.append, stack.pop, memo.append
        kinds, depths, members, starts = self.kinds, self.depths, self.members, self.starts
        items, limit, fence = self.items, MAX_ITEMS, 0
        size, size_limit, sizes = self.size, MAX_MEMORY, codes.SIZES
        leaf, short, long_leaf = codes.F_LEAF, codes.F_SHORT, codes.F_LONG
        memoize, binget, small_tuple = codes.F_MEMOIZE, codes.F_BINGET, codes.F_TUPLE
        reduce, build, model_names = codes.F_REDUCE, codes.F_BUILD, self.model_names
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
            elif kind == small_tuple and len(stack) - fence >= op - 0x84:
                count = op - 0x84
                taken = stack[-count:]
                del stack[-count:]
                depth = 1
                if min(taken) < 0:
                    depth = 1 + max(depths[-1 - t] for t in taken if t < 0)
                    if depth > MAX_HASHABLE_DEPTH:
                        raise UnpicklingError(
                            f"tuples nested more than {MAX_HASHABLE_DEPTH} deep")
                members.extend(taken)
                kinds.append(codes.TUPLE_KIND)
                depths.append(depth)
                starts.append(len(members))
                push(-len(kinds))
                size += codes.SIZE_TUPLE + count * codes.SIZE_POINTER
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
            elif kind == reduce and len(stack) - 2 >= fence and stack[-1] < 0 and \
                    kinds[-1 - stack[-1]] == codes.TUPLE_KIND and \
                    model_names.get(stack[-2]) is not None:
                # A snapshot's constructor called on its arguments: a format's every
                # object, so the commonest call by far (``call`` has the others).
                stateful = model_names[stack[-2]] in STATEFUL
                del stack[-2:]
                self.calls += 1
                if self.calls > stackmodel.MAX_CALLS:
                    raise UnpicklingError(f"more than {stackmodel.MAX_CALLS:,} objects")
                if stateful:
                    self.stateful.add(pos)
                push(pos)
                size += sizes[op]
                pos += 1
            elif kind == build and len(stack) - 2 >= fence and stack[-2] in self.stateful:
                pop()
                size += sizes[op]
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
