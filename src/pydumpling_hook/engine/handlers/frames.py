"""pandas: DataFrame, Series and Index as bounded summaries; its scalars by their repr.

A frame of ten million rows must cost what a small one costs, so what is kept
is what pandas' own truncated display shows: the shape, the column labels and
dtypes, the index, and the first and last rows (``ROWS``) of at most
``COLUMNS`` columns, read with ``iloc`` on views and converted with
``to_numpy(dtype=object)``: pandas' own code, a handful of calls whatever the
size. The cells then go through the copier like any list.

pandas copies a frame's ``attrs`` (with ``copy.deepcopy``, which can run the
application's ``__deepcopy__``) into every slice it makes, so a frame or
series with ``attrs`` keeps no rows.
"""

from __future__ import annotations

from ...dumpformat.model import ObjectSnapshot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds, and this runs in a crashing process
    from typing import Any

ROWS = 10
"""Rows of a frame or series kept whole, or else the first and last ROWS // 2."""
COLUMNS = 20
"""Columns of a frame kept whole, or else the first and last COLUMNS // 2."""
LABELS = 20
"""Index labels kept whole, or else the first and last LABELS // 2."""


def _ends(total: int, keep: int) -> tuple[int, int]:
    """How many to keep at the start and at the end of ``total``."""
    return (total, 0) if total <= keep else (keep // 2, keep // 2)


def _labels(index: Any, total: int, keep: int) -> list:
    """``[first labels, last labels]``."""
    head, tail = _ends(total, keep)
    return [index[:head].tolist(), index[total - tail:].tolist() if tail else []]


def _has_attrs(value: Any) -> bool:
    try:
        return bool(value.__dict__.get("_attrs"))
    except Exception:
        return True


def _block(value: Any, start: int, stop: int, positions: list | None) -> Any:
    """Rows ``start:stop`` of the kept columns: the rows first (a view), then the columns
    of those few rows (taking columns first would copy every row)."""
    block = value.iloc[start:stop]
    return block if positions is None else block.iloc[:, positions]


def _cells(copier: Any, block: Any, depth: int, secret: Any = ()) -> Any:
    """Copies of the cells of ``block`` (rows of values; a series: values). The columns
    at the positions in ``secret`` (a series: ``secret`` True) are named like secrets,
    so each of their cells is redacted, as a field of that name would be."""
    cells = block.to_numpy(dtype=object).tolist()
    if secret is True:
        return [copier.redact("name", item) for item in cells]
    # The secret cells are hidden before the copy, and the memo gives each ``Redacted``
    # as its own copy: it stays in place whether the rows are kept whole, cut at the
    # budget, or (with the secret out) made into a record table.
    for row in cells if secret else ():
        for i in secret:
            row[i] = hidden = copier.redact("name", row[i])
            copier.memo[id(hidden)] = hidden
    return copier.copy_made(cells, depth + 1)


def _secret(copier: Any, value: Any, labels: list) -> tuple:
    found = tuple(i for i, label in enumerate(labels) if copier.redactor.secret_name(label))
    if found:
        copier.tainted.add(id(value))  # and so no original of it either
    return found


def copy_frame(copier: Any, value: Any, info: Any, depth: int) -> Any:
    rows, width = value.shape
    copier.hold(value, info, "cycle through a DataFrame")
    first, last = _ends(width, COLUMNS)
    positions = list(range(first)) + list(range(width - last, width))
    some = positions if len(positions) < width else None
    head, tail = _ends(rows, ROWS)
    labels = value.columns[positions].tolist()
    data = {
        "shape": (rows, width),
        "columns": copier.copy(value.columns, depth + 1),
        "positions": positions,
        "labels": copier.copy_made(labels, depth + 1),
        "index": copier.copy(value.index, depth + 1),
    }
    if _has_attrs(value):
        every = value.dtypes.tolist()
        data["dtypes"] = [str(every[p]) for p in positions]
        return copier.value(value, "pandas.DataFrame", data)
    top = _block(value, 0, head, some)
    data["dtypes"] = [str(t) for t in top.dtypes.tolist()]
    secret = _secret(copier, value, labels)
    data["rows"] = (
        copier.copy_made(_labels(value.index, rows, ROWS), depth + 1),
        _cells(copier, top, depth, secret),
        _cells(copier, _block(value, rows - tail, rows, some), depth, secret) if tail else [],
    )
    return copier.value(value, "pandas.DataFrame", data)


def copy_series(copier: Any, value: Any, info: Any, depth: int) -> Any:
    rows = len(value)
    copier.hold(value, info, "cycle through a Series")
    head, tail = _ends(rows, ROWS)
    data = {
        "length": rows,
        "name": copier.copy(value.name, depth + 1),
        "dtype": str(value.dtype)[:200],
        "index": copier.copy(value.index, depth + 1),
    }
    if not _has_attrs(value):
        secret = bool(_secret(copier, value, [value.name]))
        data["rows"] = (
            copier.copy_made(_labels(value.index, rows, ROWS), depth + 1),
            _cells(copier, value.iloc[:head], depth, secret),
            _cells(copier, value.iloc[rows - tail:], depth, secret) if tail else [],
        )
    return copier.value(value, "pandas.Series", data)


def copy_index(copier: Any, value: Any, info: Any, depth: int) -> Any:
    total = len(value)
    copier.hold(value, info, "cycle through an Index")
    data = {
        "kind": info.qualname,
        "length": total,
        "dtype": str(value.dtype)[:200],
        "names": copier.copy_made(list(value.names), depth + 1),
        "labels": copier.copy_made(_labels(value, total, LABELS), depth + 1),
    }
    if info.qualname == "RangeIndex":
        data["range"] = (value.start, value.stop, value.step)
    return copier.value(value, "pandas.Index", data)


def copy_scalar(copier: Any, value: Any, info: Any, depth: int) -> Any:
    """Timestamp, Timedelta, Period, NaT and NA: pandas' own (short) repr."""
    snap = ObjectSnapshot(info.module, info.qualname, repr(value)[:copier.budgets.repr])
    copier.memo[id(value)] = snap
    return snap


def _handlers() -> dict:
    from . import PANDAS_FRAMES, PANDAS_INDEXES, PANDAS_SCALARS, PANDAS_SERIES

    return {
        **{key: copy_frame for key in PANDAS_FRAMES},
        **{key: copy_series for key in PANDAS_SERIES},
        **{key: copy_index for key in PANDAS_INDEXES},
        **{key: copy_scalar for key in PANDAS_SCALARS},
    }


HANDLERS = _handlers()
