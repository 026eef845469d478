"""Imported by ``pydumpling_hook.pth`` at interpreter start, only when PYDUMPLING_DIR is set.

The ``.pth`` line tests the variable itself before importing anything, so an
interpreter without it pays one dict lookup. A failure here must never stop
the interpreter from starting: it costs one warning line.
"""

try:
    from .hooks import install

    install()
except Exception as _error:  # pragma: no cover - depends on a broken environment
    import sys

    sys.stderr.write(f"pydumpling: auto-install failed: {_error}\n")
