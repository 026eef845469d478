"""numpy: arrays as a bounded summary, scalars as the Python numbers they hold.

An array of 100 million elements must cost what a small one costs. So what
is kept is what numpy's own summarised repr shows: the shape, the dtype, the
sizes, and the elements at the first and last ``EDGE`` positions of every
axis (the whole array when it has at most ``WHOLE`` elements). They are read
through views (``a[i]``, ``a[:3]``) and ``tolist()``, numpy's own code, a few
dozen calls whatever the size, and go through the copier like any list, so
an object array's elements are snapshots and never have their repr called.
``tensors`` uses the same ``sample`` for torch.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

WHOLE = 1000
"""Arrays of at most this many elements are kept whole."""
EDGE = 3
"""Elements kept at each end of every axis of a bigger array (numpy's ``edgeitems``)."""
MAX_SAMPLE = 1000
"""Most elements a sample holds: past it, fewer per axis (one), then none (10+ axes)."""
MAX_SAMPLE_BYTES = 64 << 10
"""Most bytes of element data read for a sample (a ``<U100000`` array has huge elements)."""


def edge(shape: tuple, itemsize: int) -> int | None:
    """How many elements to keep at each end of every axis: None for the whole array,
    0 for none."""
    size = 1
    for n in shape:
        size *= n
    if size <= WHOLE and size * itemsize <= MAX_SAMPLE_BYTES:
        return None
    for each in (EDGE, 1):
        kept = 1
        for n in shape:
            kept *= min(n, 2 * each)
        if kept <= MAX_SAMPLE and kept * itemsize <= MAX_SAMPLE_BYTES:
            return each
    return 0


def sample(array: Any, shape: tuple, each: int | None) -> list:
    """The kept elements, flat and row-major: all of them, or those at the first and last
    ``each`` positions of every axis (read through views, never a copy of the array)."""
    if each is None:
        return array.reshape(-1).tolist()
    out: list = []
    if each == 0:
        return out
    last = len(shape) - 1

    def walk(block: Any, axis: int) -> None:
        n = shape[axis]
        parts = ((0, n),) if n <= 2 * each else ((0, each), (n - each, n))
        for start, stop in parts:
            if axis == last:
                out.extend(block[start:stop].tolist())
            else:
                for i in range(start, stop):
                    walk(block[i], axis + 1)

    if shape:
        walk(array, 0)
    return out


def copy_ndarray(copier: Any, value: Any, info: Any, depth: int) -> Any:
    dtype = value.dtype
    shape = tuple(value.shape)
    each = edge(shape, dtype.itemsize)
    copier.hold(value, info, "cycle through an array")
    data = {
        "shape": shape,
        "dtype": str(dtype)[:200],
        "itemsize": dtype.itemsize,
        "nbytes": value.nbytes,
        "edge": each,
        "sample": copier.copy_made(sample(value, shape, each), depth + 1),
    }
    return copier.value(value, "numpy.ndarray", data)


def copy_scalar(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """A numpy scalar as the Python number ``item()`` gives, with its dtype's name; one
    that is no Python number (a ``longdouble``, a ``datetime64``) as numpy's repr."""
    number = value.item() if value.dtype.kind not in "mM" else None
    if type(number) not in (int, float, complex, bool):
        number = repr(value)[:200]
    return copier.value(value, "numpy.scalar", (str(value.dtype), number))


def for_numpy_scalars() -> dict:
    from . import NUMPY_SCALARS

    return {("numpy", n): copy_scalar for n in NUMPY_SCALARS}


HANDLERS = {("numpy", "ndarray"): copy_ndarray, **for_numpy_scalars()}
