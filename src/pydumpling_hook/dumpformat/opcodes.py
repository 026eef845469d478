"""What each pickle opcode is, for the reader's pre-walk (``prewalk``).

The walk keeps one table lookup per opcode: its argument (how to skip it),
its action on the stack, the inline path of the walk's loop it takes, and an
estimate of what the value it builds costs in memory. Built once, at import,
from the ``OPCODES`` table below rather than from ``pickletools``, whose
import costs more than a small dump's whole walk.
"""

from __future__ import annotations

import re

# Arguments: > 0 a fixed size; the negative kinds below; 0 none; None: not an opcode.
COUNT1, COUNT4, COUNT4S, COUNT8, LINE, LINE2 = -1, -2, -3, -4, -5, -6
# What an opcode does to the stack.
(LEAF, MUTABLE, EMPTY_TUPLE, MARK, TUPLE, TUPLE1, TUPLE2, TUPLE3, LIST, DICT,
 FROZENSET, APPEND, APPENDS, SETITEM, SETITEMS, ADDITEMS, POP, POP_MARK, DUP,
 MEMOIZE, PUT, GET, GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NOP, STOP,
 REFUSE) = range(31)

OPCODES = {
    # leaves: numbers, strings, bytes, constants
    "I": (LINE, LEAF), "J": (4, LEAF), "K": (1, LEAF), "M": (2, LEAF), "L": (LINE, LEAF),
    "\x8a": (COUNT1, LEAF), "\x8b": (COUNT4S, LEAF), "S": (LINE, LEAF),
    "T": (COUNT4S, LEAF), "U": (COUNT1, LEAF), "B": (COUNT4, LEAF), "C": (COUNT1, LEAF),
    "\x8e": (COUNT8, LEAF), "N": (0, LEAF), "\x88": (0, LEAF), "\x89": (0, LEAF),
    "V": (LINE, LEAF), "\x8c": (COUNT1, LEAF), "X": (COUNT4, LEAF),
    "\x8d": (COUNT8, LEAF), "F": (LINE, LEAF), "G": (8, LEAF),
    # containers
    "\x96": (COUNT8, MUTABLE), "]": (0, MUTABLE), "}": (0, MUTABLE), "\x8f": (0, MUTABLE),
    ")": (0, EMPTY_TUPLE), "(": (0, MARK), "t": (0, TUPLE), "\x85": (0, TUPLE1),
    "\x86": (0, TUPLE2), "\x87": (0, TUPLE3), "l": (0, LIST), "d": (0, DICT),
    "\x91": (0, FROZENSET), "a": (0, APPEND), "e": (0, APPENDS), "s": (0, SETITEM),
    "u": (0, SETITEMS), "\x90": (0, ADDITEMS),
    # stack and memo
    "0": (0, POP), "1": (0, POP_MARK), "2": (0, DUP), "\x94": (0, MEMOIZE),
    "p": (LINE, PUT), "q": (1, PUT), "r": (4, PUT), "g": (LINE, GET), "h": (1, GET),
    "j": (4, GET),
    # objects
    "c": (LINE2, GLOBAL), "\x93": (0, STACK_GLOBAL), "R": (0, REDUCE), "b": (0, BUILD),
    "i": (LINE2, INST), "o": (0, OBJ), "\x80": (1, NOP), "\x95": (8, NOP), ".": (0, STOP),
    # never written by the format
    "\x81": (0, REFUSE), "\x92": (0, REFUSE), "P": (LINE, REFUSE), "Q": (0, REFUSE),
    "\x82": (1, REFUSE), "\x83": (2, REFUSE), "\x84": (4, REFUSE), "\x97": (0, REFUSE),
    "\x98": (0, REFUSE),
}
REFUSALS = {"\x81": "NEWOBJ is not part of the format", "\x92": "NEWOBJ_EX is not part of "
             "the format", "P": "persistent ids are not part of the format",
             "Q": "persistent ids are not part of the format"}
ARGS: list = [None] * 256
ACTIONS = bytearray(256)
for _code, (_arg, _action) in OPCODES.items():
    ARGS[ord(_code)], ACTIONS[ord(_code)] = _arg, _action

# The inline paths of _Walk.run: most opcodes of a real body take one of them.
(F_SLOW, F_LEAF, F_SHORT, F_LONG, F_MEMOIZE, F_BINGET, F_LONG_BINGET, F_TUPLE, F_MARK,
 F_SETITEMS, F_REDUCE, F_BUILD) = range(12)
FAST = bytearray(256)
WIDTHS = bytearray(256)
for _code in range(256):
    _arg = ARGS[_code]
    if ACTIONS[_code] <= MUTABLE and _arg is not None and _arg >= 0:
        FAST[_code], WIDTHS[_code] = F_LEAF, 1 + _arg
    elif ACTIONS[_code] == LEAF and _arg in (COUNT1, COUNT4):
        FAST[_code] = F_SHORT if _arg == COUNT1 else F_LONG
FAST[0x94], FAST[ord("h")], FAST[ord("j")] = F_MEMOIZE, F_BINGET, F_LONG_BINGET
FAST[0x85] = FAST[0x86] = FAST[0x87] = F_TUPLE  # TUPLE1, TUPLE2, TUPLE3: op - 0x84 items
FAST[ord("R")], FAST[ord("b")] = F_REDUCE, F_BUILD
FAST[ord("(")], FAST[ord("u")] = F_MARK, F_SETITEMS


class _Runs(dict):
    """The pattern of a run of one fixed-width leaf opcode, compiled when first met.

    Such runs are pushed at once: sixty million ``None`` of a hostile file
    (``NNNN...``), and the thousand ``BININT2`` of an ordinary list, which would
    otherwise be half of what a load pays. Compiling all fourteen at import would
    cost a small dump more than its walk."""

    def __missing__(self, code: int) -> re.Pattern:
        pattern = self[code] = re.compile(
            b"(?:" + re.escape(bytes([code])) + b"." * (WIDTHS[code] - 1) + b")+", re.DOTALL)
        return pattern


RUNS = _Runs()

DICTS = frozenset(b"}d")
LISTS = frozenset(b"]l")
INSTANCES = frozenset(b"R")
GLOBALS = frozenset(b"c\x93")
STRINGS = frozenset(b"STUBC\x8eV\x8cX\x8d")
COLLIDING = frozenset(b"\x8a\x8bILFG")
"""Number opcodes whose value may hash like another (the small-int ones never do)."""
NUMBER_RANGE = (1 << 61) - 1
TUPLE_KIND, FROZENSET_KIND, SLICE_KIND, COMPLEX_KIND = range(4)


# Estimated bytes of what an opcode builds, with the pointer that holds it.
SIZE_POINTER, SIZE_STRING, SIZE_TUPLE, SIZE_ENTRY = 8, 64, 56, 16
SIZES = [SIZE_POINTER] * 256
for _code in b"JMIL\x8a\x8bFG":
    SIZES[_code] = SIZE_POINTER + 32
for _code in b"STUBC\x8eV\x8cX\x8d":
    SIZES[_code] = SIZE_STRING
for _code, _size in ((b"]", 72), (b"l", 72), (b"}", 80), (b"d", 80), (b"\x8f", 232),
                     (b"\x91", 232), (b"\x96", 72), (b"t", SIZE_TUPLE), (b")", SIZE_TUPLE),
                     (b"\x85", SIZE_TUPLE), (b"\x87", SIZE_TUPLE), (b"R", 400)):
    SIZES[_code[0]] = SIZE_POINTER + _size
