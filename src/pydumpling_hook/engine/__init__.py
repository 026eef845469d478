"""The capture engine: the code that runs inside the crashing process.

Everything here is stdlib-only on the hot path and is imported lazily, at the
first crash, never at install time: ``hooks`` and ``integrations`` import only
``points``, which imports nothing heavy, ``retry`` for a remote directory and
``renames`` once IPython is there. ``points`` applies the rules every capture
point shares; ``dumping`` turns an exception into a file through ``snapshot``
(the walk), ``copier`` (the values), ``writer`` (the disk) and, when asked,
``originals``.
"""
