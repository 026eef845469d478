"""Hostile and damaged dumps through the DAP server: every view an editor opens must answer.

The fuzz corpus of ``tests/fuzzing.py`` (real dumps with mutated bodies, and
hand-made attacks) is opened the way ``--dap`` opens it: ``load`` refuses the
file with a ``DumpError``, or the session is built and serves an editor that
opens every thread, frame, scope and expandable value once. No request may
end in an internal error, and no code from the file may run.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

import fuzz_crafted
import fuzzing
import pytest
from dap_client import Client

from pydumpling_hook.loader import DumpError, load
from pydumpling_hook.loader.dap import serve_dump

TOKEN = "fuzz-token-0123456789"

SEED = 20261129
MUTATIONS = 80


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The crafted attacks, and real dumps with hostile values and cycles in their bodies."""
    work = tmp_path_factory.mktemp("dap-fuzz")
    seeds = fuzzing.make_seeds(work)
    rng = random.Random(SEED)
    shapes = [fuzzing.Case(f"shape-{i}", fuzzing.mut_shape(rng.choice(seeds), rng))
              for i in range(MUTATIONS)]
    paths = []
    for case in fuzz_crafted.crafted(seeds, work / "MARKER") + shapes:
        paths.append(work / f"{case.name}.dump")
        paths[-1].write_bytes(case.data)
    return {"paths": paths, "marker": work / "MARKER"}


def served(path: Path) -> Client:
    """``--dap`` on ``path`` in a thread of this process, and a client attached to it."""
    ready = threading.Event()
    address = {}

    def announce(line: str) -> None:
        if "listening on" in line:
            address["port"] = int(line.rsplit(":", 2)[-2])
            ready.set()

    def run(dump: object) -> None:
        try:
            serve_dump(dump, "127.0.0.1", 0, TOKEN, timeout=30, announce=announce)
        except BaseException as exc:  # reported by the test, not lost in a thread
            address["error"] = f"{type(exc).__name__}: {exc}"
            ready.set()

    threading.Thread(target=run, args=(load(str(path)),), daemon=True).start()
    assert ready.wait(30)
    assert "error" not in address, (path.name, address["error"])
    return Client(socket.create_connection(("127.0.0.1", address["port"]), timeout=30), TOKEN)


def open_everything(client: Client) -> list:
    """What an editor user clicking through everything would ask; the failed responses."""
    failures = []

    def ask(command: str, arguments: dict) -> dict:
        response = client.response(client.send(command, arguments))
        if not response["success"] and "internal error" in response["message"]:
            failures.append((command, arguments, response["message"]))
        return response.get("body", {})

    client.attach()
    for thread in ask("threads", {}).get("threads", []):
        ask("exceptionInfo", {"threadId": thread["id"]})
        frames = ask("stackTrace", {"threadId": thread["id"]}).get("stackFrames", [])
        for frame in frames[:4]:
            if frame.get("source", {}).get("sourceReference"):
                ask("source", {"sourceReference": frame["source"]["sourceReference"]})
            ask("evaluate", {"expression": "len(dir())", "frameId": frame["id"]})
            for scope in ask("scopes", {"frameId": frame["id"]}).get("scopes", []):
                found = ask("variables", {"variablesReference": scope["variablesReference"]})
                for variable in found.get("variables", [])[:20]:
                    if variable["variablesReference"]:
                        ask("variables", {"variablesReference": variable["variablesReference"],
                                          "start": 0, "count": 50})
    client.request("disconnect")
    return failures


def test_every_dump_is_refused_or_served_whole(corpus: dict) -> None:
    opened = 0
    problems = []
    for path in corpus["paths"]:
        try:
            client = served(path)
        except DumpError:
            continue
        opened += 1
        failures = open_everything(client)
        client.close()
        if failures:
            problems.append(f"{path.name}: {failures[:3]}")
    assert problems == []
    assert opened > 50, opened
    assert not corpus["marker"].exists()
