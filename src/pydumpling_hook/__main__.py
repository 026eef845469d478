"""``python -m pydumpling_hook``: the same program as ``pydumpling-open``.

It also accepts the predecessor's ``--print FILE``, ``--debug FILE`` and
``--rdebug FILE`` forms, which the shared parser understands as they are.

``python -m`` puts the current directory first on ``sys.path``. A dump often
arrives in a directory of other files, and a ``pdb.py`` or ``ipdb.py`` there
would be imported instead of the debugger. The entry is taken out before
anything else is imported.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from .loader.cli import main  # noqa: E402 - after the sys.path fix above

if __name__ == "__main__":
    sys.exit(main())
