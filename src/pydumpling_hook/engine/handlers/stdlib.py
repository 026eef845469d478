"""Standard-library types the generic object copy would get wrong."""

from __future__ import annotations

from itertools import islice

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any


def copy_deque(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """A deque is no builtin container subclass, so its content is read here, in C."""
    return copier.object_snapshot(
        value, info, depth, items=lambda: (list(islice(value, copier.items)), len(value)))


HANDLERS = {("collections", "deque"): copy_deque}
