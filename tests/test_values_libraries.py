"""Library values (issue 11), end to end: numpy, pandas, torch, records, and originals.

Each test crashes a real script with the hook and reads the dump with pdb
(through a pty) or ``--print --locals``. numpy, pandas, attrs and pydantic are
in the ``test`` extra on every Python; torch (a CPU build) only in the 3.11
venv's heavy extras, so its test is heavy and skipped elsewhere.
"""

from __future__ import annotations

import re
import sys

import pytest
from conftest import clean_env, dumps_in, need, run_python, write_script
from test_debuggers import open_session
from test_values import print_locals

NUMPY = """\
import numpy as np


def crash():
    grid = np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000)
    small = np.arange(6, dtype=np.int32).reshape(2, 3)
    names = np.array(["ab", "cd"])
    scale = np.float64(1.5)
    count = np.int64(7)
    1 / 0


crash()
"""

PANDAS = """\
import pandas as pd


def crash():
    rows = 10_000
    frame = pd.DataFrame({"price": [i * 0.5 for i in range(rows)],
                          "sku": [f"s{i}" for i in range(rows)]})
    column = frame["price"]
    labels = pd.Index(["a", "b", "c"], name="letters")
    1 / 0


crash()
"""

RECORDS = """\
import dataclasses
import typing

import attrs
import pydantic


@dataclasses.dataclass
class Cfg:
    name: str
    retries: int = 3
    password: str = "hunter2hunter2"


@attrs.define
class Job:
    name: str
    tries: int = 1


class User(pydantic.BaseModel):
    name: str
    age: int = 30


class Span(typing.NamedTuple):
    start: int
    stop: int


class Sub(Cfg):  # not itself decorated: a plain object snapshot
    pass


def crash():
    cfg = Cfg("x")
    job = Job("build")
    user = User(name="ann")
    span = Span(1, 5)
    sub = Sub("y")
    1 / 0


crash()
"""


def test_numpy_arrays_and_scalars_in_pdb(make_dump, tmp_path):
    session = open_session(make_dump(NUMPY), tmp_path, "pdb")
    run = session.run
    assert run("p grid.shape").strip() == "(1000, 1000)"
    assert run("p grid.dtype, grid.ndim, grid.size, grid.nbytes").strip() == \
        "(dtype('float64'), 2, 1000000, 8000000)"
    shown = run("p grid")
    assert shown.lstrip().startswith("array([[0., 1., 2., ..., 997., 998., 999.],")
    assert "shape=(1000, 1000))" in shown
    assert run("p grid[0, 0], grid[-1, -1]").strip() == "(0.0, 999999.0)"
    assert "was not captured" in run("p grid[500, 500]")
    assert "NotCapturedError" in run("p list(grid)")
    assert run("p small.tolist(), small[1][2]").strip() == "([[0, 1, 2], [3, 4, 5]], 5)"
    assert run("p small").strip() == "array([[0, 1, 2],\n       [3, 4, 5]], dtype=int32)"
    assert run("p names[1]").strip() == "'cd'"
    assert run("p scale + 1, scale").strip() == "(2.5, np.float64(1.5))"
    assert run("p count * 2, count.dtype").strip() == "(14, dtype('int64'))"
    assert session.quit() == 0


def test_pandas_frames_in_pdb(make_dump, tmp_path):
    session = open_session(make_dump(PANDAS), tmp_path, "pdb")
    run = session.run
    assert run("p frame.shape, len(frame)").strip() == "((10000, 2), 10000)"
    assert "Index(['price', 'sku']" in run("p frame.columns")
    types = run("p frame.dtypes")
    assert re.search(r"price\s+float64", types) and "sku" in types
    assert run("p frame.index").strip() == "RangeIndex(start=0, stop=10000, step=1)"
    head = run("p frame.head(3)").strip().splitlines()
    assert head[0].split() == ["price", "sku"]
    assert head[1].split() == ["0", "0.", "s0"] and head[3].split() == ["2", "1.", "s2"]
    table = run("p frame")
    assert "[10000 rows x 2 columns]" in table and re.search(r"9999\s+4999\.5\s+s9999", table)
    assert "only the first 5 of 10,000 rows were captured" in run("p frame.head(8)")
    series = run("p column")
    assert "Name: price, Length: 10000, dtype: float64" in series
    assert run("p column.tail(1).tolist()").strip() == "[4999.5]"
    assert run("p labels.name, list(labels)").strip() == "('letters', ['a', 'b', 'c'])"
    assert session.quit() == 0


