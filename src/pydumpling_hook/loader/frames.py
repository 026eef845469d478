"""pandas DataFrame, Series and Index, as the summaries capture kept of them.

``p df.shape``, ``df.columns``, ``df.dtypes`` and ``df.index`` answer as
pandas would; ``p df`` prints the kept rows (the first and last 5 of at most
the first and last 10 columns) as pandas' truncated display does, and
``df.head()``, ``df.tail()`` (up to 5 rows) and ``df['col']`` give tables and
series of those rows. A row, label or column that capture did not keep raises
``NotCapturedError``, and so does iterating over anything partial. One-line
displays (``--print --locals``, listings) show ``DataFrame(shape=..., columns=[...])``.
"""

from __future__ import annotations

from typing import Any, List

from .arrays import _element
from .cuts import NotCapturedError
from .records import MAX_COUNT
from .stdvalues import DType
from .values import Snapshot, snapshot_class

MAX_ROWS = 1000
"""Most rows or labels a summary from a file may hold (capture keeps 10 and 20)."""


def _list(value: Any, limit: int = MAX_ROWS) -> list:
    return list(value[:limit]) if type(value) is list else []


def _count(value: Any) -> int:
    return value if type(value) is int and 0 <= value <= MAX_COUNT else 0


def _cell(value: Any) -> str:
    """A cell as pandas shows it: text without quotes, numbers as numpy writes them."""
    if isinstance(value, str) and len(value) <= 60:
        return str.__str__(value)
    return _element(value)


