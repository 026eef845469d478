"""Records: dataclasses, attrs classes, pydantic v2 models and namedtuples.

Their generated ``__repr__`` is the application's class's code, so capture
never calls it; instead it records which attributes are the fields, in their
declared order, and the loader writes ``Cfg(name='x', retries=3)`` from the
copies. The field values go through the copier's namespace copy, so a field
named ``password`` is redacted like any attribute of that name.

Each kind is recognised by what its library puts in the class's own
``__dict__`` and then checked (a namedtuple's ``__repr__`` must still be the
one ``collections.namedtuple`` made), so a subclass that was not itself
decorated falls back to the generic attribute snapshot.
"""

from __future__ import annotations

import sys

from ..containers import as_entries

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any, Callable

PYDANTIC_META = ("pydantic._internal._model_construction", "ModelMetaclass")
PYDANTIC_SLOTS = ("__pydantic_extra__", "__pydantic_private__", "__pydantic_fields_set__")


def _record(copier: Any, value: Any, info: Any, depth: int, names: list, shown: list) -> Any:
    """The attribute snapshot, with the fields first and named in ``fields``."""
    snap = copier.object_snapshot(value, info, depth)
    attrs = snap.attrs
    if snap.note is not None or attrs is None:
        return snap
    extra = as_entries(attrs.pop("__pydantic_extra__", None))
    private = as_entries(attrs.pop("__pydantic_private__", None))
    attrs.pop("__pydantic_fields_set__", None)
    ordered = {n: attrs.pop(n) for n in names if n in attrs}
    if type(extra) is dict:  # pydantic shows extra fields after the declared ones
        extra = {k: v for k, v in extra.items() if type(k) is str and k not in ordered}
        shown = shown + list(extra)
        ordered.update(extra)
    ordered.update(attrs)
    if type(private) is dict:
        ordered.update((k, v) for k, v in private.items() if type(k) is str)
    snap.attrs = ordered
    snap.fields = tuple(n for n in shown if n in ordered)
    return snap


def dataclass_fields(own: Any) -> tuple[list, list]:
    """A dataclass's fields in order, and those its repr shows."""
    names, shown = [], []
    for name, field in own["__dataclass_fields__"].items():
        # ClassVar and InitVar pseudo-fields are not attributes of the instance
        if getattr(getattr(field, "_field_type", None), "name", None) == "_FIELD":
            names.append(name)
            if getattr(field, "repr", True):
                shown.append(name)
    return names, shown


def attrs_fields(own: Any) -> tuple[list, list]:
    fields = own["__attrs_attrs__"]
    return [a.name for a in fields], [a.name for a in fields if a.repr]


def copy_pydantic(copier: Any, value: Any, info: Any, depth: int, own: Any) -> Any:
    fields = own.get("__pydantic_fields__", own.get("model_fields"))
    return _record(copier, value, info, depth, list(fields),
                   [n for n, f in fields.items() if f.repr])


def copy_namedtuple(copier: Any, value: Any, info: Any, depth: int, own: Any) -> Any:
    """Rebuilt in the loader as a tuple class with the same name and fields."""
    fields = own["_fields"]
    items = tuple.__len__(value)
    if items != len(fields) or items > copier.items:
        return copier.object_snapshot(value, info, depth)
    copier.hold(value, info, "cycle through a namedtuple")
    named = copier.copy_namespace(dict(zip(fields, tuple.__iter__(value))), depth + 1)
    return copier.value(value, "namedtuple", (info.module, info.qualname, tuple(named),
                                              tuple(named.values())))


def _is_namedtuple(cls: type, own: Any) -> bool:
    fields = own["_fields"]
    made = own.get("__repr__")
    # namedtuple names its generated methods after the class, but they stay functions
    # of the collections module; a __repr__ of the application's would not be.
    return (type(fields) is tuple and all(type(f) is str for f in fields)
            and type.__getattribute__(cls, "__bases__") == (tuple,)
            and getattr(made, "__module__", None) == "collections"
            and getattr(getattr(made, "__code__", None), "co_name", None) == "__repr__")


def _is_attrs(fields: Any) -> bool:
    return isinstance(fields, tuple) and all(
        (type(a).__module__, type(a).__qualname__) == ("attr._make", "Attribute") for a in fields)


def for_class(cls: type, own: Any) -> Callable[..., Any] | None:
    """The record handler for ``cls``, or None when it only looks like one."""
    if "__dataclass_fields__" in own and type(own["__dataclass_fields__"]) is dict and (
            sys.modules.get("dataclasses") is not None):
        return _fielded(*dataclass_fields(own))
    if "__attrs_attrs__" in own and _is_attrs(own["__attrs_attrs__"]):
        return _fielded(*attrs_fields(own))
    if (type(cls).__module__, type(cls).__qualname__) == PYDANTIC_META and type(
            own.get("__pydantic_fields__", own.get("model_fields"))) is dict:
        chosen = copy_pydantic
    elif "_fields" in own and _is_namedtuple(cls, own):
        chosen = copy_namedtuple
    else:
        return None

    def handler(copier: Any, value: Any, info: Any, depth: int) -> Any:
        return chosen(copier, value, info, depth, own)

    return handler


def _fielded(names: list, shown: list) -> Callable[..., Any]:
    """The handler of a dataclass or attrs class, whose fields are read once per class.

    Its ``fields`` attribute tells ``TypeInfo`` that, with nothing but ``__dict__``
    and these fields, many of its instances may be copied at once into a record
    table (``Containers._records``), as a plain class's are."""

    def handler(copier: Any, value: Any, info: Any, depth: int) -> Any:
        return _record(copier, value, info, depth, names, shown)

    handler.fields = (tuple(names), tuple(shown))
    return handler
