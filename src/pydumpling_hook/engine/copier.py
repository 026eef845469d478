"""Turn live values into safe, bounded copies for a dump.

This runs inside a dying process, on objects we know nothing about, so it
obeys three rules:

* Run no application code. Attributes are read from ``__dict__`` and slot
  descriptors directly, never through ``getattr`` (no property, no
  ``__getattr__``). ``repr`` is called only for types whose repr is known to be
  cheap and free of side effects (``TRUSTED_REPR_MODULES``); everything else
  gets the default ``<module.Qualname object at 0x…>``.
* Never copy a big thing whole. Strings and bytes are sliced before anything
  else touches them, containers are read up to ``items`` entries.
* Spend the size budget fairly and show every cut (``model.Cut`` and friends).

Plain builtin containers of scalars take C-speed paths (slices, set-of-types
checks) because they are most of what real frames hold.
"""

from __future__ import annotations

from itertools import islice
from types import FunctionType, MethodType, ModuleType

from ..dumpformat.model import Cut, ObjectSnapshot, Redacted, TruncatedBytes, TruncatedStr
from . import handlers
from .redact import Redactor

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

NoneType = type(None)
ATOMIC = frozenset({int, float, bool, NoneType, complex, type(Ellipsis)})
ATOMIC_OR_STR = ATOMIC | {str}
SCALAR_COST = 8
CONTAINER_COST = 24
KEEP_ALWAYS = 120
"""Strings up to this length are kept even when the size budget is spent."""

TRUSTED_REPR_MODULES = frozenset({
    "builtins", "datetime", "decimal", "fractions", "uuid", "pathlib", "ipaddress",
    "enum", "re", "socket", "_socket", "threading", "_thread", "io", "_io", "zoneinfo",
    "array", "collections", "functools", "types", "weakref", "_weakref", "asyncio",
    "asyncio.events", "asyncio.tasks", "asyncio.futures", "_asyncio", "logging",
    "subprocess", "queue", "_queue", "selectors", "ssl", "_ssl", "mmap", "itertools",
    "operator", "contextvars", "_contextvars", "_pydecimal", "posixpath", "ntpath",
    "os", "pickle", "_pickle", "json", "email.message", "http.client", "urllib.parse",
})
"""Modules whose classes' ``repr`` we trust to be bounded and side-effect free."""

BUILTIN_BASES = (str, bytes, bytearray, int, float, dict, list, tuple, set, frozenset)


class _TypeInfo:
    """What we learn once per type: its names, how to reach its attributes, its repr."""

    __slots__ = ("module", "qualname", "dict_descr", "slots", "trusted_repr", "base", "handler")

    def __init__(self, cls: type) -> None:
        self.module = _type_attr(cls, "__module__", "?")
        self.qualname = _type_attr(cls, "__qualname__", None) or _type_attr(
            cls, "__name__", "?")
        self.dict_descr = None
        slots = []
        for klass in _mro(cls):
            for name, descr in _type_attr(klass, "__dict__", {}).items():
                kind = type(descr).__name__
                if kind == "member_descriptor":
                    slots.append((name, descr))
                elif name == "__dict__" and kind == "getset_descriptor" and not self.dict_descr:
                    self.dict_descr = descr
        self.slots = tuple(slots)
        self.base = next((b for b in BUILTIN_BASES if issubclass(cls, b)), None)
        repr_owner = next((k for k in _mro(cls) if "__repr__" in _type_attr(k, "__dict__", {})),
                          object)
        # object's own repr is what we would format anyway: no need to call it.
        self.trusted_repr = self.base is None and repr_owner is not object and (
            _type_attr(repr_owner, "__module__", "") in TRUSTED_REPR_MODULES)
        self.handler = handlers.find(cls, self.module, self.qualname)


def _type_attr(cls: Any, name: str, default: Any) -> Any:
    """Read a class attribute without running a metaclass ``__getattr__``."""
    try:
        return type.__getattribute__(cls, name)
    except Exception:
        return default


def _mro(cls: type) -> tuple:
    mro = _type_attr(cls, "__mro__", (cls,))
    return mro if isinstance(mro, tuple) else (cls,)


