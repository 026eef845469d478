"""Hostile dump files against every mode of the loader (issue 9, items 3, 4 and 5).

Each file is built by ``hostile_dumps`` from a real crash and opened by the
real program in a child process, measured: it either opens (exit 0, nothing
on stderr) or is refused with one ``pydumpling-open: error:`` line, never a
traceback or an internal error, in under 5 seconds and 500 MB. What must not
happen is checked besides: no code runs, nothing is read from this machine's
disk, nothing a terminal would obey reaches the output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import fuzzing
import hostile_dumps as hostile
import pytest
from conftest import open_dump

from pydumpling_hook.dumpformat import dumpfile, model

SESSION = "where\nll\nup\nll\np a\nq\n"
"""What a user types first in a debugger: every line of it displays file content."""
RAW = ("\x1b", "\x07", "\u202e")


@pytest.fixture(scope="module")
def seed(readme_dump: Path) -> fuzzing.Seed:
    return fuzzing.split("readme", readme_dump.read_bytes())


@pytest.fixture(scope="module")
def files(seed: fuzzing.Seed, tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("hostile")
    return {name: hostile.write(seed, directory, name) for name in hostile.BUILDERS}


def opened(result) -> None:
    """Exit 0, and nothing on stderr but ``note:`` lines (``--json`` naming what it cut)."""
    notes = [line for line in result.stderr.splitlines()
             if not line.startswith("pydumpling-open: note: ")]
    assert result.rc == 0 and not notes, result
    assert result.within_bounds(), result


def refused(result, words: str) -> None:
    assert result.one_error_line(), result
    assert words in result.stderr, result
    assert result.within_bounds(), result


MODES = {"print": ["--print", "--locals"], "json": ["--json"], "pdb": []}


# ------------------------------------------------------------------ item 3: globals and state


def test_module_locals_cannot_smuggle_a_loader_into_globals(files: dict) -> None:
    """``__loader__``/``__spec__``/``__builtins__`` in a module frame's locals never reach
    the rebuilt frame's globals, where linecache would call ``__loader__.get_source``."""
    from pydumpling_hook.loader import load

    tb = load(str(files["module_frame_smuggles_a_loader"])).traceback()
    module_globals = tb.tb_frame.f_globals
    assert tb.tb_frame.f_code.co_name == "<module>"
    assert "__loader__" not in module_globals and "__spec__" not in module_globals
    assert module_globals["__builtins__"] is __builtins__ or isinstance(
        module_globals["__builtins__"], type(os))
    assert module_globals["kept"] == 7
    session = open_dump(files["module_frame_smuggles_a_loader"], input="up\nup\n"
                        "p sorted(set(globals()) & {'__loader__', '__spec__'})\np kept\nll\nq\n")
    opened(session)
    assert "(Pdb) []\n(Pdb) 7" in session.stdout
    assert "<loader>" not in session.stdout


@pytest.mark.parametrize("name", ["build_on_a_factory", "build_on_a_cut_instance"])
@pytest.mark.parametrize("mode", MODES)
def test_state_is_set_only_on_snapshots(files: dict, name: str, mode: str) -> None:
    refused(open_dump(files[name], *MODES[mode], input="q\n"), "state (BUILD)")


def test_state_never_reaches_model_classes_or_loader_functions(files: dict) -> None:
    """In this process: the reader without factories (what ``--json`` used) and with them
    leaves the model classes and every factory exactly as they were."""
    from pydumpling_hook.loader.factories import factories

    before = {name: dict(vars(cls)) for name, cls in model.SAFE_TYPES.items()}
    made = factories()
    defaults = {name: f.__defaults__ for name, f in made.items()}
    for classes in (None, made):
        with pytest.raises(dumpfile.DumpError, match="state"):
            dumpfile.read_body(str(files["build_on_a_factory"]), classes=classes)
    assert before == {name: dict(vars(cls)) for name, cls in model.SAFE_TYPES.items()}
    assert defaults == {name: f.__defaults__ for name, f in made.items()}


# ------------------------------------------------------------------ item 4: bounds


REFUSED = {
    "deep_tuple_key": "tuples nested more than 100 deep",
    "colliding_keys": "over 32 keys with the same hash",
    "many_nones": "more than 4,000,000 values",
}
OPENED = ["shared_big_string", "shared_big_filename", "many_arguments", "long_source_line",
          "long_expression", "huge_return_value", "unclosed_bracket_source"]


