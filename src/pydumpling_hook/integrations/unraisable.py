"""``sys.unraisablehook``: exceptions Python can only report, never raise.

An exception in ``__del__``, a weakref callback or a GC finalizer has no
caller to propagate to; CPython hands it to ``sys.unraisablehook``, whose
default prints ``Exception ignored in: ...``. We chain in front of whatever
hook was set; its output is unchanged and our notice line comes after it.
"""

from __future__ import annotations

import sys

from ._common import capture_around

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

_state: dict = {}


def apply(settings: Any) -> None:
    current = sys.unraisablehook
    if current is not _hook:
        _state["previous"] = current
        sys.unraisablehook = _hook


def remove() -> None:
    if sys.unraisablehook is _hook:
        sys.unraisablehook = _state.get("previous", sys.__unraisablehook__)
    _state.clear()


def _hook(unraisable: Any) -> None:
    previous = _state.get("previous", sys.__unraisablehook__)
    capture_around(lambda: previous(unraisable), unraisable.exc_value, "unraisable",
                   extra={"err_msg": unraisable.err_msg, "object": unraisable.object},
                   tb=unraisable.exc_traceback)