def test_library_values_print_in_one_line(make_dump):
    lines = print_locals(make_dump(PANDAS))
    frame = lines.index(next(ln for ln in lines if ln.startswith("    frame = ")))
    assert lines[frame].startswith("    frame = DataFrame(shape=(10000, 2), columns=Index(")
    assert "        .shape = (10000, 2)" in lines[frame:]
    assert "    column = Series(name='price', length=10000, dtype=float64)" in lines


def test_a_frame_with_attrs_keeps_no_rows(tmp_path, make_dump):
    """pandas deep-copies ``attrs`` into every slice: capture must not slice such a frame."""
    marker = tmp_path / "deepcopied"
    source = f"""\
import pandas as pd


class Tag:
    def __deepcopy__(self, memo):
        open({str(marker)!r}, "w").close()
        return self


def crash():
    frame = pd.DataFrame({{"a": range(50)}})
    frame.attrs["tag"] = Tag()
    1 / 0


crash()
"""
    dump = make_dump(source)
    assert not marker.exists()
    session = open_session(dump, tmp_path, "pdb")
    assert session.run("p frame.shape, frame.dtypes['a']").strip() == "((50, 1), dtype('int64'))"
    assert "rows not captured" in session.run("p frame")
    assert session.quit() == 0


def test_a_column_named_like_a_secret_is_redacted(make_dump, tmp_path):
    source = """\
import pandas as pd


def crash():
    users = pd.DataFrame({"name": ["ann", "bob"], "password": ["hunter2hunter2", "x" * 12]})
    1 / 0


crash()
"""
    session = open_session(make_dump(source), tmp_path, "pdb")
    table = session.run("p users").strip().splitlines()
    assert table[1].split() == ["0", "ann", "<redacted>"]
    assert table[2].split() == ["1", "bob", "<redacted>"]
    assert session.quit() == 0


def test_a_secret_column_among_object_columns_is_redacted(make_dump, tmp_path):
    """Rows of nine plain objects of one type would be copied as one record table: the
    secret column's cells must still be hidden, and the others kept."""
    source = """\
import pandas as pd


class Cell:
    def __init__(self, text):
        self.text = text


def make_columns():
    columns = {f"c{i}": [Cell(f"r{r}c{i}") for r in range(2)] for i in range(8)}
    columns["password"] = [Cell("hunter2hunter2"), Cell("s3cr3t-s3cr3t")]
    return columns


def crash():
    users = pd.DataFrame(make_columns())  # its cells are nowhere else in the frame
    1 / 0


crash()
"""
    dump = make_dump(source)
    assert b"hunter2hunter2" not in dump.read_bytes()
    session = open_session(dump, tmp_path, "pdb")
    table = session.run("p users").strip().splitlines()
    assert session.quit() == 0
    assert len(table) == 3 and table[0].split()[-1] == "password", table
    for row in table[1:]:
        assert row.count("<__main__.Cell object at 0x") == 8 and row.endswith("<redacted>")


def _found(value, kind, seen=None):
    """Every instance of ``kind`` in a copy, through lists, tuples, dicts, cuts and values."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, kind):
        return [value]
    name = type(value).__name__
    parts = (value.head + value.tail if name == "CutContainer" else [value.data]
             if name == "Value" else list(value.values()) if isinstance(value, dict)
             else value if isinstance(value, (list, tuple)) else [])
    return [found for part in parts for found in _found(part, kind, seen)]


def test_secret_cells_stay_hidden_when_the_budget_cuts_the_rows():
    """Past the size budget the rows are cut to a few: the kept ones still show
    ``<redacted>`` in the secret column, never the secret and never a stand-in."""
    pd = need("pandas")
    from pydumpling_hook import config
    from pydumpling_hook.dumpformat.model import Redacted
    from pydumpling_hook.engine.copier import Copier
    from pydumpling_hook.engine.redact import Redactor

    frame = pd.DataFrame({"name": [f"n{i}" for i in range(10)],
                          "password": [f"pw-{i}-abcdefgh" for i in range(10)]})
    copier = Copier(config.Budgets(), Redactor(True, (), {}))
    copier.spent = copier.stop_at  # the budget is spent: containers keep 8 items
    copy = copier.copy(frame)
    rows = copy.data["rows"]
    assert type(rows[1]).__name__ == "CutContainer", rows
    assert "pw-" not in repr(copy.data) and None not in rows[1].head[0]
    assert len(_found(copy, Redacted)) == len(rows[1].head) + len(rows[2])


def test_pydantic_extra_fields_survive_packing(make_dump):
    """A model's extra fields are copied as a dict, which may be packed (20 strings) or
    made a record table (10 plain objects): either way they are still its fields."""
    source = """\
