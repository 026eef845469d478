"""``pydumpling-open``: open a dump in a debugger, print it, list dumps, export, serve.

This module only parses arguments, picks the file and turns every failure into
one line on stderr. The work is in ``printing``, ``listing``, ``export``,
``remote`` and the debugger session code, each imported only when its mode
runs, so ``--list`` and ``--print`` never import a debugger (or dill).

Exit status: 0 on success, 1 for a file that cannot be opened or a failed
session, 2 for usage errors (argparse's convention), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any, Dict, List, NoReturn, Sequence

from .._version import __version__
from ..config import is_remote

PROG = "pydumpling-open"
DEBUGGERS = ("pdb", "ipdb", "pudb", "pdbpp")
EXCEPTION_STEPS = "cause, context or members.N"


class UsageError(Exception):
    """Bad command line: one line on stderr, exit 2."""


class OpenError(Exception):
    """Anything else that ends the program early: one line on stderr, exit 1."""


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
        "--rdebug", action="store_true", help="serve one pdb session over TCP (see --host/--port)"
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
    parser.add_argument(
        "--trust", action="store_true",
        help="also restore the pickled originals (runs code from the file!)",
    )
    remote = parser.add_argument_group("remote session (--rdebug)")
    remote.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    remote.add_argument("--port", type=int, default=4444, help="port to listen on (4444; 0: any)")
    remote.add_argument(
        "--timeout", type=float, default=None, metavar="S",
        help="give up if no client connects within S seconds",
    )
    remote.add_argument(
        "--allow-remote", action="store_true",
        help="allow a non-loopback --host; the client must then send the printed token first",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


# --------------------------------------------------------------------------- helpers


def _say(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def _text_stdout() -> IO[str]:
    """stdout that cannot fail on a character the terminal's encoding lacks."""
    stream = sys.stdout
    try:
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        pass
    return stream


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


def _directory(path: str) -> str:
    from .listing import default_directory

    directory = path or default_directory()
    if is_remote(directory):
        return directory  # checked by the listing itself, in one request
    if not os.path.exists(directory):
        raise OpenError(f"{directory}: no such directory")
    if not os.path.isdir(directory):
        raise OpenError(f"{directory}: not a directory")
    return directory


def _dump_path(args: argparse.Namespace) -> str:
    if args.latest:
        if args.file:
            raise UsageError(f"give either FILE or --latest, not both (see {PROG} --help)")
        from .listing import latest

        directory = _directory("")
        path = latest(directory)
        if path is None:
            raise OpenError(f"{directory}: no dumps in this directory")
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
    if args.locals and (args.json or args.rdebug or args.list is not None):
        raise UsageError(f"--locals goes with --print (see {PROG} --help)")
    if args.rdebug and args.debugger not in (None, "pdb"):
        raise UsageError(f"--rdebug serves pdb only (see {PROG} --help)")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535 (see {PROG} --help)")


# --------------------------------------------------------------------------- modes


def _print(args: argparse.Namespace, path: str) -> int:
    from .printing import print_body

    dump = _load(args, path)
    exception = thread = None
    if args.thread or dump.exception is None:
        if args.exception:
            raise UsageError(f"give either --thread or --exception, not both (see {PROG} --help)")
        thread = dump.thread(args.thread)
    else:
        exception = dump.exception_record(args.exception)
    try:
        print_body(dump.body, _text_stdout(), args.locals, exception, thread)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise OpenError(f"{path}: corrupt dump (cannot print it: {type(exc).__name__})") from None
    return 0


def _json(path: str) -> int:
    from ..dumpformat.dumpfile import read_body, read_header
    from .export import write_json

    write_json(read_header(path), read_body(path), _text_stdout())
    return 0


def _list(args: argparse.Namespace) -> int:
    from .listing import print_listing

    directory = _directory(args.list)
    try:
        if args.group:
            from .fleet.groups import print_groups
            from .sources import listed

            print_groups(listed(directory), _text_stdout())
        else:
            print_listing(directory, _text_stdout())
    except PermissionError:
        raise OpenError(f"{directory}: permission denied") from None
    return 0


def _session_options(args: argparse.Namespace) -> Dict[str, Any]:
    return {"thread": args.thread, "exception_path": args.exception}


def _load(args: argparse.Namespace, path: str) -> Any:
    from . import load

    return load(path, trust=args.trust)


def _debug(args: argparse.Namespace, path: str) -> int:
    debugger = _debugger(args)
    dump = _load(args, path)
    dump.debug(debugger, **_session_options(args))
    return 0


def _rdebug(args: argparse.Namespace, path: str) -> int:
    from .remote import RemoteError, is_loopback, pdb_session, serve

    if not args.allow_remote and not is_loopback(args.host):
        raise UsageError(
            f"refusing --host {args.host}: not a loopback address, and the session runs any "
            "Python a client sends; add --allow-remote (a token is then required)"
        )
    dump = _load(args, path)
    options = _session_options(args)
    dump.target(**options)  # a bad --thread/--exception fails now, not after a client connects

    def session(stdin: IO[str], stdout: IO[str]) -> None:
        pdb_session(dump, stdin, stdout, **options)

    try:
        return serve(
            session, host=args.host, port=args.port, timeout=args.timeout,
            allow_remote=args.allow_remote, announce=_say,
        )
    except RemoteError as exc:
        raise OpenError(str(exc)) from None


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    _check_combinations(args)
    if args.keygen or args.ship is not None:
        from .fleet import commands

        if args.keygen:
            return commands.keygen(args.keygen, _text_stdout())
        return commands.ship(args.ship, _text_stdout())
    if args.list is not None:
        return _list(args)
    from .sources import fetch

    # A URL is downloaded, an encrypted dump decrypted: every mode below reads a plain
    # local dump. A bad file fails here, in one line, before any import of a debugger.
    path = fetch(_dump_path(args), args.identity)
    if args.print_ or args.locals:
        return _print(args, path)
    if args.json:
        return _json(path)
    if args.rdebug:
        return _rdebug(args, path)
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
        _say(f"error: {exc}")
        return 2
    except (DumpError, OpenError, LookupError) as exc:
        # LookupError: the loader's TargetNotFound (no such thread or exception)
        from .sources import shown

        _say(f"error: {shown(str(exc))}")
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except DebuggerUnavailable as exc:  # e.g. pdbpp on 3.13, or not installed
        _say(f"error: {exc}")
        return 1
    except Exception as exc:
        if os.environ.get("PYDUMPLING_TRACEBACK"):
            import traceback

            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        _say(f"error: internal error: {type(exc).__name__}: {first} "
             "(set PYDUMPLING_TRACEBACK=1 to see where)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
