"""The modes of ``pydumpling-open`` that write a dump out: ``--print``, ``--json``,
``--list``, a ``.fatal`` report and ``--html``. Each imports its renderer only when it
runs."""

from __future__ import annotations

import argparse
import os
from typing import IO, Any, Dict

from .command import (
    PROG,
    OpenError,
    UsageError,
    find_directory,
    frame_files,
    load_dump,
    need_jinja,
    say,
    text_stdout,
)


def print_dump(args: argparse.Namespace, path: str) -> int:
    from .cuts import NotCapturedError
    from .printing import print_body

    dump = load_dump(args, path)
    exception = thread = None
    if args.thread or dump.exception is None:
        if args.exception:
            raise UsageError(f"give either --thread or --exception, not both (see {PROG} --help)")
        thread = dump.thread(args.thread)
    else:
        exception = dump.exception_record(args.exception)
    if args.local_source:
        from .sources import read_local

        dump.sources = dict(dump.sources)
        for name in frame_files(exception or thread or {}):
            if name not in dump.sources:
                text = read_local(name)
                if text is not None:
                    dump.sources[name] = text
        dump.body = dict(dump.body, sources=dump.sources)
    try:
        print_body(dump.body, text_stdout(), args.locals, exception, thread)
        if args.locals and exception is dump.exception:
            _print_outer(dump.body, text_stdout())
    except (AttributeError, TypeError, ValueError, IndexError, KeyError, NotCapturedError) as exc:
        # NotCapturedError: a cut container where the format has a record
        raise OpenError(f"{path}: corrupt dump (cannot print it: {type(exc).__name__})") from None
    return 0


OUTER_HEADING = ("\nCallers of the frame that caught the exception, still running when it "
                 "was dumped (most recent call last):\n")


def _print_outer(body: Dict[str, Any], out: IO[str]) -> None:
    """``--print --locals``: the request loop and server above the traceback, after it, so
    that the traceback itself stays exactly what Python printed."""
    from .printing import Rules, Sources, format_stack
    from .records import stack

    frames, cut, cut_at = stack((body.get("exception") or {}).get("outer"))
    if not frames:
        return
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    rules = Rules(str(meta.get("python", "")), meta.get("reason"))
    out.write(OUTER_HEADING)
    for chunk in format_stack(frames, Sources(body.get("sources")), rules, True, cut, cut_at):
        out.write(chunk)
    out.flush()


def json_dump(args: argparse.Namespace, path: str) -> int:
    from ..dumpformat.dumpfile import read_body, read_header
    from .export import write_json
    from .factories import factories

    cut = write_json(read_header(path), read_body(path, classes=factories(exact=True)),
                     text_stdout(), full=args.full)
    if cut:
        say(f"note: --json cut {', '.join(cut)} to its export budget (see \"export\" in the "
             "output); --json --full writes everything")
    return 0


def list_dumps(args: argparse.Namespace) -> int:
    from .listing import print_listing

    directory = find_directory(args.list)
    try:
        if args.group:
            from .fleet.groups import print_groups
            from .inputs import listed

            print_groups(listed(directory), text_stdout())
        else:
            print_listing(directory, text_stdout())
    except PermissionError:
        raise OpenError(f"{directory}: permission denied") from None
    return 0


FATAL_LIMIT = 1 << 20


def fatal_report(args: argparse.Namespace, path: str) -> int:
    """A ``.fatal`` file is faulthandler's plain-text report: print it, as ``--print`` would."""
    if args.json or args.rdebug or args.thread or args.exception or args.locals:
        raise UsageError(f"{path} is a fatal-error report (plain text): open it alone or with "
                         "--print")
    try:
        with open(path, "rb") as fh:
            data = fh.read(FATAL_LIMIT + 1)
    except OSError as exc:
        raise OpenError(f"{path}: cannot open: {exc.strerror or exc}") from None
    if not data.strip():
        raise OpenError(f"{path}: empty: no fatal error was written (its process may still be "
                        "running)")
    from .text import printable

    text = printable(data[:FATAL_LIMIT].decode("utf-8", "replace"))
    out = text_stdout()
    out.write(text if text.endswith("\n") else text + "\n")
    if len(data) > FATAL_LIMIT:
        out.write(f"[... the rest is not printed: over {FATAL_LIMIT:,} bytes ...]\n")
    out.flush()
    return 0


def _write_new(out: str, text: str) -> None:
    """Write ``text`` to ``out``; a new file is 0600, as a dump is: it holds the same secrets."""
    if out == "-":
        text_stdout().write(text)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise OpenError(f"{out}: cannot write the report: {exc.strerror or exc}") from None


def html_report(args: argparse.Namespace, path: str) -> int:
    need_jinja()
    from .html import DEFAULT_CONTEXT, report_html

    dump = load_dump(args, path)
    try:
        text = report_html(dump, DEFAULT_CONTEXT if args.context is None else args.context)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise OpenError(f"{path}: corrupt dump (cannot show it: {type(exc).__name__})") from None
    _write_new(args.html, text)
    if args.html != "-":
        say(f"report written to {args.html}")
    return 0
