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
* Spend the size budget fairly and show every cut. A cut value keeps its true
  length and both of its ends: nine tenths of the budget from the start, one
  tenth from the end (``split``), because the newest entries of a log list or
  the end of a message are often what explains the crash.

Builtin containers are copied by ``containers`` (the C-speed paths and the
head-and-tail cuts), per-type knowledge lives in ``handlers``, and what is
learnt once per type in ``typeinfo``.
"""

from __future__ import annotations

from types import FunctionType, MethodType, ModuleType

from ..dumpformat.model import ObjectSnapshot, Redacted, TruncatedBytes, TruncatedStr, Value
from .containers import (
    ATOMIC,
    CONTAINER_COST,
    KEEP_ALWAYS,
    SCALAR_COST,
    Containers,
    TableRows,
)
from .redact import Redactor
from .typeinfo import TypeInfo, type_attr

CODE_TYPES = (ModuleType, FunctionType, MethodType, type)
"""Values whose copy shows only a name: a function called ``get_token`` holds no token."""

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable


class Copier(Containers):
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
        self.types: dict[type, TypeInfo] = {}
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

    def copy_namespace(self, ns: Any, depth: int = 0, hide: Any = ()) -> dict:
        """Copy a name→value mapping (frame locals, attributes), redacting secret names
        and the names in ``hide`` (the redactor's fields of a class)."""
        redactor = self.redactor
        check = redactor.any_secret_name(list(ns))
        if not check and not hide and type(ns) is dict and self._scalars_fast(list(ns.values())):
            return dict(ns)  # plain attributes and locals: copied in C, nothing to redact
        out = {}
        for name, value in ns.items():
            if name in hide:
                out[name] = self.redact("structure", value)
                continue
            if check and redactor.secret_name(name) and not isinstance(value, CODE_TYPES):
                out[name] = self.redact("name", value)
                continue
            before = self.redacted
            out[name] = self.copy(value, depth)
            if self.redacted != before:
                self.tainted.add(id(value))
        return out

    def copy_argv(self, argv: Any) -> list:
        """Copy ``sys.argv``, hiding the values of secret-looking options."""
        return self.redactor.argv(argv, self.copy)

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
            return seen if type(seen) is not TableRows else seen.table.row(key)
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
        tail = keep // 10
        return TruncatedStr(value[:keep - tail], size - keep, value[size - tail:] if tail else "")

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
        tail = keep // 10
        return TruncatedBytes(bytes(value[:keep - tail]), size - keep, cls.__name__,
                              bytes(value[size - tail:]) if tail else b"")

    # -- other objects ---------------------------------------------------
    def type_info(self, cls: type) -> TypeInfo:
        info = self.types.get(cls)
        if info is None:
            info = self.types[cls] = TypeInfo(cls)
        return info

    def _repr(self, value: Any, info: TypeInfo) -> str:
        if info.base is not None:
            return self._builtin_subclass_repr(value, info)
        if info.trusted_repr:
            try:
                text = repr(value)
                if type(text) is str and not self.redactor.repr_secret(text):
                    limit = self.budgets.repr
                    return text if len(text) <= limit else text[:limit] + "…"
            except Exception:
                pass
        return f"<{info.module}.{info.qualname} object at {id(value):#x}>"

    def _builtin_subclass_repr(self, value: Any, info: TypeInfo) -> str:
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

    def _repr_summary(self, value: Any, info: TypeInfo) -> str:
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
        items = (lambda: self._base_items(value, info, depth)) if info.base is not None else None
        return self.object_snapshot(value, info, depth, items=items)

    def copy_made(self, value: Any, depth: int) -> Any:
        """``copy`` for a container a handler just made (a sample, a list of labels). The
        memo knows values by ``id``, so it is kept alive until the capture ends: a later
        object must not reuse its id and be taken for it."""
        self.keepalive.append(value)
        return self.copy(value, depth)

    def hold(self, value: Any, info: TypeInfo, note: str) -> None:
        """Stand in for ``value`` while its parts are copied, when its copy can only be
        made after them (a tuple, a ``model.Value``): a cycle back to it meets this."""
        snap = ObjectSnapshot(info.module, info.qualname,
                              f"<{info.module}.{info.qualname} object at {id(value):#x}>")
        snap.note = note
        self.memo[id(value)] = snap

    def value(self, owner: Any, kind: str, data: Any) -> Value:
        """The copy of ``owner`` as a ``model.Value`` the loader rebuilds from ``data``."""
        copy = self.memo[id(owner)] = Value(kind, data)
        self.spent += CONTAINER_COST
        return copy

    def object_snapshot(self, value: Any, info: TypeInfo, depth: int,
                        items: Callable[[], Any] | None = None) -> ObjectSnapshot:
        """The generic copy of an object: its repr, its attributes read from ``__dict__``
        and slots, and the content ``items()`` copies (or None).

        Handlers call this too, adding what they know about their type.
        """
        cls = type(value)
        redacted_before = self.redacted
        snap = ObjectSnapshot(info.module, info.qualname, self._repr(value, info))
        self.memo[id(value)] = snap
        self.spent += CONTAINER_COST + len(snap.repr)
        if isinstance(value, CODE_TYPES):
            return snap
        if self._over_budget():
            snap.note = "size budget spent"
            self.cuts += 1
            return snap
        attrs = None
        hide = self.redactor.class_fields(info.module, info.qualname)
        if info.dict_descr is not None:
            try:
                ns = info.dict_descr.__get__(value, cls)
            except Exception:
                ns = None
            if type(ns) is dict and ns:
                attrs = self.copy_namespace(ns, depth + 1, hide)
        for name, member in info.slots:
            try:
                slot_value = member.__get__(value, cls)
            except Exception:
                continue
            if attrs is None:
                attrs = {}
            if name in hide:
                attrs[name] = self.redact("structure", slot_value)
            else:
                attrs[name] = self.redact("name", slot_value) if self.redactor.secret_name(
                    name) else self.copy(slot_value, depth + 1)
        snap.attrs = attrs
        if items is not None:
            snap.items = items()
            if info.base is tuple and type(snap.items) is list:
                self._redact_fields(cls, snap.items)
        if self.redacted != redacted_before:
            # A trusted repr shows the attributes just redacted (a SimpleNamespace, a
            # partial's keywords): fall back to the default repr that shows none.
            self.tainted.add(id(value))
            snap.repr = f"<{info.module}.{info.qualname} object at {id(value):#x}>"
        return snap

    def _redact_fields(self, cls: type, items: list) -> None:
        """A namedtuple's items are attributes by name (``creds.password``): redact those."""
        fields = type_attr(cls, "_fields", None)
        redactor = self.redactor
        if type(fields) is tuple and redactor.any_secret_name(list(fields)):
            for i, name in enumerate(fields[:len(items)]):
                if redactor.secret_name(name):
                    items[i] = self.redact("name", items[i])


def copy_frame_locals(frame: Any) -> Any:
    """Read a frame's locals as a plain dict, including 3.13's FrameLocalsProxy."""
    ns = frame.f_locals
    if type(ns) is dict:
        return ns
    try:
        return dict(ns)
    except Exception:
        return {}

