"""``--print``: the traceback CPython printed for the crash, rebuilt from the dump.

The output is meant to be indistinguishable from the crashed process's stderr,
so it follows the rules of the Python that *made* the dump (``meta.python``),
not of the Python running the loader:

* 3.9 and 3.10: file, line and name, then the source line; no carets; the
  C printer hides the module of ``builtins`` types only (``__main__.Error``).
* 3.11 and 3.12: the default ``sys.excepthook`` is C code
  (``Python/traceback.c``). Carets appear under the failing expression of a
  one-line instruction, ``~~~^^^~~~`` anchors for binary operators and
  subscripts, and are left out when they would underline the whole line.
* 3.13+: the hook is the ``traceback`` module: multi-line instructions are
  shown whole (``...<N lines>...`` for long ones), calls get anchors too, and
  carets are dropped for ``x = f()`` and ``return f()``.

A thread crash is printed as ``threading.excepthook`` prints it: the
``Exception in thread NAME:`` header, then the ``traceback`` module's format
(which differs slightly from the C printer on 3.11 and 3.12).

Everything comes from the body dict: the source lines from ``sources`` (so the
output is the same after the script was edited or deleted), the columns from
each frame's ``positions``. The work is split: ``print_source`` (the rules and
the source rows), ``carets`` (the anchors), ``print_stack`` (frames, repeats,
``--locals``) and this module (exceptions, chains, groups, the output).

The output is for a terminal, so every chunk goes through ``text.terminal``
(names also lose their newlines, in ``print_stack.name_text``), and it is
bounded in chunks and characters whatever the body holds.

Known differences from CPython: "Did you mean" suggestions of
``NameError``/``AttributeError`` are not reproduced (they need the live
namespaces), and frames left out at capture show as one
``[... N frames not captured ...]`` line, unless they sit inside a run of
identical frames, in which case they are counted into ``[Previous line
repeated N more times]`` exactly as CPython counted them.
"""

from __future__ import annotations

from typing import IO, Any, Dict, Iterable, Iterator, List, Mapping, Tuple

from .print_source import Rules, Sources
from .print_stack import format_stack, name_text
from .records import MAX_EXCEPTIONS, MAX_MRO, sequence, stack
from .text import as_text, bounded_repr, exception_line, terminal, type_name

Exc = Dict[str, Any]

MAX_GROUP_WIDTH = 15
MAX_GROUP_DEPTH = 10
CAUSE_MESSAGE = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT_MESSAGE = "\nDuring handling of the above exception, another exception occurred:\n\n"
CHAIN_CUT = f"[... earlier chained exceptions not shown (limit {MAX_EXCEPTIONS}) ...]\n\n"
OUTPUT_CUT = "[... the rest is not printed: pydumpling-open's output limit was reached ...]\n"
MAX_CHUNKS = 10_000
"""Most frames, exception lines and headers one print writes (repeated frames are free)."""
MAX_OUTPUT = 8 << 20
"""Most characters one print writes; past either bound it says so and stops."""


# --------------------------------------------------------------------------- exceptions


def exception_type(exc: Exc, rules: Rules | None = None) -> str:
    """The printed name of ``exc``'s type (``mod.Name``, no module for builtins)."""
    info = exc.get("type") or {}
    qualname = name_text(info.get("qualname", "<unknown>"))
    module = info.get("module")
    module = None if module is None else name_text(module)
    if rules is not None and rules.main_prefix and module == "__main__":
        return f"__main__.{qualname}"
    return type_name(module, qualname)


def _exception_only(exc: Exc, rules: Rules) -> Iterator[str]:
    """The last line(s): ``Type: message`` (or SyntaxError's location block), then notes."""
    stype = exception_type(exc, rules)
    if _is_syntax_error(exc):
        yield from _syntax_error(exc, stype, rules)
    else:
        message = exc.get("message")
        yield exception_line(stype, message if message is None else as_text(message)) + "\n"
    notes = exc.get("notes")
    if rules.notes and notes is not None:
        if isinstance(notes, (list, tuple)):
            for note in notes:
                yield as_text(note) + "\n"
        else:
            yield bounded_repr(notes) + "\n"


