"""One debugging session on a dump: the answer to each DAP request.

The dump is a program stopped for good, so the session is read-only: the
requests that would run code of the program (``continue``, ``next``...) get an
error that says why, breakpoints are acknowledged as never reachable, and the
session goes on. A request that fails for any reason, a bug of ours included,
gets an error response: one bad request never ends the session.

Editors ask for the same scopes and children again after every step of the
user, so everything here is computed from the rebuilt frames on demand, and
only the frames of a thread whose stack is shown are ever rebuilt.
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any, Callable, Dict, List

from ..dump import Dump
from . import evaluate
from .details import exception_info
from .protocol import Arguments, Channel, Request, RequestError
from .sources import Sources
from .targets import Frame, Targets, describe_exception
from .variables import Presenter
from .views import VALUE_LIMIT

CAPABILITIES = {
    "supportsConfigurationDoneRequest": True,
    "supportsEvaluateForHovers": True,
    "supportsExceptionInfoRequest": True,
    "supportsDelayedStackTraceLoading": True,
    "supportsClipboardContext": True,
    "supportsCancelRequest": True,
    "exceptionBreakpointFilters": [],
}
CANNOT_RUN = "a crash dump cannot run: the program stays stopped where it crashed"
RUN_REQUESTS = ("continue", "next", "stepIn", "stepOut", "stepBack", "reverseContinue",
                "goto", "restart", "restartFrame", "pause")
CLIPBOARD_LIMIT = 1_000_000
"""Characters of a value copied with "Copy Value" (shown values stop at views.VALUE_LIMIT)."""


def _utf16_column(line: str | None, byte_offset: int) -> int:
    """CPython counts columns in UTF-8 bytes, DAP in UTF-16 code units."""
    if line is None:
        return byte_offset
    prefix = line.encode("utf-8")[:byte_offset].decode("utf-8", "ignore")
    return len(prefix.encode("utf-16-le")) // 2


class Session:
    """The state of one dump being debugged, and a handler per DAP request."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.targets = Targets(dump)
        self.sources = Sources(dump.sources)
        self.presenter = Presenter()
        self.line_base = 1
        self.column_base = 1
        self.finished = False
        self._after: List[tuple] = []
        self._channel: Channel | None = None
        self._handlers: Dict[str, Callable[[Arguments], Dict[str, Any] | None]] = {
            "initialize": self._initialize, "attach": self._nothing, "launch": self._nothing,
            "configurationDone": self._configuration_done, "threads": self._threads,
            "stackTrace": self._stack_trace, "scopes": self._scopes,
            "variables": self._variables, "evaluate": self._evaluate,
            "exceptionInfo": self._exception_info, "source": self._source,
            "disconnect": self._disconnect, "terminate": self._disconnect,
            "setBreakpoints": self._breakpoints, "setFunctionBreakpoints": self._breakpoints,
            "setExceptionBreakpoints": self._nothing, "cancel": self._nothing,
            "breakpointLocations": lambda _: {"breakpoints": []},
        }
        if self.targets.threads:
            self.targets.frames(1)  # rebuild the crash now: a bad dump fails before listening

    def handle(self, request: Request, channel: Channel) -> None:
        """Answer ``request`` on ``channel``, then send the events it triggers."""
        self._channel = channel
        self._after = []
        handler = self._handlers.get(request.command)
        try:
            if request.command in RUN_REQUESTS:
                raise RequestError(CANNOT_RUN)
            if handler is None:
                raise RequestError(f"'{request.command}' is not supported on a crash dump")
            body = handler(request.arguments)
        except RequestError as error:
            channel.fail(request, str(error))
            return
        except Exception as error:  # a bug of ours, or a dump shaped in a way we missed
            channel.fail(request, f"internal error: {type(error).__name__}: {error}"[:500])
            return
        channel.respond(request, body)
        for name, event_body in self._after:
            channel.event(name, event_body)

    # ----------------------------------------------------------------- the attach flow

    def _initialize(self, args: Arguments) -> Dict[str, Any]:
        self.line_base = 1 if args.flag("linesStartAt1", True) else 0
        self.column_base = 1 if args.flag("columnsStartAt1", True) else 0
        self._after.append(("initialized", None))
        return dict(CAPABILITIES)

    def _nothing(self, args: Arguments) -> None:
        """``attach``'s arguments (``connect``, ``justMyCode``...) change nothing in a dump,
        and there is nothing to cancel: a success is the whole answer."""
        return None

    def _configuration_done(self, args: Arguments) -> None:
        self._after.append(("output", {"category": "console", "output": self._banner()}))
        body: Dict[str, Any] = {"allThreadsStopped": True}
        root = self.dump.exception
        if root is not None:
            body.update(reason="exception", description="Stopped at the crash",
                        text=describe_exception(root))
        else:
            body.update(reason="pause", description="The stacks when the dump was written")
        if self.targets.threads:
            body["threadId"] = 1
        self._after.append(("stopped", body))

    def _banner(self) -> str:
        summary = self.dump.header.get("summary")
        summary = summary if isinstance(summary, dict) else {}
        where = ", ".join(f"{key} {summary[key]}" for key in ("time", "host", "pid")
                          if isinstance(summary.get(key), (str, int)))
        return (f"Crash dump {self.dump.path} ({where}). It cannot run; every exception "
                "of the chain and every captured thread is a thread of this session.\n")

    def _disconnect(self, args: Arguments) -> None:
        self._after.append(("terminated", None))
        self.finished = True

    def _breakpoints(self, args: Arguments) -> Dict[str, Any]:
        wanted = args.sequence("breakpoints") or args.sequence("lines")
        refused = {"verified": False, "message": "a crash dump never stops again"}
        return {"breakpoints": [dict(refused) for _ in islice(wanted, 10_000)]}

    # ----------------------------------------------------------------- stacks and frames

    def _threads(self, args: Arguments) -> Dict[str, Any]:
        return {"threads": self.targets.names()}

    def _stack_trace(self, args: Arguments) -> Dict[str, Any]:
        frames = self.targets.frames(args.integer("threadId"))
        start = args.integer("startFrame", 0)
        levels = args.integer("levels", 0)
        shown = frames[start:start + levels] if levels else frames[start:]
        return {"stackFrames": [self._frame(f) for f in shown], "totalFrames": len(frames)}

    def _frame(self, frame: Frame) -> Dict[str, Any]:
        code = frame.tb.tb_frame.f_code
        filename = code.co_filename
        line = frame.tb.tb_lineno or 0
        if code.co_name == "<pydumpling>":  # a stand-in: frames left out, an unreadable record
            return {"id": frame.id, "name": filename.strip("<>"), "line": 0, "column": 0,
                    "presentationHint": "label"}
        out: Dict[str, Any] = {
            "id": frame.id, "name": getattr(code, "co_qualname", code.co_name),
            "line": line + self.line_base - 1, "column": 0,
            "source": self.sources.source(filename),
        }
        where = self._positions(frame)
        if where is not None and None not in where and where[0] == line:
            text = self.sources.line(filename, line)
            out["column"] = _utf16_column(text, where[2]) + self.column_base
            if where[1] == line:
                out["endLine"] = line + self.line_base - 1
                out["endColumn"] = _utf16_column(text, where[3]) + self.column_base
        elif line:
            out["column"] = self.column_base
        return out

    @staticmethod
    def _positions(frame: Frame) -> tuple | None:
        code = frame.tb.tb_frame.f_code
        if sys.version_info < (3, 11):
            return None
        return next(islice(code.co_positions(), frame.tb.tb_lasti // 2, None), None)

    def _scopes(self, args: Arguments) -> Dict[str, Any]:
        frame = self.targets.frame(args.integer("frameId"))
        f_globals = frame.tb.tb_frame.f_globals
        scopes = []
        if frame.locals is not f_globals:
            scopes.append(self.presenter.scope("Locals", frame.locals))
        scopes.append(self.presenter.scope("Globals", f_globals, hide=True))
        return {"scopes": scopes}

    def _variables(self, args: Arguments) -> Dict[str, Any]:
        which = args.text("filter", "") or None
        if which not in (None, "named", "indexed"):
            raise RequestError("argument 'filter' must be 'named' or 'indexed'")
        return {"variables": self.presenter.children(
            args.integer("variablesReference"), which, args.integer("start", 0),
            args.integer("count", 0))}

    # ----------------------------------------------------------------- evaluation

    def _evaluate(self, args: Arguments) -> Dict[str, Any]:
        expression = args.text("expression")
        context = args.text("context", "repl")
        frame_id = args.integer("frameId", 0)
        frame = self.targets.frame(frame_id) if frame_id else self.targets.top_frame()
        if frame is None:
            raise RequestError("the dump has no frame to evaluate in")
        value, printed = evaluate.run(expression, frame.tb.tb_frame.f_globals, frame.locals,
                                      statements=context == "repl")
        if printed and context == "repl":
            self._channel.event("output", {"category": "stdout", "output": printed})
        if value is evaluate.NO_RESULT:
            return {"result": "", "variablesReference": 0}
        name = expression.strip()
        name = name if name.isidentifier() else f"({name})"
        limit = CLIPBOARD_LIMIT if context == "clipboard" else VALUE_LIMIT
        body = self.presenter.describe(value, name, limit)
        body["result"] = body.pop("value")
        return body

    def _exception_info(self, args: Arguments) -> Dict[str, Any]:
        target = self.targets.thread(args.integer("threadId"))
        if target.exception is None:
            raise RequestError(f"{target.name} holds no exception: it is a stack as it was "
                               "when the dump was written")
        return exception_info(self.dump.body, target.exception)

    def _source(self, args: Arguments) -> Dict[str, Any]:
        source = args.section("source")
        reference = args.integer("sourceReference", 0) or source.integer("sourceReference", 0)
        if reference:
            text = self.sources.text(reference)
        else:
            text = self.sources.text_of_path(source.text("path"))
        return {"content": text, "mimeType": "text/x-python"}