class Copier:
    """One copier per dump: it owns the memo (shared references, cycles) and the budget."""

    def __init__(self, budgets: Any, redactor: Redactor | None = None) -> None:
        self.budgets = budgets
        self.depth_limit = budgets.depth
        self.items = budgets.items
        self.string = budgets.string
        self.nbytes = budgets.bytes
        self.spent = 0
        self.stop_at = budgets.total
        self.cuts = 0
        self.errors = 0
        self.memo: dict[int, Any] = {}
        self.keepalive: list = []
        self.tainted: set[int] = set()
        self.types: dict[type, _TypeInfo] = {}
        self.redactor = redactor if redactor is not None else Redactor(enabled=False)

    # -- budget ----------------------------------------------------------
    def allow(self, share: int) -> None:
        """Let the next frame spend up to ``share`` more, whatever earlier frames left."""
        self.stop_at = min(self.budgets.total, self.spent + max(share, 0))

    @property
    def remaining(self) -> int:
        return max(0, self.budgets.total - self.spent)

    # -- redaction -------------------------------------------------------
    def redact(self, rule: str = "name", value: Any = None) -> Redacted:
        return self.redactor.redact(rule, value)

    @property
    def redacted(self) -> int:
        """How many values were hidden so far: compared before and after a copy."""
        return self.redactor.total

    def copy_namespace(self, ns: Any, depth: int = 0) -> dict:
        """Copy a name→value mapping (frame locals, attributes), redacting secret names."""
        redactor = self.redactor
        check = redactor.any_secret_name(list(ns))
        if not check and type(ns) is dict and self._scalars_fast(list(ns.values())):
            return dict(ns)  # plain attributes and locals: copied in C, nothing to redact
        out = {}
        for name, value in ns.items():
            if check and redactor.secret_name(name):
                out[name] = self.redact("name", value)
                continue
            before = self.redacted
            out[name] = self.copy(value, depth)
            if self.redacted != before:
                self.tainted.add(id(value))
        return out

    def copy_argv(self, argv: Any) -> list:
        """Copy ``sys.argv``, hiding the values of secret-looking options.

        ``--password=x`` becomes ``--password=<redacted>``; in ``--token x`` the
        ``x`` becomes ``<redacted>`` (a flag like ``--no-auth`` followed by a
        positional argument costs that argument: safer than guessing).
        """
        out: list = []
        hide_next = False
        for arg in list(argv):
            if hide_next:
                hide_next = False
                self.redact("name", arg)
                out.append("<redacted>")
                continue
            if type(arg) is str and arg.startswith("-") and self.redactor.enabled:
                name, equals, value = arg.partition("=")
                if self.redactor.secret_name(name.lstrip("-")):
                    if equals:
                        self.redact("name", value)
                        out.append(f"{name}=<redacted>")
                        continue
                    hide_next = True
            out.append(self.copy(arg))
        return out

    # -- values ----------------------------------------------------------
    def copy(self, value: Any, depth: int = 0) -> Any:
        """Return a safe copy of ``value``; never raises."""
        try:
            return self._copy(value, depth)
        except RecursionError:
            self.errors += 1
            return self._summary(value, "nested too deeply to copy")
        except Exception as exc:
            self.errors += 1
            return self._summary(value, f"copy failed: {type(exc).__name__}")

    def _copy(self, value: Any, depth: int) -> Any:
        cls = type(value)
        if cls in ATOMIC:
            if cls is int and value.bit_length() > 64 * 1024:
                return self._summary(value, f"int of {value.bit_length():,} bits")
            self.spent += SCALAR_COST
            return value
        if cls is str:
            return self._copy_str(value)
        if cls is bytes or cls is bytearray:
            return self._copy_bytes(value, cls)
        key = id(value)
        seen = self.memo.get(key)
        if seen is not None:
            return seen
        if depth >= self.depth_limit:
            return self._summary(value, "deeper than the depth budget")
        if cls is list:
            return self._copy_list(value, depth)
        if cls is dict:
            return self._copy_dict(value, depth)
        if cls is tuple or cls is set or cls is frozenset:
            return self._copy_collection(value, cls, depth)
        return self._copy_object(value, cls, depth)

    def _copy_str(self, value: str) -> Any:
        size = len(value)
        hidden = self.redactor.check_text(value)
        if hidden is not None:
            return hidden
        if size <= self.string and (size <= KEEP_ALWAYS or self.spent < self.stop_at):
            self.spent += size + SCALAR_COST
            return value
        keep = self.string if self.spent < self.stop_at else KEEP_ALWAYS
        self.cuts += 1
        self.spent += keep + SCALAR_COST
        return TruncatedStr(value[:keep], size - keep)

    def _copy_bytes(self, value: Any, cls: type) -> Any:
        size = len(value)
        if cls is bytes:  # os.environ keeps its values as bytes too
            hidden = self.redactor.check_text(value)
            if hidden is not None:
                return hidden
        keep = self.nbytes if self.spent < self.stop_at else KEEP_ALWAYS
        if size <= keep:
            self.spent += size + SCALAR_COST
            return bytes(value) if cls is bytearray and size == 0 else value[:]
        self.cuts += 1
        self.spent += keep + SCALAR_COST
        return TruncatedBytes(bytes(value[:keep]), size - keep, cls.__name__)

    def _over_budget(self) -> bool:
        return self.spent >= self.stop_at

    def _scalars_fast(self, items: list) -> bool:
        """True when ``items`` can be kept as they are: scalars and short, non-secret strings."""
        kinds = set(map(type, items))
        if kinds <= ATOMIC:
            # Huge ints are checked where it is cheap (all-int lists, in C); a
            # mixed list may carry one, which only costs its size in the file.
            if kinds == {int} and items and max(
                    max(items).bit_length(), min(items).bit_length()) > 64 * 1024:
                return False
            self.spent += SCALAR_COST * len(items)
            return True
        if not kinds <= ATOMIC_OR_STR:
            return False
        strs = items if len(kinds) == 1 else [i for i in items if type(i) is str]
        lengths = list(map(len, strs))
        longest = max(lengths, default=0)
        if longest > KEEP_ALWAYS and (longest > self.string or self._over_budget()):
            return False
        if not self.redactor.texts_clean(strs):
            return False
        self.spent += sum(lengths) + SCALAR_COST * len(items)
        return True

    def _cut_count(self, total: int) -> int:
        limit = self.items if not self._over_budget() else 8
        return limit if total > limit else total

    def _copy_list(self, value: list, depth: int, total: int | None = None) -> list:
        total = len(value) if total is None else total
        n = self._cut_count(total)
        head = value[:n]
        out: list = []
        self.memo[id(value)] = out
        self.spent += CONTAINER_COST
        hide = self.redactor.secret_pair(head) if len(head) == 2 else -1
        if hide < 0 and self._scalars_fast(head):
            out.extend(head)
        else:
            out.extend([self.redact("structure", item) if i == hide else self.copy(item, depth + 1)
                        for i, item in enumerate(head)])
        if total > n:
            self.cuts += 1
            out.append(Cut(total - n))
        return out

    def _copy_collection(self, value: Any, cls: type, depth: int) -> Any:
        total = len(value)
        n = self._cut_count(total)
        head = list(islice(value, n))
        self.spent += CONTAINER_COST
        hide = self.redactor.secret_pair(head) if cls is tuple and len(head) == 2 else -1
        if hide >= 0 or not self._scalars_fast(head):
            if cls is tuple:
                # A tuple cannot be created before its items, so a cycle through it
                # is cut rather than followed.
                self.memo[id(value)] = self._summary(value, "cycle through a tuple")
            head = [self.redact("structure", item) if i == hide else self.copy(item, depth + 1)
                    for i, item in enumerate(head)]
        if total > n:
            self.cuts += 1
            head.append(Cut(total - n))
        try:
            result = cls(head)
        except TypeError:
            result = tuple(head)
        self.memo[id(value)] = result
        return result

    def _copy_dict(self, value: dict, depth: int, total: int | None = None) -> dict:
        total = len(value) if total is None else total
        n = self._cut_count(total)
        out: dict = {}
        self.memo[id(value)] = out
        self.spent += CONTAINER_COST
        keys = list(islice(value, n)) if total > n else list(value)
        redactor = self.redactor
        secret = redactor.any_secret_name(keys)
        plain_keys = not secret and self._scalars_fast(keys)  # kept as they are, counted once
        if plain_keys:
            vals = list(islice(value.values(), n))
            if self._scalars_fast(vals):
                if total > n:
                    out.update(zip(keys, vals))
                else:
                    out.update(value)
                    return out
        for key in keys:
            try:
                item = value[key]
            except Exception:
                continue
            if secret and redactor.secret_name(key):
                out[self.copy(key, depth + 1)] = self.redact("name", item)
                continue
            try:
                out[key if plain_keys else self.copy(key, depth + 1)] = self.copy(item, depth + 1)
            except TypeError:
                out[repr(key)] = self.copy(item, depth + 1)
        if total > n:
            self.cuts += 1
            out[Cut(total - n)] = ...
        return out

    # -- other objects ---------------------------------------------------
    def type_info(self, cls: type) -> _TypeInfo:
        info = self.types.get(cls)
        if info is None:
            info = self.types[cls] = _TypeInfo(cls)
        return info

    def _repr(self, value: Any, info: _TypeInfo) -> str:
        if info.base is not None:
            return self._builtin_subclass_repr(value, info)
        if info.trusted_repr:
            try:
                text = repr(value)
                if type(text) is str and not self.redactor.quotes_secret(text):
                    limit = self.budgets.repr
                    return text if len(text) <= limit else text[:limit] + "…"
            except Exception:
                pass
        return f"<{info.module}.{info.qualname} object at {id(value):#x}>"

    def _builtin_subclass_repr(self, value: Any, info: _TypeInfo) -> str:
        """Repr of e.g. a str or dict subclass built from the base type, never its own
        (possibly huge, possibly overridden) repr."""
        base = info.base
        limit = self.budgets.repr
        if base in (str, bytes, bytearray):
            head = base.__getitem__(value, slice(0, limit))
            if base is not bytearray and self.redactor.check_text(base(head)) is not None:
                head = type(head)()  # a str subclass holding a secret: show no content
            return f"{info.qualname}({head!r}{'…' if base.__len__(value) > limit else ''})"
        if base in (int, float):
            text = base.__repr__(value)
            return f"{info.qualname}({text[:limit]})"
        return f"<{info.qualname} with {base.__len__(value):,} items>"

    def _summary(self, value: Any, note: str) -> ObjectSnapshot:
        info = self.type_info(type(value))
        snap = ObjectSnapshot(info.module, info.qualname, self._repr_summary(value, info))
        snap.note = note
        self.cuts += 1
        return snap

    def _repr_summary(self, value: Any, info: _TypeInfo) -> str:
        try:
            size = len(value) if type(value) in (list, dict, tuple, set, frozenset) else None
        except Exception:
            size = None
        if size is not None:
            return f"<{info.qualname} with {size:,} items>"
        if type(value) is int:
            return f"<int with {value.bit_length():,} bits>"
        return self._repr(value, info)

    def _copy_object(self, value: Any, cls: type, depth: int) -> Any:
        info = self.type_info(cls)
        if info.handler is not None:
            return info.handler(self, value, info, depth)
        items = (lambda: self._base_items(value, info)) if info.base is not None else None
        return self.object_snapshot(value, info, depth, items=items)

    def object_snapshot(self, value: Any, info: _TypeInfo, depth: int,
                        items: Callable[[], tuple] | None = None) -> ObjectSnapshot:
        """The generic copy of an object: its repr, its attributes read from ``__dict__``
        and slots, and, if ``items()`` gives ``(content, true_length)``, that content.

        Handlers call this too, adding what they know about their type.
        """
        cls = type(value)
        redacted_before = self.redacted
        snap = ObjectSnapshot(info.module, info.qualname, self._repr(value, info))
        self.memo[id(value)] = snap
        self.spent += CONTAINER_COST + len(snap.repr)
        if isinstance(value, (ModuleType, FunctionType, MethodType, type)):
            return snap
        if self._over_budget():
            snap.note = "size budget spent"
            self.cuts += 1
            return snap
        attrs = None
        if info.dict_descr is not None:
            try:
                ns = info.dict_descr.__get__(value, cls)
            except Exception:
                ns = None
            if type(ns) is dict and ns:
                attrs = self.copy_namespace(ns, depth + 1)
        for name, member in info.slots:
            try:
                slot_value = member.__get__(value, cls)
            except Exception:
                continue
            if attrs is None:
                attrs = {}
            attrs[name] = self.redact("name", slot_value) if self.redactor.secret_name(
                name) else self.copy(slot_value, depth + 1)
        snap.attrs = attrs
        content = items() if items is not None else None
        if content is not None:
            kept, total = content
            self.keepalive.append(kept)  # its id is in the memo: it must not be reused
            copy = self._copy_dict if type(kept) is dict else self._copy_list
            snap.items = copy(kept, depth, total)
            if info.base is tuple:
                self._redact_fields(cls, snap.items)
        if self.redacted != redacted_before:
            # A trusted repr shows the attributes just redacted (a SimpleNamespace, a
            # partial's keywords): fall back to the default repr that shows none.
            self.tainted.add(id(value))
            snap.repr = f"<{info.module}.{info.qualname} object at {id(value):#x}>"
        return snap

    def _redact_fields(self, cls: type, items: list) -> None:
        """A namedtuple's items are attributes by name (``creds.password``): redact those."""
        fields = _type_attr(cls, "_fields", None)
        redactor = self.redactor
        if type(fields) is tuple and redactor.any_secret_name(list(fields)):
            for i, name in enumerate(fields[:len(items)]):
                if redactor.secret_name(name) and not isinstance(items[i], Cut):
                    items[i] = self.redact("name", items[i])

    def _base_items(self, value: Any, info: _TypeInfo) -> tuple | None:
        """Content and true length of a builtin container's subclass (OrderedDict, a list
        subclass...), read through the base type's C methods so no override runs, and
        never more than the item budget."""
        base = info.base
        if base not in (dict, list, tuple, set, frozenset):
            return None
        try:
            if base is dict:
                kept: Any = dict(islice(dict.items(value), self.items))
            else:
                kept = list(islice(base.__iter__(value), self.items))
            return kept, base.__len__(value)
        except Exception:
            return None


def copy_frame_locals(frame: Any) -> Any:
    """Read a frame's locals as a plain dict, including 3.13's FrameLocalsProxy."""
    ns = frame.f_locals
    if type(ns) is dict:
        return ns
    try:
        return dict(ns)
    except Exception:
        return {}

