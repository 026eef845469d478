"""``pydumpling-open``: open a dump in a debugger, print it, list dumps, export, serve.

This module only parses arguments, picks the file (``inputs`` downloads and
decrypts it) and turns every failure into one line on stderr. The modes are in
``outputs`` (``--print``, ``--json``, ``--list``, ``--html``) and ``servers``
(``--rdebug``, ``--connect``, ``--dap``, ``--serve``), which share ``command``;
their renderers are imported only when a mode runs, so ``--list`` and
``--print`` never import a debugger (or dill), and only ``--html`` and
``--serve`` import Jinja2.

Exit status: 0 on success, 1 for a file that cannot be opened or a failed
session, 2 for usage errors (argparse's convention), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, List, NoReturn, Sequence

from .._version import __version__
from ..config import is_remote
from . import outputs, servers
from .command import (
    PROG,
    RDEBUG_PORT,
    SERVE_PORT,
    OpenError,
    UsageError,
    find_directory,
    load_dump,
    say,
    session_options,
    text_stdout,
)

DEBUGGERS = ("pdb", "ipdb", "pudb", "pdbpp", "pdbp")
EXCEPTION_STEPS = "cause, context or members.N"


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and an exception, not an exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {PROG} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``pydumpling-open`` (and ``python -m pydumpling_hook``)."""
    parser = _Parser(
        prog=PROG,
        description="Open a pydumpling-hook crash dump: debug it as if the crash were live, "
        "print its traceback, list or export dumps, or serve a pdb session over TCP.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="the .dump file to open: a path or a URL (s3://…, gs://…)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--print", dest="print_", action="store_true",
        help="print the traceback as Python printed it, chained exceptions included",
    )
    mode.add_argument("--json", action="store_true", help="write the whole dump as JSON to stdout")
    mode.add_argument(
        "--list", nargs="?", const="", default=None, metavar="DIR",
        help="list the dumps in DIR or under a URL (default: $PYDUMPLING_DIR or "
        "./pydumpling-dumps)",
    )
    mode.add_argument(
        "--rdebug", action="store_true",
        help="serve one pdb session over TCP, behind a token (see --host/--port/--token)",
    )
    mode.add_argument(
        "--connect", metavar="ADDRESS",
        help="join a --rdebug session at HOST:PORT or unix:PATH (with --token)",
    )
    mode.add_argument(
        "--dap", action="store_true",
        help="serve the dump to VS Code, nvim-dap or any DAP editor (see --host/--port)",
    )
    mode.add_argument(
        "--html", metavar="OUT",
        help="write a self-contained HTML report of the dump to OUT ('-': stdout)",
    )
    mode.add_argument(
        "--serve", nargs="?", const="", default=None, metavar="DIR",
        help="serve a read-only local web page over the dumps in DIR, a directory or a URL "
        "(default: $PYDUMPLING_DIR or ./pydumpling-dumps) on 127.0.0.1:8765",
    )
    mode.add_argument(
        "--keygen", metavar="FILE",
        help="write a new age identity to FILE (0600) and print its public key, for "
        "PYDUMPLING_RECIPIENT",
    )
    mode.add_argument(
        "--ship", nargs="?", const="", default=None, metavar="URL",
        help="upload the dumps waiting in the spool of URL (default: $PYDUMPLING_DIR) now",
    )
    mode.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)  # predecessor's flag
    parser.add_argument(
        "--locals", action="store_true", help="with --print: show each frame's variables"
    )
    parser.add_argument(
        "--full", action="store_true",
        help="with --json: no export budget (each section is otherwise bounded, and says so)",
    )
    parser.add_argument(
        "--context", type=int, default=None, metavar="N",
        help="with --html/--serve: source lines shown around each line (5)",
    )
    parser.add_argument(
        "--group", action="store_true",
        help="with --list: one line per crash site (count, first/last seen, hosts, versions)",
    )
    parser.add_argument(
        "--identity", metavar="FILE",
        help="age identity that decrypts an encrypted dump (default: $PYDUMPLING_IDENTITY)",
    )
    parser.add_argument(
        "--latest", action="store_true",
        help="open the newest dump in $PYDUMPLING_DIR (or ./pydumpling-dumps)",
    )
    parser.add_argument(
        "--debugger", choices=DEBUGGERS, default=None,
        help="debugger to open (default: $PYDUMPLING_DEBUGGER, else pdb)",
    )
    parser.add_argument("--thread", metavar="NAME", help="open this thread's stack instead")
    parser.add_argument(
        "--exception", metavar="PATH",
        help=f"open a chained exception instead: dot-separated steps, each {EXCEPTION_STEPS} "
        "(e.g. cause, context.cause, members.0); Python 3.13's pdb also has 'exceptions'",
    )
    for flag, text in (
        ("--trust", "also restore the pickled originals (runs code from the file!)"),
        ("--rc", "also read the debugger's rc files in the current directory (./.pdbrc runs "
         "code: only for a directory you trust); ~/.pdbrc is always read"),
        ("--local-source", "read source the dump does not hold from this machine's disk "
         "(regular files only)"),
    ):
        parser.add_argument(flag, action="store_true", help=text)
    remote = parser.add_argument_group("servers (--rdebug, --connect, --dap, --serve)")
    remote.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    remote.add_argument(
        "--port", type=int, default=None,
        help=f"port to listen on (--rdebug {RDEBUG_PORT}, --dap 5678, --serve {SERVE_PORT}; "
        "0: any free port)",
    )
    remote.add_argument(
        "--timeout", type=float, default=None, metavar="S",
        help="give up if no client connects within S seconds",
    )
    remote.add_argument(
        "--token", metavar="T",
        help="the token a client must send (--rdebug: as its first line; --dap: as \"token\" "
        "in its attach configuration; --serve: in the printed URL); default: "
        "$PYDUMPLING_RDEBUG_TOKEN, else random; printed when serving",
    )
    for flag, text in (
        ("--unix", "with --rdebug: serve a Unix socket in a private (0700) directory instead"),
        ("--allow-remote", "allow a non-loopback --host (the token is still required)"),
    ):
        remote.add_argument(flag, action="store_true", help=text)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