@pytest.mark.parametrize("name", REFUSED)
@pytest.mark.parametrize("mode", MODES)
def test_work_bombs_are_refused_before_the_work(files: dict, name: str, mode: str) -> None:
    refused(open_dump(files[name], *MODES[mode], input="q\n"), REFUSED[name])


@pytest.mark.parametrize("name", OPENED)
@pytest.mark.parametrize("mode", MODES)
def test_huge_shapes_open_within_bounds(files: dict, name: str, mode: str) -> None:
    result = open_dump(files[name], *MODES[mode], input=SESSION)
    opened(result)
    assert len(result.stdout) < 40 << 20
    if mode == "json":
        json.loads(result.stdout)


def test_a_huge_return_value_is_shown_not_fatal(files: dict) -> None:
    result = open_dump(files["huge_return_value"], input="where\np __return__ > 0\nq\n")
    opened(result)
    assert "inner()-><int with 16,610 bits>" in result.stdout


def test_ll_on_source_that_does_not_tokenize(files: dict) -> None:
    result = open_dump(files["unclosed_bracket_source"], input="ll\nlist 1\np a\nq\n")
    opened(result)
    assert "def inner():" in result.stdout and "(Pdb) 1" in result.stdout


def test_print_cuts_a_giant_line_and_skips_a_giant_parse(files: dict) -> None:
    long_line = open_dump(files["long_source_line"], "--print")
    opened(long_line)
    assert max(map(len, long_line.stdout.splitlines())) < 20_000
    expression = open_dump(files["long_expression"], "--print")
    opened(expression)
    assert "...<9998 lines>..." in expression.stdout or "^" not in expression.stdout


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "file"])
@pytest.mark.parametrize("local", [False, True])
def test_source_is_never_read_from_this_disk_unless_asked(
        seed: fuzzing.Seed, tmp_path: Path, target: str, local: bool) -> None:
    """``/dev/zero`` grew without bound and a FIFO hung; with ``--local-source`` only a
    regular file is read."""
    path = {"/dev/zero": "/dev/zero", "fifo": str(tmp_path / "fifo"),
            "file": str(tmp_path / "local.py")}[target]
    if target == "fifo":
        os.mkfifo(path)
    elif target == "file":
        Path(path).write_text("def inner():\n    a = 1\n    b = 2\n    c = LOCAL_MARK\n")
    dump = tmp_path / "x.dump"
    dump.write_bytes(hostile.source_from_disk(seed, path))
    flags = ["--local-source"] if local else []
    for mode in (["--print"], []):
        result = open_dump(dump, *mode, *flags, input="where\nll\nlist 1, 5\nq\n")
        opened(result)
        assert ("LOCAL_MARK" in result.stdout) == (local and target == "file"), result


# ------------------------------------------------------------------ item 5: the terminal


def assert_neutral(text: str) -> None:
    assert not any(c in text for c in RAW), [line for line in text.splitlines()
                                             if any(c in line for c in RAW)][:3]
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202e" in text


@pytest.mark.parametrize("mode", ["print", "pdb"])
def test_escape_sequences_never_reach_the_terminal(files: dict, mode: str) -> None:
    commands = "where\nll\np name\x1b]0;pwned\x07\x1b[2J\u202e\npp locals()\nq\n"
    result = open_dump(files["escapes_everywhere"], *MODES[mode], input=commands)
    opened(result)
    assert_neutral(result.stdout)
    assert "Thing" in result.stdout and (mode == "pdb" or "boom" in result.stdout)


def test_escape_sequences_in_a_listing_and_in_error_lines(files: dict) -> None:
    result = open_dump("--list", str(files["escapes_in_the_header"].parent))
    assert result.rc == 0, result
    assert_neutral(result.stdout)
    refused_name = open_dump(files["escapes_in_a_refused_name"], "--print")
    refused(refused_name, "refused to load os\\x1b]0;pwned")
    assert_neutral(refused_name.stderr)


def test_json_stays_exact(files: dict) -> None:
    result = open_dump(files["escapes_everywhere"], "--json")
    opened(result)
    document = json.loads(result.stdout)
    assert document["body"]["exception"]["message"] == f"boom {hostile.ESC}"
