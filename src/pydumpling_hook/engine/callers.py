"""The live callers of the frame that caught an exception: the rest of a caught crash's stack.

A traceback starts at the frame that caught the exception (a framework's
request handler, a pool worker's loop, ``@capture``'s wrapper), so a dump
written there would end at that frame. Above it, still running while the
exception is handled, are the request loop and the server. They are worth
recording only while they are still on the capturing thread's stack: then
their line numbers and locals are current. The catching frame itself may have
returned already (pytest reports after ``CallInfo.from_call`` returns), so its
caller is what we test. After an excepthook the stack has unwound: nothing.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


def live_caller(tb: Any) -> Any:
    """The caller of ``tb``'s first frame if it is running on this thread, else ``None``."""
    caller = tb.tb_frame.f_back if tb is not None else None
    if caller is None:
        return None
    current = sys._getframe(1)
    while current is not None:
        if current is caller:
            return caller
        current = current.f_back
    return None