def _is_syntax_error(exc: Exc) -> bool:
    mro = sequence((exc.get("type") or {}).get("mro"), MAX_MRO)
    return any(isinstance(entry, (list, tuple)) and len(entry) == 2
               and entry[0] == "builtins" and entry[1] == "SyntaxError" for entry in mro)


def _syntax_error(exc: Exc, stype: str, rules: Rules) -> Iterator[str]:
    """SyntaxError's ``File``/text/caret block, from ``args = (msg, (file, line, col, text..))``.

    Capture must record ``args`` for this; without them the message is printed as is.
    """
    args = exc.get("args") or ()
    details = args[1] if len(args) > 1 and isinstance(args[1], tuple) else ()
    msg = args[0] if args else exc.get("message")
    filename, lineno, offset, text = (tuple(details[:4]) + (None,) * 4)[:4]
    end_offset = details[5] if len(details) > 5 else None
    if filename is not None or lineno is not None:
        where = f'  File "{name_text(filename or "<string>")}"'
        if lineno is not None:
            where += f", line {as_text(lineno)}"
        yield where + "\n"
    if isinstance(text, str):
        rtext = text.rstrip("\n")
        ltext = rtext.lstrip(" \n\f")
        spaces = len(rtext) - len(ltext)
        yield f"    {ltext}\n"
        if isinstance(offset, int) and offset > 0:
            end = end_offset if isinstance(end_offset, int) and end_offset > offset else offset + 1
            if rules.version < (3, 10):
                end = offset + 1
            start_col = min(max(0, offset - 1 - spaces), len(ltext))
            end_col = max(start_col + 1, min(end - 1 - spaces, len(ltext) + 1))
            yield "    " + " " * start_col + "^" * (end_col - start_col) + "\n"
    yield exception_line(stype, as_text(msg) if msg is not None else "") + "\n"


class _Context:
    """Margins for exception groups, as in ``traceback._ExceptionPrintContext``."""

    def __init__(self) -> None:
        self.seen: set = set()
        self.depth = 0
        self.need_close = False

    def indent(self) -> str:
        return " " * (2 * self.depth)

    def emit(self, text: str | Iterable[str], margin: str = "|") -> Iterator[str]:
        prefix = self.indent() + (margin + " " if self.depth else "")
        for chunk in [text] if isinstance(text, str) else text:
            if not prefix:
                yield chunk
            else:
                yield "".join(prefix + line for line in chunk.splitlines(True))


def chain(exc: Exc, seen: set) -> List[Tuple[str | None, Exc]]:
    """``exc`` and the exceptions it was raised from, innermost cause first.

    At most ``MAX_EXCEPTIONS`` of them: the ones nearest ``exc``, under a line
    saying that earlier ones are left out.
    """
    out: List[Tuple[str | None, Exc]] = []
    current: Exc | None = exc
    while current is not None:
        if len(out) == MAX_EXCEPTIONS:
            out[-1] = (CHAIN_CUT, out[-1][1])
            break
        seen.add(id(current))
        cause, context = (link if isinstance(link, dict) else None  # a record is a dict
                          for link in (current.get("cause"), current.get("context")))
        message: str | None = None
        following: Exc | None = None
        if cause is not None and id(cause) not in seen:
            message, following = CAUSE_MESSAGE, cause
        elif (
            cause is None
            and context is not None
            and not current.get("suppress_context")
            and id(context) not in seen
        ):
            message, following = CONTEXT_MESSAGE, context
        out.append((message, current))
        current = following
    out.reverse()
    return out


def format_chain(
    exc: Exc, sources: Sources, rules: Rules, with_locals: bool = False, ctx: _Context | None = None
) -> Iterator[str]:
    """The whole chain of ``exc``, groups included, as CPython formats it."""
    ctx = ctx or _Context()
    for message, item in chain(exc, ctx.seen):
        if message is not None:
            yield from ctx.emit(message)
        frames, cut, cut_at = stack(item)
        lines = format_stack(frames, sources, rules, with_locals, cut, cut_at)
        members = item.get("members")
        if members is None:
            if frames:
                yield from ctx.emit("Traceback (most recent call last):\n")
                yield from ctx.emit(lines)
            yield from ctx.emit(_exception_only(item, rules))
        elif ctx.depth > MAX_GROUP_DEPTH:
            yield from ctx.emit(f"... (max_group_depth is {MAX_GROUP_DEPTH})\n")
        else:
            toplevel = ctx.depth == 0
            if toplevel:
                ctx.depth += 1
            if frames:
                yield from ctx.emit(
                    "Exception Group Traceback (most recent call last):\n",
                    margin="+" if toplevel else "|",
                )
                yield from ctx.emit(lines)
            yield from ctx.emit(_exception_only(item, rules))
            yield from _format_members(members, sources, rules, with_locals, ctx)
            if toplevel:
                ctx.depth = 0


