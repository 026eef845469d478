"""``pydumpling-open --dap``: an editor's whole attach flow on real dumps, over TCP.

Each test crashes a real program, starts the real ``pydumpling-open --dap
--port 0`` as a subprocess and drives it with the scripted client of
``tests/dap_client.py``, as VS Code or nvim-dap would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import CRASHES, dump_of, dumps_in
from dap_client import Client, Server
from test_format_versions import FORMAT1, LAST_LINES

README_CRASH = """\
import pydumpling_hook
from pydumpling_hook.config import Budgets

pydumpling_hook.install(budgets=Budgets(items=20_000))


def inner():
    a = 1
    b = "2"
    c = a + b
    return c


class Order:
    def __init__(self):
        self.total = 12.5
        self.lines = ["pen", "ink"]


def outer():
    d = 4
    numbers = list(range(5_000))
    cut = list(range(30_000))
    settings = {"host": "db.local", "port": 5432, "tags": ["a", "b"]}
    order = Order()
    password = "hunter2"
    essay = "x" * 50_000
    return inner() + d


outer()
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def deleted_crash(tmp_path: Path, crash) -> tuple:
    """The README crash with big containers, dumped; its script is deleted afterwards."""
    result, dumps = crash(README_CRASH)
    assert len(dumps) == 1, result.stderr
    (tmp_path / "crash.py").unlink()
    return dumps[0], str(tmp_path / "crash.py")


def variables(client: Client, reference: int, **paging: object) -> dict:
    found = client.request("variables", {"variablesReference": reference, **paging})["variables"]
    return {v["name"]: v for v in found}


def scope(client: Client, frame_id: int, name: str) -> dict:
    scopes = client.request("scopes", {"frameId": frame_id})["scopes"]
    return variables(client, next(s for s in scopes if s["name"] == name)["variablesReference"])


