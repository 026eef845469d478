"""@capture and ``with capture():``: one dump on the way through, the exception unchanged."""

from __future__ import annotations

import asyncio
import inspect

from conftest import assert_same_behaviour, notices

from pydumpling_hook.decorator import capture


def test_wrapping_keeps_what_inspect_sees():
    @capture
    def plain(a, b=2, *, c):
        "doc"

    @capture
    async def coro(x):
        return x

    @capture
    def gen():
        yield 1

    @capture
    async def agen():
        yield 1

    class K:
        @capture
        def method(self, y):
            return y

        @capture
        @classmethod
        def klass(cls):
            return cls

        @staticmethod
        @capture
        def static(z):
            return z

    assert str(inspect.signature(plain)) == "(a, b=2, *, c)"
    assert plain.__name__ == "plain" and plain.__doc__ == "doc"
    assert inspect.iscoroutinefunction(coro) and asyncio.run(coro(3)) == 3
    assert inspect.isgeneratorfunction(gen) and list(gen()) == [1]
    assert inspect.isasyncgenfunction(agen)
    assert K().method(4) == 4 and K.klass() is K and K.static(5) == K().static(5) == 5
    assert str(inspect.signature(K().method)) == "(y)"
    with capture() as manager:
        pass
    assert isinstance(manager, capture)
    assert capture()(plain) is not plain


SCRIPT = """
import asyncio, sys
from pydumpling_hook.decorator import capture

@capture
def parse(text):
    parsed_so_far = text[:2]
    return int(text)

class Service:
    @capture
    def handle(self, item):
        item_local = item * 2
        raise KeyError(item)

@capture
async def fetch(url):
    await asyncio.sleep(0)
    raise ConnectionError(url)

@capture
def rows(n):
    for i in range(n):
        yield i
    raise EOFError("no more rows")

@capture
async def stream(n):
    for i in range(n):
        yield i
    raise BufferError("stream broke")

async def consume():
    return [i async for i in stream(2)]

def run(name, call):
    try:
        call()
    except Exception as exc:
        print(name, "->", type(exc).__name__, exc)

run("function", lambda: parse("12x"))
run("method", lambda: Service().handle(21))
run("coroutine", lambda: asyncio.run(fetch("db")))
run("generator", lambda: list(rows(2)))
run("asyncgen", lambda: asyncio.run(consume()))
g = rows(5); next(g); g.close()                      # GeneratorExit: no dump
with capture():
    block_local = "in block"
    raise ArithmeticError("reaches the excepthook")
"""


def test_every_shape_dumps_once_and_propagates(compare, body):
    hooked, plain, dumps = compare(SCRIPT)
    assert_same_behaviour(hooked, plain)
    assert hooked.returncode == 1
    assert "function -> ValueError invalid literal" in hooked.stdout
    assert "asyncgen -> BufferError stream broke" in hooked.stdout
    kinds = sorted(d.name.rsplit("-", 1)[1] for d in dumps)
    assert kinds == sorted(f"{k}.dump" for k in (
        "ValueError", "KeyError", "ConnectionError", "EOFError", "BufferError",
        "ArithmeticError"))
    assert len(notices(hooked.stderr)) == 6
    by_type = {d.name.rsplit("-", 1)[1][:-5]: body(d) for d in dumps}
    assert all(b["meta"]["reason"] == "capture" for b in by_type.values())
    handle = next(f for f in by_type["KeyError"]["exception"]["frames"] if f["name"] == "handle")
    assert handle["locals"]["item_local"] == 42
    parse = next(f for f in by_type["ValueError"]["exception"]["frames"] if f["name"] == "parse")
    assert parse["locals"]["parsed_so_far"] == "12"
    block = by_type["ArithmeticError"]["exception"]["frames"][-1]
    assert block["name"] == "<module>"


def test_nested_captures_and_logging_make_one_dump(compare, body):
    hooked, plain, dumps = compare("""
        import logging
        from pydumpling_hook.decorator import capture
        logging.basicConfig()
        @capture
        def inner():
            depth = "inner"
            raise PermissionError("nested")
        @capture
        def outer():
            inner()
        try:
            with capture():
                outer()
        except PermissionError:
            logging.exception("logged after capture")
        outer()
    """)
    assert_same_behaviour(hooked, plain)
    assert len(dumps) == 2  # the first crash, and the second (uncaught) one
    frames = body(dumps[0])["exception"]["frames"]
    assert frames[-1]["name"] == "inner" and frames[-1]["locals"] == {"depth": "inner"}


def test_package_exports_capture():
    import pydumpling_hook

    pydumpling_hook.install()  # imports the engine's install-time modules
    try:
        assert pydumpling_hook.capture is capture
        assert not inspect.ismodule(pydumpling_hook.capture)
    finally:
        pydumpling_hook.uninstall()