def _table(labels: List[Any], columns: List[Any], rows: List[list], gap_row: int | None,
           gap_column: int | None) -> List[str]:
    """Lines of a pandas-like table: right-aligned columns, ``...`` where rows or
    columns were skipped."""
    header = [""] + [_cell(c) for c in columns]
    body = [[_cell(label)] + [_cell(c) for c in row] for label, row in zip(labels, rows)]
    if gap_column is not None:
        for line in [header, *body]:
            line.insert(gap_column + 1, "...")
    if gap_row is not None:
        body.insert(gap_row, ["..."] * len(header))
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return ["  ".join([line[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(
        line[1:], widths[1:])]).rstrip() for line in [header, *body]]


def _end_rows(rows: tuple, n: int, end: bool, total: int) -> tuple[list, list]:
    """The labels and rows of ``head(n)`` (``tail(n)`` for ``end``) from the kept rows."""
    (head_labels, tail_labels), head, tail = rows
    if len(head) + len(tail) >= total:
        values, labels = head + tail, head_labels + tail_labels
    else:
        values, labels = (tail, tail_labels) if end else (head, head_labels)
    if len(values) < n < total:
        raise NotCapturedError(f"only the {'last' if end else 'first'} {len(values)} of "
                               f"{total:,} rows were captured")
    return (labels[-n:], values[-n:]) if end else (labels[:n], values[:n])


class IndexSummary(Snapshot):
    """A pandas Index: ``len``, labels by position from both ends, ``tolist()`` when whole.
    A ``RangeIndex`` answers every position from its range."""

    __slots__ = ("_labels",)

    def _setup(self, data: dict) -> None:
        pair = data.get("labels")
        head, tail = (_list(p) for p in pair) if type(pair) in (list, tuple) and len(
            pair) == 2 else ([], [])
        length = max(_count(data.get("length")), len(head) + len(tail))
        span = data.get("range")
        rng = range(*span) if type(span) is tuple and len(span) == 3 and all(
            type(n) is int and n.bit_length() < 64 for n in span) and span[2] else None
        self._labels = (head, tail, length, rng)
        names = _list(data.get("names"), 100)
        self.__dict__.update(dtype=DType(str(data.get("dtype"))[:200]), size=length,
                             names=names, name=names[0] if len(names) == 1 else None,
                             shape=(length,), ndim=1)
        if rng is not None:
            self.__dict__.update(start=rng.start, stop=rng.stop, step=rng.step)

    def __len__(self) -> int:
        return self._labels[2]

    def __getitem__(self, position: Any) -> Any:
        head, tail, length, rng = self._labels
        if rng is not None and len(rng) == length:
            return rng[position]
        index = position + length if type(position) is int and position < 0 else position
        if type(index) is not int or not 0 <= index < length:
            raise IndexError("index out of bounds")
        if index < len(head):
            return head[index]
        if index >= length - len(tail):
            return tail[index - length + len(tail)]
        raise NotCapturedError(f"label {index} of {length} was not captured (kept: the first "
                               f"{len(head)} and the last {len(tail)})")

    def _whole(self) -> list:
        head, tail, length, rng = self._labels
        if rng is not None and len(rng) == length <= MAX_ROWS:
            return list(rng)
        if len(head) + len(tail) < length:
            raise NotCapturedError(f"{length - len(head) - len(tail):,} of the {length:,} "
                                   "labels were not captured")
        return head + tail

    def __iter__(self) -> Any:
        return iter(self._whole())

    def tolist(self) -> list:
        return self._whole()

    def __contains__(self, label: Any) -> bool:
        head, tail, length, rng = self._labels
        if label in head or label in tail or (rng is not None and label in rng):
            return True
        if rng is not None or len(head) + len(tail) >= length:
            return False
        raise NotCapturedError(f"{_element(label)} is not among the captured labels")

    def _write_repr(self, writer: Any, depth: int) -> None:
        head, tail, length, rng = self._labels
        name = self.__dict__.get("name")
        extra = f", name={_element(name)}" if name is not None else ""
        if rng is not None:
            writer.write(f"RangeIndex(start={rng.start}, stop={rng.stop}, step={rng.step}"
                         f"{extra})")
            return
        writer.write(f"{type(self).__name__}([")
        writer.items(head, depth)
        if len(head) + len(tail) < length:
            writer.write(", ..." if head else "...")
        writer.items(tail, depth, first=not head and len(head) + len(tail) >= length)
        size = f", length={length}" if len(head) + len(tail) < length else ""
        writer.write(f"], dtype='{self.__dict__['dtype']}'{extra}{size})")


class SeriesSummary(Snapshot):
    """A pandas Series: name, dtype, length, index, and its first and last values."""

    __slots__ = ("_rows",)

    def _setup(self, name: Any, dtype: Any, length: int, index: Any, rows: Any) -> None:
        labels, head, tail = rows
        self._rows = (labels, head, tail)
        self.__dict__.update(name=name, dtype=DType(str(dtype)[:200]), shape=(length,),
                             size=length, ndim=1, index=index, empty=length == 0)

    def __len__(self) -> int:
        return self.__dict__["size"]

    def _part(self, n: int, end: bool) -> Snapshot:
        labels, values = _end_rows(self._rows, n, end, len(self))
        part = snapshot_class("pandas.core.series", "Series", SeriesSummary)("")
        part._setup(self.__dict__["name"], self.__dict__["dtype"], len(values), None,
                    ((labels, []), values, []))
        return part

    def head(self, n: int = 5) -> Snapshot:
        return self._part(n, False)

    def tail(self, n: int = 5) -> Snapshot:
        return self._part(n, True)

    def __getitem__(self, label: Any) -> Any:
        """The value at index label ``label``, if its row was captured."""
        (head_labels, tail_labels), head, tail = self._rows
        for labels, values in ((head_labels, head), (tail_labels, tail)):
            if label in labels:
                return values[labels.index(label)]
        if len(head) + len(tail) >= len(self):
            raise KeyError(label)
        raise NotCapturedError(f"label {_element(label)} is not among the {len(head) + len(tail)} "
                               f"rows of {len(self):,} captured")

    def __iter__(self) -> Any:
        (_, _), head, tail = self._rows
        if len(head) + len(tail) < len(self):
            raise NotCapturedError(f"{len(self) - len(head) - len(tail):,} of the "
                                   f"{len(self):,} values were not captured")
        return iter(head + tail)

    def tolist(self) -> list:
        return list(self)

    def _lines(self) -> List[str]:
        (head_labels, tail_labels), head, tail = self._rows
        cut = len(head) + len(tail) < len(self)
        rows = [[v] for v in head + tail]
        lines = _table(head_labels + tail_labels, [""], rows, len(head) if cut else None, None)
        footer = []
        if self.__dict__["name"] is not None:
            footer.append(f"Name: {_cell(self.__dict__['name'])}")
        if cut:
            footer.append(f"Length: {len(self)}")
        footer.append(f"dtype: {self.__dict__['dtype']}")
        return lines[1:] + [", ".join(footer)]

    def _write_repr(self, writer: Any, depth: int) -> None:
        writer.write("\n".join(self._lines()))

    def _write_one_line(self, writer: Any, depth: int) -> None:
        writer.write(f"Series(name={_element(self.__dict__['name'])}, length={len(self)}, "
                     f"dtype={self.__dict__['dtype']})")


class FrameSummary(Snapshot):
    """A pandas DataFrame: shape, columns, dtypes, index, and its first and last rows."""

    __slots__ = ("_table",)

    def _setup(self, shape: tuple, labels: list, positions: list, dtypes: list,
               rows: Any) -> None:
        self._table = (labels, positions, dtypes, rows)
        self.__dict__.update(shape=shape, ndim=2, size=shape[0] * shape[1],
                             empty=0 in shape)

    def __len__(self) -> int:
        return self.__dict__["shape"][0]

    def _column(self, label: Any) -> int:
        labels = self._table[0]
        if label in labels:
            return labels.index(label)
        if len(labels) < self.__dict__["shape"][1]:
            raise NotCapturedError(f"column {_element(label)} is not among the "
                                   f"{len(labels)} columns captured")
        raise KeyError(label)

    def __getitem__(self, label: Any) -> Snapshot:
        column = self._column(label)
        labels, positions, dtypes, rows = self._table
        series = snapshot_class("pandas.core.series", "Series", SeriesSummary)("")
        (row_labels, head, tail) = rows if rows else (([], []), [], [])
        series._setup(label, dtypes[column], self.__dict__["shape"][0],
                      self.__dict__.get("index"),
                      (row_labels, [r[column] for r in head], [r[column] for r in tail]))
        return series

    def __iter__(self) -> Any:
        labels = self._table[0]
        if len(labels) < self.__dict__["shape"][1]:
            raise NotCapturedError(f"{self.__dict__['shape'][1] - len(labels):,} column labels "
                                   "were not captured")
        return iter(labels)

    def _part(self, n: int, end: bool) -> Snapshot:
        labels, positions, dtypes, rows = self._table
        if not rows:
            raise NotCapturedError("no rows of this DataFrame were captured (it has attrs)")
        names, values = _end_rows(rows, n, end, len(self))
        part = snapshot_class("pandas.core.frame", "DataFrame", FrameSummary)("")
        part._setup((len(values), self.__dict__["shape"][1]), labels, positions, dtypes,
                    ((names, []), values, []))
        part.__dict__.update(columns=self.__dict__.get("columns"),
                             dtypes=self.__dict__.get("dtypes"))
        return part

    def head(self, n: int = 5) -> Snapshot:
        return self._part(n, False)

    def tail(self, n: int = 5) -> Snapshot:
        return self._part(n, True)

    def _write_repr(self, writer: Any, depth: int) -> None:
        labels, positions, dtypes, rows = self._table
        shape = self.__dict__["shape"]
        gap = next((i for i in range(1, len(positions)) if positions[i] != positions[i - 1] + 1),
                   None)
        footer = f"[{shape[0]} rows x {shape[1]} columns]"
        if not rows:
            writer.write("\n".join(_table([], labels, [], None, gap) +
                                   ["(rows not captured: the DataFrame has attrs)", footer]))
            return
        (head_labels, tail_labels), head, tail = rows
        cut = len(head) + len(tail) < shape[0]
        lines = _table(head_labels + tail_labels, labels, head + tail,
                       len(head) if cut else None, gap)
        if cut or gap is not None:
            lines += ["", footer]
        writer.write("\n".join(lines))

    def _write_one_line(self, writer: Any, depth: int) -> None:
        writer.write(f"DataFrame(shape={self.__dict__['shape']}, columns=")
        writer.value(self.__dict__.get("columns"), depth)
        writer.write(")")


def _rows(value: Any, width: int | None) -> Any:
    """``(labels pair, head, tail)`` from the file, or None: rows of ``width`` cells, or
    single values (a series) for ``width`` None."""
    if type(value) is not tuple or len(value) != 3 or type(value[0]) not in (list, tuple) \
            or len(value[0]) != 2:
        return None
    head_labels, tail_labels = _list(value[0][0]), _list(value[0][1])
    head, tail = _list(value[1]), _list(value[2])
    if width is not None:
        head, tail = ([_list(r, width) for r in part] for part in (head, tail))
        if any(len(r) != width for r in head + tail):
            return None
    if len(head) != len(head_labels) or len(tail) != len(tail_labels):
        return None
    return (head_labels, tail_labels), head, tail


def _dict(value: Any) -> dict:
    if type(value) is not dict:
        raise TypeError("not a dict")
    return value


def dataframe(data: Any) -> Snapshot:
    data = _dict(data)
    shape = data.get("shape")
    if type(shape) is not tuple or len(shape) != 2:
        raise ValueError("bad shape")
    shape = (_count(shape[0]), _count(shape[1]))
    labels = _list(data.get("labels"))
    dtypes = [DType(str(d)[:200]) for d in _list(data.get("dtypes"))]
    positions = [p for p in _list(data.get("positions")) if type(p) is int]
    if not (len(labels) == len(dtypes) == len(positions)):
        raise ValueError("columns do not match")
    made = snapshot_class("pandas.core.frame", "DataFrame", FrameSummary)("")
    made._setup(shape, labels, positions, dtypes, _rows(data.get("rows"), len(labels)))
    first = next((i for i in range(1, len(positions)) if positions[i] != positions[i - 1] + 1),
                 len(positions))
    types = snapshot_class("pandas.core.series", "Series", SeriesSummary)("")
    types._setup(None, "object", shape[1], None,
                 ((labels[:first], labels[first:]), dtypes[:first], dtypes[first:]))
    made.__dict__.update(columns=data.get("columns"), dtypes=types, index=data.get("index"))
    return made


def series(data: Any) -> Snapshot:
    data = _dict(data)
    length = _count(data.get("length"))
    made = snapshot_class("pandas.core.series", "Series", SeriesSummary)("")
    rows = _rows(data.get("rows"), None) or (([], []), [], [])
    made._setup(data.get("name"), data.get("dtype"), length, data.get("index"), rows)
    return made


def index(data: Any) -> Snapshot:
    data = _dict(data)
    kind = data.get("kind")
    made = snapshot_class("pandas", kind if type(kind) is str else "Index", IndexSummary)("")
    made._setup(data)
    return made


BUILDERS = {"pandas.DataFrame": dataframe, "pandas.Series": series, "pandas.Index": index}