def test_the_attach_flow_of_an_editor(deleted_crash: tuple) -> None:
    dump, script = deleted_crash
    server = Server(dump)
    client = server.client()

    # 1-4: initialize, attach with VS Code's arguments, configurationDone, stopped
    stopped = client.attach()
    assert stopped["reason"] == "exception" and stopped["threadId"] == 1
    assert stopped["text"] == "TypeError: unsupported operand type(s) for +: 'int' and 'str'"
    banner = client.event("output")
    assert banner["category"] == "console" and str(dump) in banner["output"]

    # 5: threads
    threads = client.request("threads")["threads"]
    assert threads[0] == {"id": 1, "name": stopped["text"]}

    # 6: stackTrace, innermost first, with paging
    trace = client.request("stackTrace", {"threadId": 1, "startFrame": 0, "levels": 20})
    frames = trace["stackFrames"]
    assert [f["name"] for f in frames] == ["inner", "outer", "<module>"]
    assert [f["line"] for f in frames] == [line_of(README_CRASH, "c = a + b"),
                                           line_of(README_CRASH, "return inner() + d"),
                                           len(README_CRASH.splitlines())]
    assert trace["totalFrames"] == 3
    if sys.version_info >= (3, 11):  # columns come from co_positions
        assert (frames[0]["column"], frames[0]["endColumn"]) == (9, 14)
    page = client.request("stackTrace", {"threadId": 1, "startFrame": 1, "levels": 1})
    assert [f["name"] for f in page["stackFrames"]] == ["outer"] and page["totalFrames"] == 3

    # 7: scopes and variables, a paged list and a visibly cut one
    inner_locals = scope(client, frames[0]["id"], "Locals")
    assert {n: (v["value"], v["type"]) for n, v in inner_locals.items()} == {
        "a": ("1", "int"), "b": ("'2'", "str")}
    outer_locals = scope(client, frames[1]["id"], "Locals")
    numbers = outer_locals["numbers"]
    assert numbers["indexedVariables"] == 5_000 and numbers["variablesReference"] > 0
    tail = variables(client, numbers["variablesReference"], filter="indexed", start=4_990,
                     count=10)
    assert list(tail) == [str(i) for i in range(4_990, 5_000)]
    assert tail["4999"]["value"] == "4999" and tail["4999"]["evaluateName"] == "numbers[4999]"
    cut = outer_locals["cut"]
    assert cut["indexedVariables"] == 20_001  # 18,000 + 2,000 items kept, and the cut marker
    middle = variables(client, cut["variablesReference"], filter="indexed", start=17_999,
                       count=3)
    assert list(middle) == ["17999", "…", "28000"]  # kept items keep their true positions
    assert middle["17999"]["value"] == "17999" and middle["28000"]["value"] == "28000"
    assert middle["…"]["value"] == "<… 10,000 more items>" and "evaluateName" not in middle["…"]
    assert middle["28000"]["evaluateName"] == "cut[28000]"

    # objects show their captured attributes; redacted and cut values say so
    order = outer_locals["order"]
    assert order["type"] == "Order" and order["namedVariables"] == 2
    attributes = variables(client, order["variablesReference"])
    assert attributes["total"]["value"] == "12.5"
    assert attributes["lines"]["evaluateName"] == "order.lines"
    assert outer_locals["password"]["value"] == "<redacted>"
    essay = outer_locals["essay"]
    assert essay["type"] == "str"
    assert "<… 40,000 more characters>" in essay["value"]  # head, what was not captured, tail

    # 8: evaluate in repl and hover, an expandable dict, an error that changes nothing
    for context in ("repl", "hover", "watch"):
        result = client.request("evaluate", {"expression": "a + 1", "frameId": frames[0]["id"],
                                             "context": context})
        assert result["result"] == "2" and result["variablesReference"] == 0
    settings = client.request("evaluate", {"expression": "settings", "frameId": frames[1]["id"],
                                           "context": "hover"})
    assert settings["indexedVariables"] == 3
    entries = variables(client, settings["variablesReference"])
    assert entries["'host'"]["value"] == "'db.local'"
    assert entries["'tags'"]["variablesReference"] > 0
    again = client.request("evaluate", {"expression": entries["'tags'"]["evaluateName"],
                                        "frameId": frames[1]["id"], "context": "watch"})
    assert again["result"] == "['a', 'b']"
    message = client.error("evaluate", {"expression": "d +", "frameId": frames[1]["id"],
                                        "context": "hover"})
    assert message.startswith("SyntaxError")
    assert "NameError" in client.error("evaluate", {"expression": "nowhere",
                                                    "frameId": frames[0]["id"]})

    outer_id = frames[1]["id"]
    assert client.request("evaluate", {"expression": "order.total * d", "frameId": outer_id,
                                       "context": "repl"})["result"] == "50.0"
    assert client.request("evaluate", {"expression": "print(d, 'and', len(numbers)); x = 7",
                                       "frameId": outer_id, "context": "repl"})["result"] == ""
    assert client.event("output") == {"category": "stdout", "output": "4 and 5000\n"}
    assert client.request("evaluate", {"expression": "x", "frameId": outer_id})["result"] == "7"
    assert "SyntaxError" in client.error("evaluate", {"expression": "y = 1", "frameId": outer_id,
                                                      "context": "hover"})
    copied = client.request("evaluate", {"expression": "essay", "frameId": outer_id,
                                         "context": "clipboard"})["result"]
    # the whole captured text: 9,000 characters of head and 1,000 of tail
    assert copied.count("x") == 10_000 and "<… 40,000 more characters>" in copied
    assert "SystemExit" in client.error("evaluate", {"expression": "exit(3)",
                                                     "frameId": outer_id, "context": "repl"})

    # 9: exceptionInfo
    info = client.request("exceptionInfo", {"threadId": 1})
    assert info["exceptionId"] == "TypeError" and info["breakMode"] == "unhandled"
    assert info["description"] == "unsupported operand type(s) for +: 'int' and 'str'"
    assert "c = a + b" in info["details"]["stackTrace"]

    # 10: the source of the deleted script comes from the dump
    source = frames[0]["source"]
    assert source["path"] == script and source["sourceReference"] > 0
    text = client.request("source", {"source": source, "sourceReference":
                                     source["sourceReference"]})["content"]
    assert text == README_CRASH

    # stepping is refused, and the session goes on
    for command in ("continue", "next", "stepIn", "stepOut"):
        assert "cannot run" in client.error(command, {"threadId": 1})
    assert client.request("threads")["threads"] == threads

    # 11: disconnect ends the server with status 0
    client.request("disconnect", {"restart": False})
    client.event("terminated")
    assert client.closed()
    assert server.wait() == 0
    assert not any("Traceback" in line for line in server.lines)


