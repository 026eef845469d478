"""The dump format, shared by capture and the loader (see ``docs/FORMAT.md``).

``model`` holds the few value types a dump's safe section may contain;
``dumpfile`` encodes and decodes the file itself. Both are stdlib-only so that
a crashing process can import them cheaply.
"""
