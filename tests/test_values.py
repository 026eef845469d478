"""Values you can compute with (issue 11), end to end: a real script crashes with the
hook, then pdb (through a pty) or ``--print --locals`` reads the dump.

Cut values must tell the truth (true ``len``, both ends, a clear error for the
middle, no iteration that would give a smaller ``sum``), and standard-library
values must come back as their real types.
"""

from __future__ import annotations

import pytest
from conftest import run_python
from test_debuggers import open_session

CUTS = """\
def crash():
    nums = list(range(5000))
    text = "ab" * 10000 + "END"
    blob = bytes(range(256)) * 100
    table = {i: str(i) for i in range(3000)}
    seen = set(range(2000))
    pair = tuple(range(3000))
    1 / 0


crash()
"""

STDLIB = """\
import collections, datetime, decimal, enum, fractions, ipaddress, pathlib, typing, uuid


class Color(enum.Enum):
    RED = 1


class Pair(typing.NamedTuple):
    left: int
    right: str


Point = collections.namedtuple("Point", "x y")


def crash():
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    day = datetime.date(2024, 2, 29)
    delta = datetime.timedelta(hours=36)
    total = decimal.Decimal("12.50")
    share = fractions.Fraction(3, 4)
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    path = pathlib.Path("/srv/app/config.toml")
    addr = ipaddress.ip_address("10.1.2.3")
    net = ipaddress.ip_network("2001:db8::/32")
    z = complex(1, 2)
    span = range(0, 10**12, 7)
    ordered = collections.OrderedDict(b=2, a=1)
    groups = collections.defaultdict(list, {"k": [1]})
    counts = collections.Counter("hello")
    recent = collections.deque([1, 2, 3], maxlen=5)
    layers = collections.ChainMap({"a": 1}, {"b": 2})
    point = Point(1, 2)
    pair = Pair(3, "x")
    color = Color.RED
    1 / 0


crash()
"""


def print_locals(dump) -> list:
    """The lines of ``pydumpling-open --print --locals`` for ``dump``."""
    printed = run_python(["-m", "pydumpling_hook", "--print", "--locals", str(dump)])
    assert printed.returncode == 0, printed.stderr
    return printed.stdout.splitlines()


@pytest.fixture
def cut_dump(make_dump):
    return make_dump(CUTS)


def test_cut_values_tell_the_truth_in_pdb(cut_dump, tmp_path):
    session = open_session(cut_dump, tmp_path, "pdb")
    run = session.run
    assert run("p len(nums)").strip() == "5000"
    assert run("p nums[0], nums[899], nums[-1]").strip() == "(0, 899, 4999)"
    assert "item 2500 of 5000 was not captured" in run("p nums[2500]")
    assert "NotCapturedError" in run("p sum(nums)")  # never a smaller number
    assert "NotCapturedError" in run("p max(nums)")
    shown = run("p nums")
    assert "897, 898, 899, <… 4,000 more items>, 4900, 4901" in shown
    assert run("p nums[:3], nums[-2:]").strip() == "([0, 1, 2], [4998, 4999])"
    assert run("p len(text), text[-3:]").strip() == "(20003, 'END')"
    assert "NotCapturedError" in run("p text.upper()")
    assert "characters>'" in run("p text")
    assert run("p len(blob), blob[-1]").strip() == "(25600, 255)"
    assert run("p len(table), table[2999]").strip() == "(3000, '2999')"
    assert "is not among the 1,000 captured entries" in run("p table[1500]")
    assert run("p len(seen), 5 in seen").strip() == "(2000, True)"
    assert run("p len(pair), pair[2999]").strip() == "(3000, 2999)"
    assert run("p nums == [1, 2]").strip() == "False"  # the lengths differ: known
    assert "NotCapturedError" in run("p nums == list(range(5000))")
    assert run("p nums.head[-1], nums.tail[0], nums.omitted").strip() == "(899, 4900, 4000)"
    assert session.quit() == 0


def test_cut_values_print_their_marker(cut_dump):
    lines = print_locals(cut_dump)
    assert "    nums = [0, 1, 2, 3, 4, …, <… 4,000 more items>, …, 4998, 4999]" in lines
    assert "    pair = (0, 1, 2, 3, 4, …, <… 2,000 more items>, …, 2998, 2999)" in lines
    assert any(line.startswith("    table = {0: '0', 1: '1'") and "<… 2,000 more entries>" in line
               for line in lines)
    assert any(line.startswith("    text = 'abab") and "<… 10,003 more characters>" in line
               and line.endswith("babEND'") for line in lines)


def test_stdlib_values_come_back_real(make_dump, tmp_path):
    session = open_session(make_dump(STDLIB), tmp_path, "pdb")
    run = session.run
    assert run("whatis when").strip() == "<class 'datetime.datetime'>"
    assert run("p when.year, when.tzinfo").strip() == "(2024, datetime.timezone.utc)"
    assert run("p day.isoformat(), delta.total_seconds()").strip() == "('2024-02-29', 129600.0)"
    assert run("p total + 1").strip() == "Decimal('13.50')"
    assert run("p share * 4").strip() == "Fraction(3, 1)"
    assert run("p uid.int == 0x12345678123456781234567812345678, uid.hex[:8]").strip() == \
        "(True, '12345678')"
    assert run("p str(path), path.name, path.suffix").strip() == \
        "('/srv/app/config.toml', 'config.toml', '.toml')"
    assert run("p addr.is_private, addr + 1").strip() == "(True, IPv4Address('10.1.2.4'))"
    assert run("p net.prefixlen").strip() == "32"
    assert run("p z.imag, span[3], len(span)").strip() == "(2.0, 21, 142857142858)"
    assert run("p list(ordered)").strip() == "['b', 'a']"
    assert run("p groups['new'], counts['l']").strip() == "([], 2)"
    assert run("p recent.maxlen, recent[-1], layers['b']").strip() == "(5, 3, 2)"
    assert run("p point.y, pair.right, pair").strip() == "(2, 'x', Pair(left=3, right='x'))"
    assert run("p color").strip() == "<Color.RED: 1>"
    assert run("p color.name, color.value").strip() == "('RED', 1)"
    assert session.quit() == 0


def test_stdlib_values_print_as_themselves(make_dump):
    lines = print_locals(make_dump(STDLIB))
    for expected in [
        "    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)",
        "    total = Decimal('12.50')",
        "    path = PurePosixPath('/srv/app/config.toml')",
        "    color = <Color.RED: 1>",
        "    recent = deque([1, 2, 3], maxlen=5)",
    ]:
        assert expected in lines, "\n".join(lines)
