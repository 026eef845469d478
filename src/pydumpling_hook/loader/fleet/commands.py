"""``--keygen`` and ``--ship``: the two fleet commands that are not about one dump.

Each prints what a script needs on stdout (the public key; the shipped URLs)
and raises ``DumpError`` with one line for anything that went wrong.
"""

from __future__ import annotations

from typing import IO

from ... import config
from ...dumpformat.dumpfile import DumpError


def keygen(path: str, out: IO[str]) -> int:
    """Write a new identity to ``path`` (0600) and print its public key."""
    from ...dumpformat.sealed import keygen as make_identity

    out.write(make_identity(path) + "\n")
    out.flush()
    return 0


def ship(location: str, out: IO[str]) -> int:
    """Upload what the spool of ``location`` (default ``$PYDUMPLING_DIR``) holds, now."""
    from ...engine.retry import shipped_at_start, wait_for_retry
    from ...engine.ship import ship_pending
    from ...engine.spool import directory_for, pending

    settings = config.from_environment(directory=location or None)
    if not config.is_remote(settings.directory):
        raise DumpError(f"{settings.directory}: --ship needs a remote directory (s3://…, "
                        "gs://…), given or in PYDUMPLING_DIR")
    wait_for_retry(settings.upload_timeout)  # this very process may be retrying at start
    shipped, problem = ship_pending(settings)
    earlier = [url for where, url in shipped_at_start if where == settings.directory]
    for url in earlier + shipped:
        out.write(f"{url}\n")
    out.flush()
    if problem:
        left = len(pending(directory_for(settings)))
        raise DumpError(f"{settings.directory}: {left} dump(s) still in "
                        f"{directory_for(settings)}: {problem}")
    return 0
