"""The capture engine: the code that runs inside the crashing process.

Everything here is stdlib-only on the hot path and is imported lazily, at the
first crash, never at install time (``hooks`` and ``integrations`` only import
``points``, which imports nothing heavy, and ``retry`` for a remote directory).
``points`` applies the rules every capture point shares; ``dumping`` turns an
exception into a file through ``snapshot`` (the walk), ``copier`` (the values),
``writer`` (the disk) and, when asked, ``originals``.
"""
