"""Whole stacks for caught exceptions: the callers of the catching frame are in the dump.

A dump written where an exception was caught (logging, ``@capture``,
``save_dumping``, pytest, asyncio, a pool worker) records the frames above the
one that caught it, still running at that moment, with their locals. Debuggers
show them above the traceback, ``up`` walks into them, and ``--print`` keeps
Python's text (``--locals`` adds them after it).
"""

from __future__ import annotations

import re
import textwrap

import pytest
from conftest import clean_env, dumps_in, need, run_python
from test_debuggers import LINE_DEBUGGERS, Session, command, session_env

LOGGED = """\
import logging


def view(request):
    prices = {"tea": 3}
    return prices[request]


def handle(request):
    try:
        return view(request)
    except KeyError:
        logging.getLogger("shop").exception("request %s failed", request)


def serve():
    queue = ["tea", "cake"]
    for request in queue:
        handle(request)


serve()
"""


def outer_names(data: dict) -> list:
    return [f["name"] for f in (data["exception"].get("outer") or {}).get("frames", [])]


def test_logging_dump_holds_the_callers_with_their_locals(crash, body):
    result, (dump,) = crash(LOGGED)
    data = body(dump)
    assert [f["name"] for f in data["exception"]["frames"]] == ["handle", "view"]
    assert outer_names(data) == ["<module>", "serve"]
    serve = data["exception"]["outer"]["frames"][1]
    assert serve["locals"] == {"queue": ["tea", "cake"], "request": "cake"}
    assert serve["lineno"] == 19


def test_print_keeps_pythons_text_and_locals_add_the_callers(crash, tmp_path):
    result, (dump,) = crash(LOGGED)
    plain = run_python(["-m", "pydumpling_hook", "--print", str(dump)]).stdout
    assert plain.startswith("Traceback (most recent call last):")
    assert "serve" not in plain and "Callers" not in plain
    assert plain.rstrip().endswith("KeyError: 'cake'")
    full = run_python(["-m", "pydumpling_hook", "--print", "--locals", str(dump)]).stdout
    traceback_part, heading, callers = full.partition("Callers of the frame that caught")
    assert heading and "KeyError: 'cake'" in traceback_part
    assert "in serve" in callers and "    queue = ['tea', 'cake']" in callers


def test_excepthook_dump_has_no_callers(crash, body):
    result, (dump,) = crash("def f():\n    1 / 0\n\nf()\n")
    assert "outer" not in body(dump)["exception"]


@pytest.mark.parametrize("kind, source, expected", [
    ("capture", """\
        from pydumpling_hook import capture

        @capture
        def job(n):
            return 1 / n

        def runner():
            pending = [0]
            try:
                job(pending[0])
            except ZeroDivisionError:
                pass

        runner()
        """, ["<module>", "runner"]),
    ("save_dumping", """\
        from pydumpling_hook import save_dumping

        def work():
            try:
                {}["k"]
            except KeyError:
                save_dumping()

        def main():
            attempt = 1
            work()

        main()
        """, ["<module>", "main"]),
    ("asyncio", """\
        import asyncio

        def tick(n):
            return 1 / n

        async def main():
            asyncio.get_running_loop().call_soon(tick, 0)
            await asyncio.sleep(0.05)

        asyncio.run(main())
        """, ["run_forever", "_run_once"]),
])
def test_each_catching_capture_point_records_callers(crash, body, kind, source, expected):
    result, dumps = crash(textwrap.dedent(source))
    assert len(dumps) == 1, result.stderr
    names = outer_names(body(dumps[0]))
    assert all(name in names for name in expected), names
    assert names[0] == "<module>"


def test_pool_worker_dump_reaches_the_worker_loop(compare, body):
    hooked, plain, dumps = compare("int_processes.py", args=["fork"], timeout=120)
    by_reason = {body(d)["meta"]["reason"]: body(d) for d in dumps}
    names = outer_names(by_reason["multiprocessing.pool"])
    assert "worker" in names or "_bootstrap" in names, names


def test_pytest_dump_reaches_the_test_protocol(tmp_path, body):
    (tmp_path / "test_one.py").write_text("def test_fails():\n    assert 1 == 2\n")
    run_python(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--dumpling-dir",
                str(tmp_path / "dumps"), str(tmp_path / "test_one.py")], cwd=tmp_path)
    (dump,) = dumps_in(tmp_path / "dumps")
    names = outer_names(body(dump))
    assert "call_and_report" in names and "pytest_runtestloop" in names


@pytest.mark.parametrize("debugger", LINE_DEBUGGERS)
def test_debuggers_show_the_callers_and_up_walks_into_them(crash, tmp_path, debugger):
    result, (dump,) = crash(LOGGED)
    (tmp_path / "crash.py").unlink()
    session = Session(command(dump, "--debugger", debugger), session_env(tmp_path), debugger)
    assert "return prices[request]" in session.opening
    stack = session.run("bt")
    assert stack.index("serve()") < stack.index("handle()") < stack.index("view()")
    session.run("up")
    session.run("up")
    assert session.run("p queue, request").strip() == "(['tea', 'cake'], 'cake')"
    assert session.quit() == 0


FLASK_APP = """\
import threading
import urllib.request

from flask import Flask
from werkzeug.serving import make_server

app = Flask("shop")


def price(cart):
    total = sum(cart)
    return total / len(cart[3:])


@app.route("/checkout")
def checkout():
    cart = [1, 2, 3]
    return str(price(cart))


server = make_server("127.0.0.1", 0, app, threaded=False)


def client():
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/checkout", timeout=30)
    except Exception as error:
        print("client got", error)
    server.shutdown()


threading.Thread(target=client).start()
server.serve_forever(poll_interval=0.05)
"""


@pytest.mark.heavy
def test_flask_logging_dump_walks_up_to_the_server_loop(tmp_path):
    need("flask")
    script = tmp_path / "shop.py"
    script.write_text(FLASK_APP)
    dumps = tmp_path / "dumps"
    result = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(dumps)), cwd=tmp_path,
                        timeout=120)
    assert "client got HTTP Error 500" in result.stdout, result.stderr
    (dump,) = dumps_in(dumps)
    script.unlink()
    session = Session(command(dump, "--debugger", "pdb"), session_env(tmp_path), "pdb")
    assert "return total / len(cart[3:])" in session.opening
    where = session.run("up")
    assert re.search(r"shop\.py\(\d+\)checkout\(\)", where), where  # the view
    assert session.run("p cart").strip() == "[1, 2, 3]"
    for _ in range(40):  # Flask's dispatch, werkzeug's handler, socketserver's loop
        where = session.run("up")
        if "serve_forever()" in where or "Oldest frame" in where:
            break
    assert "serve_forever()" in where, where
    assert session.run("p poll_interval").strip() == "0.05"
    assert session.quit() == 0


def test_dump_without_callers_loads_as_before(readme_dump):
    """An excepthook dump, like every dump written before 'outer' existed, has none."""
    from pydumpling_hook import load

    dump = load(str(readme_dump))
    assert "outer" not in dump.exception
    names = []
    tb = dump.traceback()
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert names == ["<module>", "outer", "inner"]

