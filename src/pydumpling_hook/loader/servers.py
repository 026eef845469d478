"""The modes of ``pydumpling-open`` that serve a dump over a socket: ``--rdebug`` (and
its client, ``--connect``), ``--dap`` and ``--serve``. All three take one token rule
(``auth.choose_token``): a client must present it, also on loopback."""

from __future__ import annotations

import argparse
from typing import IO

from .command import (
    RDEBUG_PORT,
    SERVE_PORT,
    OpenError,
    UsageError,
    find_directory,
    load_dump,
    need_jinja,
    say,
    session_options,
)


def _serving_token(args: argparse.Namespace) -> str:
    """The token of a --rdebug or --dap server, after refusing a non-loopback --host
    without --allow-remote."""
    from .auth import AuthError, check_host, choose_token

    try:
        token = choose_token(args.token)
        if not args.unix:
            check_host(args.host, args.allow_remote)
    except AuthError as exc:
        raise UsageError(str(exc)) from None
    return token


def rdebug(args: argparse.Namespace, path: str) -> int:
    from .remote import RemoteError, pdb_session, serve

    token = _serving_token(args)
    dump = load_dump(args, path)
    options = session_options(args)
    # a bad --thread/--exception fails now, not after a client connects
    dump.target(thread=args.thread, exception_path=args.exception)

    def session(stdin: IO[str], stdout: IO[str]) -> None:
        pdb_session(dump, stdin, stdout, **options)

    try:
        return serve(
            session, host=args.host, port=RDEBUG_PORT if args.port is None else args.port,
            token=token, timeout=args.timeout,
            allow_remote=args.allow_remote, unix=args.unix, announce=say,
        )
    except RemoteError as exc:
        raise OpenError(str(exc)) from None


def connect_session(args: argparse.Namespace) -> int:
    from .remote import RemoteError, connect

    try:
        return connect(args.connect, args.token)
    except RemoteError as exc:
        raise OpenError(str(exc)) from None


def dap(args: argparse.Namespace, path: str) -> int:
    import gc

    from .dap import DEFAULT_PORT, DapError, serve_dump

    token = _serving_token(args)
    dump = load_dump(args, path)
    gc.freeze()  # the dump lives as long as the process: no collection needs to walk it again
    try:
        return serve_dump(
            dump, host=args.host, port=DEFAULT_PORT if args.port is None else args.port,
            token=token, timeout=args.timeout, announce=say,
        )
    except DapError as exc:
        raise OpenError(str(exc)) from None


def serve_directory(args: argparse.Namespace) -> int:
    need_jinja()
    from .html import DEFAULT_CONTEXT
    from .html.server import ServeError, serve
    directory = find_directory(args.serve)
    token = _serving_token(args)
    try:
        return serve(
            directory, host=args.host,
            port=SERVE_PORT if args.port is None else args.port,
            context=DEFAULT_CONTEXT if args.context is None else args.context,
            token=token, allow_remote=args.allow_remote, identity=args.identity,
            announce=say,
        )
    except ServeError as exc:
        raise OpenError(str(exc)) from None
