"""numpy arrays and torch tensors, as the summaries capture kept of them.

``p arr.shape`` answers ``(1000, 1000)``, ``arr.dtype`` ``dtype('float64')``,
and ``p arr`` prints a repr shaped like numpy's summarised one, built from
the kept sample: the elements at the first and last three positions of every
axis, or the whole array when it had at most 1,000 elements. Reading an
element answers from the sample (``arr[0, -1]``) or raises
``NotCapturedError`` (``arr[500, 500]``); a whole array also iterates, gives
rows as lists and answers ``tolist()``. Everything else an array has (``T``,
``sum()``...) raises "was not captured": there is no data to compute it from.
Comparisons raise too, where numpy would compare element by element.
"""

from __future__ import annotations

from typing import Any, List

from .cuts import NotCapturedError
from .records import MAX_COUNT
from .stdvalues import DType
from .values import Snapshot, snapshot_class

MAX_DIMS = 64
MAX_SAMPLE = 100_000
"""Most elements a sample from a file may hold (capture keeps at most 1,000)."""
PLAIN_DTYPES = ("float64", "int64", "bool")
"""Dtypes numpy's repr leaves unsaid."""


def _shape(value: Any) -> tuple:
    if type(value) is not tuple or len(value) > MAX_DIMS or not all(
            type(n) is int and 0 <= n <= MAX_COUNT for n in value):
        raise ValueError("bad shape")
    return value


def _kept(n: int, edge: int | None) -> List[int]:
    """The indices of an axis of length ``n`` that the sample holds."""
    if edge is None or n <= 2 * edge:
        return list(range(n))
    return list(range(edge)) + list(range(n - edge, n))


def _element(value: Any) -> str:
    if type(value) is float:
        if value == value and value not in (float("inf"), float("-inf")):
            text = repr(round(value, 8))
            return text[:-1] if text.endswith(".0") else text
    from .text import bounded_repr

    return bounded_repr(value, 60)


class ArraySummary(Snapshot):
    """Base of the ``ndarray`` and ``Tensor`` stand-ins. The sample sits in ``_kept``:
    ``(edge, flat elements)``; ``edge`` None means the whole array."""

    __slots__ = ("_kept",)
    opener = "array("

    def _setup(self, shape: tuple, dtype: str, itemsize: Any, edge: Any, sample: Any) -> None:
        size = 1
        for n in shape:
            size *= n
        if edge is not None and not (type(edge) is int and 0 <= edge <= 1000):
            edge = 0
        expected = 1
        for n in shape:
            expected *= len(_kept(n, edge)) if edge != 0 else 0
        if type(sample) is not list or len(sample) != (expected if shape or edge else 1) \
                or len(sample) > MAX_SAMPLE:
            edge, sample = 0, []
        self._kept = (edge, sample)
        itemsize = itemsize if type(itemsize) is int and 0 <= itemsize <= MAX_COUNT else 0
        self.__dict__.update(shape=shape, ndim=len(shape), size=size, dtype=DType(dtype),
                             itemsize=itemsize, nbytes=size * itemsize)
        whole = self._nested() if edge is None else None
        self.__pydumpling__ = ("", whole, None, (), None)

    @property
    def complete(self) -> bool:
        """Whether every element was captured (small arrays are kept whole)."""
        return self._kept[0] is None

    def _nested(self) -> Any:
        flat, shape = self._kept[1], self.__dict__["shape"]

        def nest(start: int, axis: int) -> Any:
            if axis == len(shape):
                return flat[start]
            step = 1
            for n in shape[axis + 1:]:
                step *= n
            return [nest(start + i * step, axis + 1) for i in range(shape[axis])]

        return nest(0, 0)

    def _missing(self, what: str) -> NotCapturedError:
        return NotCapturedError(
            f"{what} of this {self._label()} was not captured: only the elements shown in its "
            "repr were (the first and last 3 of every axis)")

    def _label(self) -> str:
        return f"{self.__dict__['shape']} {type(self).__name__}"

    def __len__(self) -> int:
        shape = self.__dict__["shape"]
        if not shape:
            raise TypeError("len() of unsized object")
        return shape[0]

    def __bool__(self) -> bool:
        size = self.__dict__["size"]
        if size == 1 and self._kept[1]:
            return bool(self._kept[1][0])
        if size == 0:
            return False
        raise ValueError(f"The truth value of an {type(self).__name__} with more than one "
                         "element is ambiguous")

    def __iter__(self) -> Any:
        if not self.complete:
            raise self._missing("iterating needs every element, and most")
        whole = self.__pydumpling__[1]
        if not self.__dict__["shape"]:
            raise TypeError("iteration over a 0-d array")
        return iter(whole)

    def __getitem__(self, key: Any) -> Any:
        shape = self.__dict__["shape"]
        if self.complete and shape:
            whole = self.__pydumpling__[1]
            for part in key if isinstance(key, tuple) else (key,):
                whole = whole[part]
            return whole
        index = key if isinstance(key, tuple) else (key,)
        if len(index) != len(shape) or not all(type(i) is int for i in index):
            raise self._missing("anything but single elements")
        edge, flat = self._kept
        position = 0
        for i, n in zip(index, shape):
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis of size {n}")
            kept = _kept(n, edge) if edge else []
            if i % n not in kept:
                raise self._missing(f"element {index}")
            position = position * len(kept) + kept.index(i % n)
        return flat[position]

    def tolist(self) -> Any:
        """The whole array as nested lists, if it was kept whole."""
        if not self.complete:
            raise self._missing("tolist() needs every element, and most")
        return self._nested()

    def __eq__(self, other: Any) -> Any:
        if other is self:
            return True
        raise self._missing("comparing element by element needs every element, and most")

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = Snapshot.__hash__

    def _suffix(self) -> List[str]:
        parts = []
        if not self.complete:
            parts.append(f"shape={self.__dict__['shape']}")
        if self.__dict__["dtype"] not in PLAIN_DTYPES:
            parts.append(f"dtype={self.__dict__['dtype']}")
        return parts

    def _body(self, indent: str) -> str:
        """The elements, nested by axis, with ``...`` where capture skipped some."""
        edge, flat = self._kept
        shape = self.__dict__["shape"]
        if edge == 0 and shape:
            return "[...]"
        if not shape:
            return _element(flat[0]) if flat else "..."
        position = [0]

        def axis(level: int) -> str:
            n = shape[level]
            kept = _kept(n, edge)
            parts = []
            for j, _ in enumerate(kept):
                if j and kept[j] != kept[j - 1] + 1:
                    parts.append("...")
                if level == len(shape) - 1:
                    parts.append(_element(flat[position[0]]))
                    position[0] += 1
                else:
                    parts.append(axis(level + 1))
            gap = ", " if level == len(shape) - 1 or not indent else \
                "," + "\n" * (len(shape) - 1 - level) + indent + " " * (level + 1)
            return "[" + gap.join(parts) + "]"

        return axis(0)

    def _text(self, one_line: bool) -> str:
        body = self._body("" if one_line else " " * len(self.opener))
        return f"{self.opener}{', '.join([body, *self._suffix()])})"

    def _write_repr(self, writer: Any, depth: int) -> None:
        writer.write(self._text(writer.one_line))


