"""``%load_ext pydumpling_hook``: the entry points IPython looks up on the package.

They install the hooks, and ``hooks`` imports the integrations, so they live
here, above both, rather than in ``integrations.ipython``, which ``integrations``
imports. IPython imports this module only when it loads the extension.
"""

from __future__ import annotations

import os

from . import config, hooks, integrations
from .integrations import _patch
from .integrations.ipython import TAG

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pydumpling_hook``: install the hooks (if not yet) and say where dumps go."""
    if hooks.is_installed():  # keep the settings install() was given; re-arm after unload
        settings = config.current()
        integrations.apply(settings)
    else:
        settings = hooks.install()

    print(f"pydumpling: crash dumps of failing cells go to {os.path.abspath(settings.directory)}")


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext pydumpling_hook``: stop dumping cells (the other hooks stay)."""
    _patch.undo(TAG)