def _format_members(
    members: List[Exc], sources: Sources, rules: Rules, with_locals: bool, ctx: _Context
) -> Iterator[str]:
    count = len(members)
    shown = count if count <= MAX_GROUP_WIDTH else MAX_GROUP_WIDTH + 1
    ctx.need_close = False
    for i in range(shown):
        last = i == shown - 1
        if last:
            ctx.need_close = True
        truncated = i >= MAX_GROUP_WIDTH
        title = "..." if truncated else f"{i + 1}"
        corner = "+-" if i == 0 else "  "
        yield f"{ctx.indent()}{corner}+---------------- {title} ----------------\n"
        ctx.depth += 1
        if not truncated:
            yield from format_chain(members[i], sources, rules, with_locals, ctx)
        else:
            remaining = count - MAX_GROUP_WIDTH
            yield from ctx.emit(f"and {remaining} more exception{'s' if remaining > 1 else ''}\n")
        if last and ctx.need_close:
            yield ctx.indent() + "+------------------------------------\n"
            ctx.need_close = False
        ctx.depth -= 1


def chain_records(record: Mapping) -> List[Mapping]:
    """``record`` and the EXC records it leads to (causes, contexts, group members),
    at most ``MAX_EXCEPTIONS``; a THREAD record alone."""
    found: List[Mapping] = []
    seen: set = set()
    pending = [record]
    while pending and len(found) < MAX_EXCEPTIONS:
        item = pending.pop()
        if not isinstance(item, Mapping) or id(item) in seen:
            continue
        seen.add(id(item))
        found.append(item)
        pending.extend((item.get("cause"), item.get("context"),
                        *sequence(item.get("members"), MAX_EXCEPTIONS)))
    return found


# --------------------------------------------------------------------------- entry points


def format_body(
    body: Dict[str, Any],
    with_locals: bool = False,
    exception: Exc | None = None,
    thread: Dict[str, Any] | None = None,
) -> Iterator[str]:
    """What the crashed process printed, from a dump body.

    ``exception`` prints that record of the chain instead of the root (without
    the ``Exception in thread`` header, which belongs to the root); ``thread``
    prints a THREAD record's stack under a ``Thread NAME`` header.

    The output is bounded (``MAX_CHUNKS``, ``MAX_OUTPUT``) whatever the body
    holds, and says so where it stops early.
    """
    chunks = _format_body(body, with_locals, exception, thread)
    size = 0
    for count, chunk in enumerate(chunks):
        if count >= MAX_CHUNKS or size + len(chunk) > MAX_OUTPUT:
            chunks.close()
            yield OUTPUT_CUT
            return
        size += len(chunk)
        yield terminal(chunk, lines=True)


def _format_body(
    body: Dict[str, Any],
    with_locals: bool,
    exception: Exc | None,
    thread: Dict[str, Any] | None,
) -> Iterator[str]:
    meta = body.get("meta") or {}
    rules = Rules(as_text(meta.get("python", "")), meta.get("reason"))
    sources = Sources(body.get("sources"))
    if thread is not None:
        yield f"Thread {name_text(thread.get('name'))} (most recent call last):\n"
        frames, cut, cut_at = stack(thread)
        yield from format_stack(frames, sources, rules, with_locals, cut, cut_at)
        return
    root = body.get("exception")
    if exception is None or exception is root:
        if root is None:
            return
        if rules.thread_header:
            yield f"Exception in thread {name_text(meta.get('thread'))}:\n"
        exception = root
    yield from format_chain(exception, sources, rules, with_locals)


def print_body(
    body: Dict[str, Any],
    file: IO[str],
    with_locals: bool = False,
    exception: Exc | None = None,
    thread: Dict[str, Any] | None = None,
) -> None:
    """Write :func:`format_body` to ``file``."""
    for chunk in format_body(body, with_locals, exception, thread):
        file.write(chunk)
    file.flush()