# --------------------------------------------------------------------------- helpers


def _debugger(args: argparse.Namespace) -> str:
    if args.debugger:
        return args.debugger
    chosen = os.environ.get("PYDUMPLING_DEBUGGER", "").strip() or "pdb"
    if chosen not in DEBUGGERS:
        raise UsageError(
            f"PYDUMPLING_DEBUGGER={chosen!r} is not a known debugger "
            f"(choose from {', '.join(DEBUGGERS)})"
        )
    return chosen


def _dump_path(args: argparse.Namespace) -> str:
    if args.latest:
        if args.file:
            raise UsageError(f"give either FILE or --latest, not both (see {PROG} --help)")
        from .listing import latest

        directory = find_directory("")
        skipped: List[Any] = []
        path = latest(directory, skipped)
        if skipped:
            newest = skipped[0]
            more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
            say(f"note: skipped {newest.path}{more}: {newest.summary}")
        if path is None:
            raise OpenError(f"{directory}: no {'readable ' if skipped else ''}dumps in this "
                            "directory")
        return path
    if not args.file:
        raise UsageError(f"give a dump FILE, --latest or --list (see {PROG} --help)")
    return str(args.file)


def _check_combinations(args: argparse.Namespace) -> None:
    if args.list == "" and args.file and not args.latest:
        args.list, args.file = args.file, None  # --list --group DIR: the DIR lands in FILE
    if args.list is not None and (args.file or args.latest):
        raise UsageError(f"--list takes a directory, not a dump FILE (see {PROG} --help)")
    if (args.keygen or args.ship is not None) and (args.file or args.latest):
        raise UsageError(f"--keygen and --ship take no dump FILE (see {PROG} --help)")
    if args.group and args.list is None:
        raise UsageError(f"--group goes with --list (see {PROG} --help)")
    web = args.html is not None or args.serve is not None
    if args.connect is not None and (args.file or args.latest):
        raise UsageError(f"--connect joins a session; it takes no dump FILE (see {PROG} --help)")
    if args.unix and not args.rdebug:
        raise UsageError(f"--unix goes with --rdebug (see {PROG} --help)")
    if args.full and not args.json:
        raise UsageError(f"--full goes with --json (see {PROG} --help)")
    if args.serve is not None and (args.file or args.latest):
        raise UsageError(f"--serve takes a directory, not a dump FILE (see {PROG} --help)")
    if args.locals and (args.json or args.rdebug or args.dap or args.list is not None or web):
        raise UsageError(f"--locals goes with --print (see {PROG} --help)")
    if web and (args.thread or args.exception):
        raise UsageError(f"--html and --serve show every thread and exception; --thread and "
                         f"--exception go with a debugger or --print (see {PROG} --help)")
    if args.serve is not None and args.trust:
        raise UsageError("--serve never runs code from a dump on a request; open one dump with "
                         f"--trust instead (see {PROG} --help)")
    if web and args.debugger:
        raise UsageError(f"--debugger goes with a debugger session (see {PROG} --help)")
    if args.context is not None and not web:
        raise UsageError(f"--context goes with --html or --serve (see {PROG} --help)")
    if args.rdebug and args.debugger not in (None, "pdb"):
        raise UsageError(f"--rdebug serves pdb only (see {PROG} --help)")
    if args.dap and (args.debugger or args.thread or args.exception):
        raise UsageError(
            "--dap serves every thread and exception of the dump to the editor; "
            f"--debugger, --thread and --exception do not apply (see {PROG} --help)"
        )
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535 (see {PROG} --help)")
    if args.context is not None:
        from .html import MAX_CONTEXT

        if not 0 <= args.context <= MAX_CONTEXT:
            raise UsageError(f"--context must be between 0 and {MAX_CONTEXT} (see {PROG} --help)")