import pydantic


class Item:
    def __init__(self, i):
        self.i = i


class Hook(pydantic.BaseModel, extra="allow"):
    name: str


def crash():
    texts = Hook(name="x", **{f"field_{i}": f"v{i}" for i in range(20)})
    items = Hook(name="y", **{f"item_{i}": Item(i) for i in range(10)})
    1 / 0


crash()
"""
    from pydumpling_hook.loader import load

    tb = load(str(make_dump(source))).traceback()
    while tb.tb_next:
        tb = tb.tb_next
    texts, items = tb.tb_frame.f_locals["texts"], tb.tb_frame.f_locals["items"]
    assert repr(texts).startswith("Hook(name='x', field_0='v0', field_1='v1'")
    assert texts.field_19 == "v19"
    assert items.item_9.i == 9 and "item_9=<__main__.Item object at 0x" in repr(items)


def test_records_show_their_fields(make_dump, tmp_path):
    session = open_session(make_dump(RECORDS), tmp_path, "pdb")
    run = session.run
    assert run("p cfg").strip() == "Cfg(name='x', retries=3, password=<redacted>)"
    assert run("p cfg.retries + 1").strip() == "4"
    assert run("p job").strip() == "Job(name='build', tries=1)"
    assert run("p user").strip() == "User(name='ann', age=30)"
    assert run("p span, span.stop - span.start").strip() == "(Span(start=1, stop=5), 4)"
    assert run("p sub").strip().startswith("<__main__.Sub object at 0x")
    assert run("p sub.name").strip() == "'y'"
    assert session.quit() == 0


@pytest.mark.heavy
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="torch is installed on 3.11 only")
def test_torch_tensors_in_pdb(make_dump, tmp_path):
    need("torch")
    source = """\
import torch


def crash():
    weights = torch.arange(12.0).reshape(3, 4).requires_grad_()
    big = torch.zeros(500, 600, dtype=torch.float16)
    1 / 0


crash()
"""
    session = open_session(make_dump(source), tmp_path, "pdb")
    run = session.run
    assert run("p weights.shape, weights.dtype, weights.device").strip() == \
        "(torch.Size([3, 4]), torch.float32, device(type='cpu'))"
    assert run("p weights.requires_grad, weights[2, 3]").strip() == "(True, 11.0)"
    assert run("p big.shape, big.numel()").strip() == "(torch.Size([500, 600]), 300000)"
    shown = run("p big")
    assert shown.lstrip().startswith("tensor([[0., 0., 0., ..., 0., 0., 0.],")
    assert "size=(500, 600), dtype=torch.float16)" in shown
    assert "was not captured" in run("p big[250, 250]")
    assert session.quit() == 0


def test_big_originals_are_skipped_and_named(tmp_path):
    script = write_script(tmp_path, """\
        import numpy as np

        def crash():
            huge = np.zeros(4_000_000)           # 32 MB: skipped by its nbytes
            nested = [bytes(100_000_000)]        # no hint: the pickler stops at 16 MB
            small = {"a": 1}
            1 / 0

        crash()
    """)
    directory = tmp_path / "dumps"
    run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(directory),
                                            PYDUMPLING_ORIGINALS="1"))
    (dump,) = dumps_in(directory)
    printed = run_python(["-m", "pydumpling_hook", "--print", "--trust", str(dump)])
    assert printed.returncode == 0, printed.stderr
    assert "originals: 1 restored, 2 skipped (huge: over 16 MB, nested: over 16 MB)" in \
        printed.stderr
    from pydumpling_hook.dumpformat import dumpfile

    stats = dumpfile.read_body(str(dump))["stats"]
    assert stats["originals"] == 1
    assert stats["originals_skipped"] == {"count": 2, "named": {
        "/1/huge": "over 16 MB", "/1/nested": "over 16 MB"}}
