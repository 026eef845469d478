"""Install pydumpling-hook's crash hooks at interpreter start, without a .pth file.

Python imports a module named ``sitecustomize`` from ``sys.path`` at startup
(unless run with ``-S`` or ``-I``). Put this file in a directory on the path
of the interpreter you deploy, e.g. through ``PYTHONPATH`` or next to the
standard library, for setups that drop or forbid ``.pth`` files (zipapps,
frozen site-packages, some container images).

As with the ``.pth`` route, nothing is imported unless ``PYDUMPLING_DIR`` is
set, so an interpreter started without it pays one dictionary lookup.
"""

import os

if os.environ.get("PYDUMPLING_DIR"):
    try:
        import pydumpling_hook

        pydumpling_hook.install()
    except Exception as error:  # never stop the interpreter from starting
        import sys

        sys.stderr.write(f"pydumpling: sitecustomize could not install hooks: {error}\n")