def test_the_readme_example(readme_dump: Path) -> None:
    """The seed example as dumped with no settings at all: frames, locals, globals, evaluate."""
    server = Server(readme_dump)
    client = server.client()
    client.attach()
    frames = client.request("stackTrace", {"threadId": 1})["stackFrames"]
    inner, outer, module = (f["id"] for f in frames)
    assert {n: v["value"] for n, v in scope(client, inner, "Locals").items()} == {
        "a": "1", "b": "'2'"}
    assert scope(client, outer, "Locals")["d"]["value"] == "4"
    scopes = client.request("scopes", {"frameId": module})["scopes"]
    assert [s["name"] for s in scopes] == ["Globals"]  # a module's locals are its globals
    assert "__builtins__" not in scope(client, module, "Globals")
    assert frames[0]["source"] == {"name": "readme.py", "path": str(CRASHES / "readme.py")}
    client.request("disconnect")
    assert server.wait() == 0


@pytest.mark.parametrize("name", sorted(LAST_LINES))
def test_dumps_of_format_1_open_in_an_editor(name: str) -> None:
    server = Server(FORMAT1 / name)
    client = server.client()
    assert client.attach()["text"] == LAST_LINES[name]
    frames = client.request("stackTrace", {"threadId": 1})["stackFrames"]
    assert scope(client, frames[0]["id"], "Locals")
    assert client.request("exceptionInfo", {"threadId": 1})["details"]["stackTrace"].endswith(
        LAST_LINES[name] + "\n")
    client.request("disconnect")
    assert server.wait() == 0


def test_a_file_changed_since_the_crash_is_served_from_the_dump(tmp_path: Path, crash) -> None:
    original = (CRASHES / "readme.py").read_text()
    result, dumps = crash(original)
    script = tmp_path / "crash.py"
    script.write_text("# edited after the crash\n" + original)
    server = Server(dumps[0])
    client = server.client()
    client.attach()
    source = client.request("stackTrace", {"threadId": 1})["stackFrames"][0]["source"]
    assert source["path"] == str(script) and "changed" in source["origin"]
    assert client.request("source", {"source": source})["content"] == original
    script.write_text(original)  # the same code again: the editor may open the file itself
    client.request("disconnect")
    assert server.wait() == 0
    server = Server(dumps[0])
    client = server.client()
    client.attach()
    source = client.request("stackTrace", {"threadId": 1})["stackFrames"][0]["source"]
    assert source == {"name": "crash.py", "path": str(script)}
    client.request("disconnect")
    assert server.wait() == 0


def test_chained_exceptions_are_threads(tmp_path: Path) -> None:
    dump = dump_of(tmp_path, "chains.py")
    server = Server(dump)
    client = server.client()
    client.attach()
    names = [t["name"] for t in client.request("threads")["threads"]]
    assert names == ["IndexError: list index out of range",
                     "context: ConfigError: no config 'b'",
                     "context.cause: KeyError: 'b'"]
    context = client.request("stackTrace", {"threadId": 2})["stackFrames"]
    assert [f["name"] for f in context] == ["load", "start"]
    cause = client.request("stackTrace", {"threadId": 3})["stackFrames"]
    assert [f["name"] for f in cause] == ["load"]
    path = scope(client, cause[0]["id"], "Locals")["path"]
    assert path["value"] == "'b'"
    info = client.request("exceptionInfo", {"threadId": 1})
    context = info["details"]["innerException"][0]
    assert context["typeName"] == "ConfigError"
    assert context["innerException"][0]["fullTypeName"] == "builtins.KeyError"
    assert "The above exception was the direct cause" in info["details"]["stackTrace"]
    assert client.request("exceptionInfo", {"threadId": 3})["exceptionId"] == "KeyError"
    client.request("disconnect")
    assert server.wait() == 0


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception groups are 3.11+")
def test_group_members_are_threads(tmp_path: Path) -> None:
    server = Server(dump_of(tmp_path, "groups.py"))
    client = server.client()
    client.attach()
    names = [t["name"] for t in client.request("threads")["threads"]]
    assert names[0] == "ExceptionGroup: outer (19 sub-exceptions)"
    assert "members.0: ExceptionGroup: inner (2 sub-exceptions)" in names
    assert "members.1: KeyError: 'k'" in names
    assert "members.0.members.1: ValueError: bad value 1" in names
    member = names.index("members.0.members.1: ValueError: bad value 1") + 1
    info = client.request("exceptionInfo", {"threadId": member})
    assert info["description"] == "bad value 1\nwhile handling item 1"
    frames = client.request("stackTrace", {"threadId": member})["stackFrames"]
    assert frames[0]["name"] == "fail"
    client.request("disconnect")
    assert server.wait() == 0


