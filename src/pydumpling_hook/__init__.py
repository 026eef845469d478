"""pydumpling-hook: capture uncaught exceptions to dump files, debug them later.

``import pydumpling_hook`` stays cheap: only the hook installer is imported
here; the engine, the loader and dill are imported the first time they are
needed.
"""

from __future__ import annotations

from ._version import __version__
from .hooks import install, is_installed, uninstall

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at every interpreter start
    from typing import Any

_LAZY = {
    "save_dumping": "api", "dump_current_traceback": "api", "dump": "api",
    "catch_any_exception": "api", "load_dumpling": "api", "debug_dumpling": "api",
    "load": "loader", "capture": "decorator",
    # %load_ext pydumpling_hook: IPython looks these up, and only then are they imported
    "load_ipython_extension": "ipython_extension",
    "unload_ipython_extension": "ipython_extension",
}

__all__ = ["__version__", "install", "uninstall", "is_installed", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pydumpling_hook' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
