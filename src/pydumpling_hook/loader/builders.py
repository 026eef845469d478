"""Every ``model.Value`` kind the loader knows, and the one place that calls their builders.

A builder gets data from the file; whatever it raises means a damaged or hostile
value, which becomes a snapshot saying so instead of an error out of the
unpickler (one bad value must not cost the whole dump).
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from . import arrays, frames, stdvalues
from .values import clean_text, snapshot_class

BUILDERS: Dict[str, Callable[[Any], Any]] = {
    **stdvalues.BUILDERS, **arrays.BUILDERS, **frames.BUILDERS}


def build(kind: Any, data: Any) -> Any:
    """The value a ``model.Value(kind, data)`` stands for."""
    name = clean_text(kind, "<unknown>", 100)
    builder = BUILDERS.get(name)
    if builder is None:
        note = "of a kind this version of pydumpling-hook does not know"
    else:
        try:
            return builder(data)
        except Exception as exc:  # any defect of a hostile or damaged value
            note = f"could not be rebuilt: {type(exc).__name__}"
    module, _, qualname = name.rpartition(".")
    return snapshot_class(module or "<value>", qualname or name)(f"<{name} value {note}>")
