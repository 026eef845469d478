"""The ``pydumpling-open`` program: modes, the predecessor's forms, and every bad input.

Each bad input must end in exactly one ``pydumpling-open: error: ...`` line on
stderr, a non-zero status (2 for usage errors) and no Python traceback.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest
from conftest import CRASHES, clean_env, dump_of, dumps_in, run_python

from pydumpling_hook.dumpformat import dumpfile


def run_open(*args: str, env: dict | None = None, cwd: Path | None = None):
    return run_python(["-m", "pydumpling_hook", *args], env=env, cwd=cwd)


@pytest.fixture(scope="module")
def chain_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dump_of(tmp_path_factory.mktemp("chain"), "chains.py")


def assert_one_error_line(result, status: int = 1, contains: str = "") -> None:
    assert result.returncode == status, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pydumpling-open: error: "), lines[0]
    assert "Traceback" not in result.stderr
    assert contains in lines[0]
    assert result.stdout == ""


# ----------------------------------------------------------------------------- bad files


def _truncated(path: Path, tmp: Path) -> Path:
    data = path.read_bytes()
    out = tmp / "truncated.dump"
    out.write_bytes(data[: len(data) // 2])
    return out


def _newer(path: Path, tmp: Path) -> Path:
    data = path.read_bytes()
    start = len(dumpfile.MAGIC)
    size = struct.unpack(">I", data[start : start + 4])[0]
    header = json.loads(data[start + 4 : start + 4 + size])
    header["format"] = dumpfile.FORMAT_VERSION + 1
    raw = json.dumps(header).encode()
    out = tmp / "newer.dump"
    out.write_bytes(data[:start] + struct.pack(">I", len(raw)) + raw + data[start + 4 + size :])
    return out


def _file(name: str, data: bytes):
    def make(dump: Path, tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


BAD_FILES = {
    "missing": (lambda dump, tmp: tmp / "nope.dump", "no such file"),
    "empty": (_file("empty.dump", b""), "empty"),
    "truncated": (_truncated, "truncated"),
    "random": (_file("r.dump", bytes(range(256)) * 16), "not a pydumpling-hook dump"),
    "magic-then-garbage": (_file("g.dump", dumpfile.MAGIC + b"\xff" * 64), "corrupt"),
    "foreign": (_file("f.dump", b"print('hi')\n"), "not a pydumpling-hook dump"),
    "newer-format": (_newer, "newer"),
    "directory": (lambda dump, tmp: tmp, "directory"),
}


@pytest.mark.parametrize("mode", [[], ["--print"], ["--json"], ["--rdebug", "--port", "0"]],
                         ids=["debug", "print", "json", "rdebug"])
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_one_line(kind: str, mode: list, readme_dump: Path, tmp_path: Path) -> None:
    make, words = BAD_FILES[kind]
    path = make(readme_dump, tmp_path)
    result = run_open(*mode, str(path))
    assert_one_error_line(result, 1, words)


def test_corrupt_body_is_one_line(readme_dump: Path, tmp_path: Path) -> None:
    data = bytearray(readme_dump.read_bytes())
    data[-10] ^= 0xFF  # inside the compressed body: the crc32 catches it
    bad = tmp_path / "flipped.dump"
    bad.write_bytes(bytes(data))
    assert_one_error_line(run_open("--print", str(bad)), 1, "checksum")


# ----------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize("args, words", [
    (["--bogus"], "unrecognized arguments"),
    (["--debugger", "gdb", "x.dump"], "invalid choice"),
    ([], "give a dump FILE"),
    (["--print", "--json", "x.dump"], "not allowed with"),
    (["--port", "notaport", "x.dump"], "invalid int value"),
    (["--list", "dir", "--latest"], "--list takes a directory"),
    (["--rdebug", "--debugger", "ipdb", "x.dump"], "pdb only"),
])
def test_usage_errors_exit_2(args: list, words: str) -> None:
    assert_one_error_line(run_open(*args), 2, words)


def test_bad_debugger_variable(readme_dump: Path) -> None:
    result = run_open(str(readme_dump), env=clean_env(PYDUMPLING_DEBUGGER="gdb"))
    assert_one_error_line(result, 2, "PYDUMPLING_DEBUGGER")


def test_list_missing_directory(tmp_path: Path) -> None:
    assert_one_error_line(run_open("--list", str(tmp_path / "nope")), 1, "no such directory")


def test_latest_without_dumps(tmp_path: Path) -> None:
    result = run_open("--latest", "--print", env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    assert_one_error_line(result, 1, "no dumps")
    result = run_open("--latest", "--print", env=clean_env(PYDUMPLING_DIR=str(tmp_path / "x")))
    assert_one_error_line(result, 1, "no such directory")


def test_unknown_thread_and_exception(readme_dump: Path) -> None:
    assert_one_error_line(run_open("--print", "--thread", "nope", str(readme_dump)), 1,
                          "no thread 'nope'")
    assert_one_error_line(run_open("--print", "--exception", "cause", str(readme_dump)), 1,
                          "has no cause")


# ----------------------------------------------------------------------------- modes


def test_version() -> None:
    from pydumpling_hook import __version__

    result = run_open("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pydumpling-open {__version__}"


def test_console_script_and_module_agree(readme_dump: Path) -> None:
    script = Path(sys.executable).with_name("pydumpling-open")
    if not script.exists():
        pytest.skip("package not installed in this venv")
    import subprocess

    via_script = subprocess.run([str(script), "--print", str(readme_dump)], env=clean_env(),
                                capture_output=True, text=True, timeout=60)
    via_module = run_open("--print", str(readme_dump))
    assert via_script.returncode == via_module.returncode == 0
    assert via_script.stdout == via_module.stdout
    assert via_script.stdout.endswith(
        "TypeError: unsupported operand type(s) for +: 'int' and 'str'\n")


def test_predecessor_form(readme_dump: Path) -> None:
    """``python -m pydumpling_hook --print FILE`` as in pydumpling."""
    result = run_open("--print", str(readme_dump))
    assert result.returncode == 0 and "    c = a + b\n" in result.stdout


def test_latest_opens_the_newest(tmp_path: Path) -> None:
    env = clean_env(PYDUMPLING_DIR=str(tmp_path))
    run_python([str(CRASHES / "readme.py")], env=env)
    run_python([str(CRASHES / "chains.py")], env=env)
    result = run_open("--latest", "--print", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("IndexError: list index out of range")


def test_latest_defaults_to_cwd_directory(tmp_path: Path) -> None:
    dumps = tmp_path / "pydumpling-dumps"
    run_python([str(CRASHES / "readme.py")], env=clean_env(PYDUMPLING_DIR=str(dumps)))
    result = run_open("--latest", "--print", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TypeError" in result.stdout


def test_print_selected_exception(chain_dump: Path) -> None:
    result = run_open("--print", "--exception", "context", str(chain_dump))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("__main__.ConfigError: no config 'b'"
                                           if sys.version_info < (3, 11)
                                           else "ConfigError: no config 'b'")
    result = run_open("--print", "--exception", "context.cause", str(chain_dump))
    assert result.stdout.rstrip().endswith("KeyError: 'b'")


def test_print_thread_stack(tmp_path: Path) -> None:
    env = clean_env(PYDUMPLING_DIR=str(tmp_path))
    run_python([str(CRASHES / "thread.py")], env=env)
    (dump,) = dumps_in(tmp_path)
    result = run_open("--print", "--thread", "MainThread", str(dump))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Thread MainThread (most recent call last):\n")
    assert "t.join()" in result.stdout


def test_json_is_complete_and_tool_friendly(tmp_path: Path) -> None:
    script = tmp_path / "objects.py"
    script.write_text(
        "class Order:\n"
        "    def __init__(self):\n"
        "        self.total = 10\n"
        "        self.items = list(range(100000))\n"
        "def fail(order):\n"
        "    loop = []\n"
        "    loop.append(loop)\n"
        "    data = b'\\x00\\xff'\n"
        "    order.total / 0\n"
        "fail(Order())\n"
    )
    env = clean_env(PYDUMPLING_DIR=str(tmp_path / "d"))
    run_python([str(script)], env=env)
    (dump,) = dumps_in(tmp_path / "d")
    result = run_open("--json", str(dump))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["header"]["summary"]["exc_type"] == "ZeroDivisionError"
    frame = document["body"]["exception"]["frames"][-1]
    order = frame["locals"]["order"]
    assert order["__type__"] == "__main__.Order"
    assert order["attrs"]["total"] == 10
    items = order["attrs"]["items"]  # capture's cut, visible, with both ends
    assert (items["__cut__"], items["kind"], items["total"]) == (99_000, "list", 100_000)
    assert items["head"][:2] == [0, 1] and items["tail"][-1] == 99_999
    assert frame["locals"]["loop"] == [{"__cycle__": "list"}]
    assert frame["locals"]["data"] == "b'\\x00\\xff'"


def test_json_into_a_closed_pipe_is_quiet(readme_dump: Path) -> None:
    import subprocess

    command = f"{sys.executable} -m pydumpling_hook --json {readme_dump} | head -c 10"
    result = subprocess.run(command, shell=True, env=clean_env(), capture_output=True, text=True,
                            timeout=60)
    assert result.stderr == ""


def test_loader_modes_do_not_import_capture_or_dill(readme_dump: Path) -> None:
    code = (
        "import sys\n"
        "from pydumpling_hook.loader.cli import main\n"
        f"for args in (['--print', {str(readme_dump)!r}], ['--json', {str(readme_dump)!r}],\n"
        f"             ['--list', {str(readme_dump.parent)!r}]):\n"
        "    assert main(args) == 0\n"
        "bad = [m for m in ('dill', 'pydumpling_hook.engine.snapshot',\n"
        "                   'pydumpling_hook.engine.copier', 'pydumpling_hook.loader.dap',\n"
        "                   'pdb', 'IPython', 'pudb') if m in sys.modules]\n"
        "print('IMPORTED', bad, file=sys.stderr)\n"
    )
    result = run_python(["-c", code])
    assert "IMPORTED []" in result.stderr, result.stderr


def test_predecessor_debug_form(readme_dump: Path) -> None:
    """``python -m pydumpling_hook --debug FILE`` opens pdb, as pydumpling did."""
    result = run_python(["-m", "pydumpling_hook", "--debug", str(readme_dump)],
                        input="p a\nup\np d\nq\n")
    assert result.returncode == 0, result.stderr
    assert "-> c = a + b" in result.stdout
    assert "(Pdb) 1\n" in result.stdout and "(Pdb) 4\n" in result.stdout


def test_json_keys_after_the_string_budget_stay_apart() -> None:
    """Past the export's string budget short keys are still whole (two cut alike would
    merge their entries) and a long key is cut visibly."""
    from pydumpling_hook.loader.export import MAX_CHARS, to_jsonable

    out = to_jsonable({"big": "x" * (MAX_CHARS + 10),
                       "after": {"a": 1, "b": 2, "k" * 500: 3, "m" * 500: 4}})
    after = out["after"]
    assert after["a"] == 1 and after["b"] == 2 and len(after) == 4
    long_keys = sorted(k for k in after if len(k) > 1)
    assert long_keys[0].startswith("k" * 100) and "400 more characters" in long_keys[0]
    assert long_keys[1].startswith("m" * 100)


def test_json_conversion_rules() -> None:
    from pydumpling_hook.dumpformat import model
    from pydumpling_hook.loader.export import to_jsonable

    snap = model.ObjectSnapshot("shop", "Order", "<shop.Order object at 0x1>")
    snap.__setstate__(({"total": 3, "secret": model.Redacted()}, None, "depth budget"))
    cyclic: dict = {}
    cyclic["self"] = cyclic
    value = {
        "snap": snap, "cut": [1, model.Cut(5)], "s": model.TruncatedStr("abc", 7),
        "b": model.TruncatedBytes(b"ab", 3, "bytearray"), "nan": float("nan"),
        "set": {3, 1, 2}, (1, 2): "tuple key", "cyclic": cyclic, "complex": 1j,
        "s2": model.TruncatedStr("ab", 5, "yz"), "list": model.CutContainer("list", 9),
        "when": model.Value("datetime.date", (2024, 1, 2)),
    }
    value["list"].__setstate__(([0, 1], [8]))
    out = to_jsonable(value)
    json.dumps(out, allow_nan=False)
    assert out["snap"] == {"__type__": "shop.Order", "repr": "<shop.Order object at 0x1>",
                           "attrs": {"total": 3, "secret": {"__redacted__": True, "rule": ""}},
                           "note": "depth budget"}
    assert out["cut"] == [1, {"__cut__": 5, "unit": "items"}]
    assert out["s"] == {"__truncated__": "str", "value": "abc", "omitted": 7}
    assert out["b"] == {"__truncated__": "bytearray", "value": "b'ab'", "omitted": 3}
    assert out["nan"] == "nan" and out["set"] == [1, 2, 3] and out["complex"] == "1j"
    assert out["(1, 2)"] == "tuple key"
    assert out["cyclic"] == {"self": {"__cycle__": "dict"}}
    assert out["s2"] == {"__truncated__": "str", "value": "ab", "omitted": 5, "tail": "yz"}
    assert out["list"] == {"__cut__": 6, "unit": "items", "kind": "list", "total": 9,
                           "head": [0, 1], "tail": [8]}
    assert out["when"] == {"__value__": "datetime.date", "data": [2024, 1, 2]}


def test_locals_show_captured_objects_attributes(tmp_path):
    """The README demo: an object's attributes are listed under it, secrets redacted."""
    demo = Path(__file__).parent.parent / "examples" / "demo.py"
    run_python([str(demo)], env=clean_env(PYDUMPLING_DIR=str(tmp_path)))
    (dump,) = dumps_in(tmp_path)
    result = run_open(str(dump), "--print", "--locals")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index(next(ln for ln in lines if ln.startswith("    order = <__main__.Order")))
    assert lines[at + 1:at + 4] == [
        "        .order_id = 42",
        "        .items = [{'qty': 2, 'unit_price': 9.5}, {'qty': 1, 'unit_price': None}]",
        "        .api_token = <redacted>",
    ]
    assert "tok-1234567890" not in dump.read_bytes().decode("latin-1")
