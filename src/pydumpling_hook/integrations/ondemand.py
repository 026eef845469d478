"""On-demand dump: a signal writes every thread's live stack, with locals.

Like ``faulthandler.register`` but with variables, and the program goes on.
Off unless ``PYDUMPLING_SIGNAL`` / ``install(signal=...)`` names a signal. We
use ``_signal`` (the C module) because ``signal.py`` imports ``enum``, which
would cost milliseconds at every interpreter start. A Python-level handler
that was already installed for that signal is called after the dump.
"""

from __future__ import annotations

from ..engine.points import warn
from ._common import dump_live

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

_state: dict = {}


def apply(settings: Any) -> None:
    wanted = settings.signal
    if not wanted:
        remove()
        return
    import _signal

    signum = _number(_signal, str(wanted))
    if signum is None:
        warn(f"unknown signal {wanted!r}; no on-demand dump")
        return
    if _state.get("signum") == signum and _signal.getsignal(signum) is _handler:
        return
    remove()
    try:
        previous = _signal.signal(signum, _handler)
    except (ValueError, OSError) as error:  # not the main thread, or an uncatchable signal
        warn(f"cannot handle signal {wanted}: {error}")
        return
    _state.update(signum=signum, previous=previous)


def remove() -> None:
    signum = _state.pop("signum", None)
    previous = _state.pop("previous", None)
    if signum is None:
        return
    import _signal

    try:
        if _signal.getsignal(signum) is _handler:
            _signal.signal(signum, previous if previous is not None else _signal.SIG_DFL)
    except (ValueError, OSError):
        pass


def _number(module: Any, name: str) -> Any:
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    if not text.startswith("SIG"):
        text = "SIG" + text
    value = getattr(module, text, None)
    return value if isinstance(value, int) and not text.startswith("SIG_") else None


def _handler(signum: int, frame: Any) -> None:
    dump_live("signal", extra={"signal": signum})
    previous = _state.get("previous")
    if callable(previous):
        previous(signum, frame)