# --------------------------------------------------------------------------- modes


def _debug(args: argparse.Namespace, path: str) -> int:
    debugger = _debugger(args)
    dump = load_dump(args, path)
    dump.debug(debugger, **session_options(args))
    return 0


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    _check_combinations(args)
    if args.keygen or args.ship is not None:
        from .fleet import commands

        if args.keygen:
            return commands.keygen(args.keygen, text_stdout())
        return commands.ship(args.ship, text_stdout())
    if args.list is not None:
        return outputs.list_dumps(args)
    if args.connect is not None:
        return servers.connect_session(args)
    if args.serve is not None:
        return servers.serve_directory(args)
    path = _dump_path(args)
    if path.endswith(".fatal") and not is_remote(path):
        return outputs.fatal_report(args, path)
    from .inputs import fetch

    # A URL is downloaded, an encrypted dump decrypted: every mode below reads a plain
    # local dump. A bad file fails here, in one line, before any import of a debugger.
    path = fetch(path, args.identity)
    if args.print_ or args.locals:
        return outputs.print_dump(args, path)
    if args.json:
        return outputs.json_dump(args, path)
    if args.html is not None:
        return outputs.html_report(args, path)
    if args.rdebug:
        return servers.rdebug(args, path)
    if args.dap:
        return servers.dap(args, path)
    return _debug(args, path)


def _silence_stdout() -> None:
    """After EPIPE (``| head``), point stdout at /dev/null so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: List[str] | None = None) -> int:
    """Run the program; return the exit status instead of raising.

    Every failure, including a bug of ours, becomes one ``pydumpling-open:
    error: ...`` line; ``PYDUMPLING_TRACEBACK=1`` shows the traceback of an
    unexpected one.
    """
    from ..dumpformat.dumpfile import DumpError
    from .debuggers import DebuggerUnavailable

    try:
        return _run(argv)
    except UsageError as exc:
        say(f"error: {exc}")
        return 2
    except (DumpError, OpenError, LookupError) as exc:
        # LookupError: the loader's TargetNotFound (no such thread or exception)
        from .inputs import shown

        say(f"error: {shown(str(exc))}")
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except DebuggerUnavailable as exc:  # e.g. pdbpp on 3.13, or not installed
        say(f"error: {exc}")
        return 1
    except Exception as exc:
        if os.environ.get("PYDUMPLING_TRACEBACK"):
            import traceback

            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        say(f"error: internal error: {type(exc).__name__}: {first} "
             "(set PYDUMPLING_TRACEBACK=1 to see where)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