class TensorSummary(ArraySummary):
    """A torch ``Tensor``: also ``device``, ``requires_grad`` and the ``grad_fn``'s name."""

    __slots__ = ()
    opener = "tensor("

    def size(self, dim: int | None = None) -> Any:
        shape = self.__dict__["shape"]
        return shape if dim is None else shape[dim]

    def dim(self) -> int:
        return self.__dict__["ndim"]

    def numel(self) -> int:
        return self.__dict__["size"]

    def _suffix(self) -> List[str]:
        parts = [f"size={tuple(self.__dict__['shape'])}"] if not self.complete else []
        info = self.__dict__
        if info["dtype"] != "torch.float32":
            parts.append(f"dtype={info['dtype']}")
        if info["device"] != "cpu":
            parts.append(f"device='{info['device']}'")
        if info["grad_fn"]:
            parts.append(f"grad_fn=<{info['grad_fn']}>")
        elif info["requires_grad"]:
            parts.append("requires_grad=True")
        return parts


class TorchSize(tuple):
    def __repr__(self) -> str:
        return f"torch.Size({list(self)!r})"


class TorchDType(DType):
    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class Device(str):
    __slots__ = ()

    def __repr__(self) -> str:
        kind, _, index = self.partition(":")
        return f"device(type='{kind}'" + (f", index={index})" if index else ")")

    @property
    def type(self) -> str:
        return self.partition(":")[0]


def _data(value: Any) -> dict:
    if type(value) is not dict:
        raise TypeError("not a dict")
    return value


def _text_field(data: dict, key: str) -> str:
    text = data.get(key)
    if type(text) is not str:
        raise TypeError(f"{key} is not a str")
    return text[:200]


def ndarray(data: Any) -> Snapshot:
    data = _data(data)
    shape = _shape(data.get("shape"))
    made = snapshot_class("numpy", "ndarray", ArraySummary)("")
    made._setup(shape, _text_field(data, "dtype"), data.get("itemsize"), data.get("edge"),
                data.get("sample"))
    nbytes = data.get("nbytes")
    if type(nbytes) is int and 0 <= nbytes <= MAX_COUNT:
        made.__dict__["nbytes"] = nbytes
    return made


def tensor(data: Any) -> Snapshot:
    data = _data(data)
    shape = _shape(data.get("shape"))
    kind = "Parameter" if data.get("kind") == "Parameter" else "Tensor"
    module = "torch.nn.parameter" if kind == "Parameter" else "torch"
    made = snapshot_class(module, kind, TensorSummary)("")
    made._setup(shape, _text_field(data, "dtype"), data.get("itemsize"), data.get("edge"),
                data.get("sample"))
    grad_fn = data.get("grad_fn")
    made.__dict__.update(
        shape=TorchSize(shape), dtype=TorchDType(_text_field(data, "dtype")),
        device=Device(_text_field(data, "device")),
        requires_grad=data.get("requires_grad") is True,
        grad_fn=grad_fn[:100] if type(grad_fn) is str else None,
        is_cuda=_text_field(data, "device").startswith("cuda"))
    return made


BUILDERS = {"numpy.ndarray": ndarray, "torch.Tensor": tensor}
