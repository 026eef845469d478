"""Source files that dumps name otherwise than by their path: IPython's cells.

An integration registers a provider when it installs (``name_files``), and
every capture asks all of them (``file_names``) as it embeds the sources of its
frames. The registry sits apart from ``points`` because ``dumping`` reads it,
and ``points`` calls ``dumping``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any

_file_namers: list = []


def name_files(provider: Any) -> None:
    """Have every dump file some source files under other names: ``provider()`` returns
    ``{filename: name}`` (the IPython integration names cells ``Cell In[3]``)."""
    if provider not in _file_namers:
        _file_namers.append(provider)


def file_names() -> dict:
    """What the registered providers rename; a provider that fails renames nothing."""
    names: dict = {}
    for provider in _file_namers:
        try:
            names.update(provider())
        except Exception:
            pass
    return names
