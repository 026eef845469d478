"""Capture points beyond the two excepthooks: one small module each.

``apply`` runs inside ``install()``, possibly at every interpreter start, so
it imports almost nothing: the integration for ``asyncio``, ``logging`` or
``multiprocessing`` is imported, and patches its target, only when the
application imports that target (``_patch.when_imported``); the signal and
fatal-error integrations are imported only when switched on. Calling
``apply`` again with other settings switches integrations on or off;
``remove`` undoes everything ``apply`` did.
"""

from __future__ import annotations

import sys

from ..engine.points import warn
from . import _patch, unraisable

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

# integration module -> the imports that trigger it
_ON_IMPORT = {
    "aio": ("asyncio",),
    "logs": ("logging",),
    "processes": ("multiprocessing", "multiprocessing.pool", "concurrent.futures.process"),
    "ipython": ("IPython.core.interactiveshell",),
}
# integration module -> the setting that switches it on
_ON_SETTING = {"ondemand": "signal", "fatal": "fatal"}
_ENABLED_BY = {"logs": "logging"}
_PATCHERS: dict = {}


def apply(settings: Any) -> None:
    """Switch on the integrations the settings ask for (and off the others)."""
    _guarded("unraisable", unraisable.apply, settings)
    for name, triggers in _ON_IMPORT.items():
        if getattr(settings, _ENABLED_BY.get(name, ""), True):
            for target in triggers:
                _guarded(name, _patch.when_imported, target, _patcher(name), name)
        else:
            _patch.undo(name)
    for name, setting in _ON_SETTING.items():
        if getattr(settings, setting):
            _guarded(name, lambda n=name: _module(n).apply(settings))
        elif _loaded(name) is not None:
            _guarded(name, _loaded(name).remove)


def remove() -> None:
    """Switch every integration off again."""
    for name in _ON_SETTING:
        if _loaded(name) is not None:
            _guarded(name, _loaded(name).remove)
    for name in _ON_IMPORT:
        _patch.undo(name)
    _guarded("unraisable", unraisable.remove)


def _patcher(name: str) -> Any:
    """The callback (one per integration, so re-applying does not register it twice)
    that imports the integration ``name`` and lets it patch the module just imported."""
    patch = _PATCHERS.get(name)
    if patch is None:
        def patch(module: Any) -> None:
            _module(name).patch(module)

        patch = _PATCHERS[name] = patch
    return patch


def _module(name: str) -> Any:
    __import__(f"{__name__}.{name}")
    return sys.modules[f"{__name__}.{name}"]


def _loaded(name: str) -> Any:
    return sys.modules.get(f"{__name__}.{name}")


def _guarded(name: str, function: Any, *args: Any) -> None:
    """One broken integration costs one warning line and must not stop the others."""
    try:
        function(*args)
    except Exception as error:
        warn(f"{name} integration failed: {type(error).__name__}: {error}")
