"""Capture points beyond the two excepthooks (asyncio, unraisable, logging, ...).

``apply`` runs inside ``install()``, possibly at interpreter start, so it must
stay cheap: each integration patches its module only once the application
imports it. ``remove`` undoes what ``apply`` did.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any


def apply(settings: Any) -> None:
    """Switch on the integrations the settings ask for."""


def remove() -> None:
    """Switch every integration off again."""