def test_a_thread_crash_and_the_other_threads(tmp_path: Path) -> None:
    server = Server(dump_of(tmp_path, "thread.py"))
    client = server.client()
    client.attach()
    threads = client.request("threads")["threads"]
    assert threads[0]["name"].startswith("TypeError: unsupported operand type(s) for +=")
    names = [t["name"] for t in threads]
    assert "thread MainThread" in names
    assert "thread worker-1 (its stack when the dump was written)" in names
    frames = client.request("stackTrace", {"threadId": 1})["stackFrames"]
    assert frames[0]["name"] == "work"
    work = scope(client, frames[0]["id"], "Locals")
    assert work["total"]["value"] == "1" and work["item"]["value"] == "None"
    assert client.request("evaluate", {"expression": "items", "frameId": frames[0]["id"]})[
        "result"] == "[1, None]"
    main = names.index("thread MainThread") + 1
    main_frames = client.request("stackTrace", {"threadId": main})["stackFrames"]
    assert main_frames[-1]["name"] == "<module>"
    assert "holds no exception" in client.error("exceptionInfo", {"threadId": main})
    client.request("disconnect")
    assert server.wait() == 0


DEEP = """\
import sys

sys.setrecursionlimit(10_000)


def down(n):
    level = n
    if n == 3_000:
        raise RecursionError(f"too deep at {level}")
    return down(n + 1)


down(0)
"""


def test_a_huge_stack_pages_and_shows_its_cut(crash) -> None:
    result, dumps = crash(DEEP)
    server = Server(dumps[0])
    client = server.client()
    client.attach()
    first = client.request("stackTrace", {"threadId": 1, "startFrame": 0, "levels": 1})
    total = first["totalFrames"]
    assert total == 2_001  # capture keeps 1,000 frames at each end, and says what it left out
    assert first["stackFrames"][0]["name"] == "down"
    top = first["stackFrames"][0]["id"]
    assert scope(client, top, "Locals")["level"]["value"] == "3000"
    middle = client.request("stackTrace", {"threadId": 1, "startFrame": 999, "levels": 3})
    gap = middle["stackFrames"][1]
    assert gap["presentationHint"] == "label" and "source" not in gap
    assert gap["name"] == "1,002 frames left out"
    before, after = middle["stackFrames"][0]["id"], middle["stackFrames"][2]["id"]
    assert scope(client, before, "Locals")["level"]["value"] == "2001"
    assert scope(client, after, "Locals")["level"]["value"] == "998"
    last = client.request("stackTrace", {"threadId": 1, "startFrame": total - 1, "levels": 20})
    assert [f["name"] for f in last["stackFrames"]] == ["<module>"]
    client.request("disconnect")
    assert server.wait() == 0


LIVE_STACKS = """\
import threading
from pydumpling_hook import dump_current_traceback

release = threading.Event()


def waiter(n):
    local_n = n
    release.wait()


worker = threading.Thread(target=waiter, args=(3,), name="waiter-1")
worker.start()


def main():
    state = {"phase": "dumping"}
    dump_current_traceback("live.dump")
    release.set()


main()
"""


def test_a_dump_of_live_threads(tmp_path: Path, crash) -> None:
    result, _ = crash(LIVE_STACKS)
    assert result.returncode == 0, result.stderr
    server = Server(tmp_path / "live.dump")
    client = server.client()
    stopped = client.attach()
    assert stopped["reason"] == "pause" and stopped["threadId"] == 1
    threads = client.request("threads")["threads"]
    assert [t["name"] for t in threads] == ["thread MainThread", "thread waiter-1"]
    main = client.request("stackTrace", {"threadId": 1})["stackFrames"]
    assert [f["name"] for f in main] == ["main", "<module>"]
    assert scope(client, main[0]["id"], "Locals")["state"]["indexedVariables"] == 1
    waiter = client.request("stackTrace", {"threadId": 2})["stackFrames"]
    frame = next(f for f in waiter if f["name"] == "waiter")
    assert scope(client, frame["id"], "Locals")["local_n"]["value"] == "3"
    assert client.request("evaluate", {"expression": "local_n * 2", "frameId": frame["id"],
                                       "context": "repl"})["result"] == "6"
    client.request("disconnect")
    assert server.wait() == 0
    assert dumps_in(tmp_path / "dumps") == []
