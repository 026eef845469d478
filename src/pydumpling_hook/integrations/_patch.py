"""Reversible monkey-patching, and running a patch when a module gets imported.

``install()`` may run at every interpreter start, so integrations must not
import ``asyncio``, ``logging`` or ``multiprocessing`` themselves: they ask to
be called when the application imports the module (or at once, if it already
has). The hook is a ``sys.meta_path`` finder that answers only for the few
watched names and only to wrap the real loader's ``exec_module``; every other
import costs one dict lookup.

We do not use wrapt here: ``import wrapt`` (2.x) pulls in ``asyncio`` and
``importlib.metadata``, about 80-120 ms, which would land on every program
that merely imports ``logging``. The wrappers below do what
``wrapt.wrap_function_wrapper`` would for plain functions and methods, and
carry ``__wrapped__`` so they can be undone and inspected.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at interpreter start
    from typing import Any, Callable

_MARK = "_pydumpling_patch"
_patches: list = []  # (tag, owner, name, original, replacement)
_watched: dict = {}  # module name -> [(tag, callback)]
_busy: set = set()


def replace(owner: Any, name: str, new: Any, tag: str) -> bool:
    """Set ``owner.name = new`` unless it is already one of ours; remember how to undo it."""
    original = vars(owner).get(name, getattr(owner, name, None))
    if original is None or getattr(original, _MARK, None) == tag:
        return False
    try:
        setattr(new, _MARK, tag)
    except (AttributeError, TypeError):
        pass
    setattr(owner, name, new)
    _patches.append((tag, owner, name, original, new))
    return True


def wrap(owner: Any, name: str, wrapper: Callable, tag: str) -> bool:
    """Replace a function or method by one calling ``wrapper(original, args, kwargs)``.

    A plain function is a descriptor, so a patched method binds like the
    original and ``args[0]`` is the instance.
    """

    def build(original: Any) -> Callable:
        def patched(*args: Any, **kwargs: Any) -> Any:
            return wrapper(original, args, kwargs)

        return patched

    return wrap_with(owner, name, build, tag)


def wrap_with(owner: Any, name: str, build: Callable[[Any], Callable], tag: str) -> bool:
    """Replace a function by ``build(original)``: for hot paths that cannot afford
    the generic ``*args`` repacking of ``wrap``."""
    original = vars(owner).get(name, getattr(owner, name, None))
    if original is None or getattr(original, _MARK, None) == tag:
        return False
    patched = build(original)
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(patched, attr, getattr(original, attr))
        except (AttributeError, TypeError):
            pass
    patched.__wrapped__ = original  # type: ignore[attr-defined]
    return replace(owner, name, patched, tag)


def undo(tag: str) -> None:
    """Put back every attribute ``tag`` replaced, unless someone replaced ours since."""
    for entry in reversed([p for p in _patches if p[0] == tag]):
        _, owner, name, original, new = entry
        if vars(owner).get(name) is new:
            setattr(owner, name, original)
        _patches.remove(entry)
    for name, callbacks in list(_watched.items()):
        callbacks[:] = [c for c in callbacks if c[0] != tag]
        if not callbacks:
            del _watched[name]
    if not _watched and _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def when_imported(name: str, callback: Callable[[Any], None], tag: str) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import."""
    callbacks = _watched.setdefault(name, [])
    if (tag, callback) not in callbacks:
        callbacks.append((tag, callback))
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    module = sys.modules.get(name)
    if module is not None:
        _run(tag, callback, module)


def _run(tag: str, callback: Callable, module: Any) -> None:
    try:
        callback(module)
    except Exception as error:  # a patch that does not fit this Python: carry on without it
        from ..engine.points import warn

        warn(f"{tag} integration not enabled: {type(error).__name__}: {error}")


class _Loader:
    """Stands in for the real loader just long enough to run the callbacks after it."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def exec_module(self, module: Any) -> None:
        loader = self.loader
        try:  # the module should never see us
            module.__loader__ = loader
            module.__spec__.loader = loader
        except AttributeError:
            pass
        loader.exec_module(module)
        for tag, callback in list(_watched.get(module.__name__, ())):
            _run(tag, callback, module)


class _Finder:
    """A ``sys.meta_path`` entry that only ever wraps loaders of watched modules."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _watched or fullname in _busy:
            return None
        _busy.add(fullname)
        try:
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            _busy.discard(fullname)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader)
        return spec


_FINDER = _Finder()
