"""``python -m pydumpling_hook``: the same program as ``pydumpling-open``.

It also accepts the predecessor's ``--print FILE``, ``--debug FILE`` and
``--rdebug FILE`` forms, which the shared parser understands as they are.
"""

import sys

from .loader.cli import main

if __name__ == "__main__":
    sys.exit(main())
