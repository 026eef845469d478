"""How fast ``pydumpling-open --dap`` answers an editor (issue 14): medians, no assertions.

* **to stopped**: from starting ``pydumpling-open WEB.dump --dap --port 0`` to
  the ``stopped`` event, through VS Code's attach flow (initialize, attach,
  configurationDone), for the ``web`` scenario's 40-frame dump. Target 1 s.
* **first page**: for a dump whose locals hold a 1,000,000-item list and a
  1,000,000-entry dict (captured with ``Budgets(items=...)`` raised, since
  capture keeps 1,000 items by default), the ``variables`` request for the
  Locals scope (which counts the children of both) and then the first page
  (``start 0, count 100``, what VS Code asks for) of each; the dict's last
  page too, which walks the whole dict. Target 100 ms for a first page.

Each round is a fresh server process, so every number is a first request;
the numbers are wall times seen by the client over loopback TCP.

    .venvs/3.11/bin/python benchmarks/dap.py [--rounds 7] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from dap_client import Client, Server  # noqa: E402 - the tests' scripted client

BIG = 1_000_000
TARGETS = {"to stopped": 1.0, "list first page": 0.1, "dict first page": 0.1}
BIG_CRASH = textwrap.dedent(f"""
    import pydumpling_hook
    from pydumpling_hook.config import Budgets

    pydumpling_hook.install(budgets=Budgets(items={BIG + 1}, total=4 << 30))


    def handler():
        rows = list(range({BIG}))
        index = {{f"key-{{i}}": i for i in range({BIG})}}
        return rows[{BIG}]


    try:
        handler()
    except IndexError:
        print(pydumpling_hook.save_dumping(__import__("sys").argv[1]))
""")


def make_dumps(work: Path) -> tuple:
    web = work / "web.dump"
    subprocess.run([sys.executable, str(HERE / "scenarios.py"), "--tool", "ours", "--scenario",
                    "web", "--out", str(web)], check=True, stdout=subprocess.DEVNULL)
    script = work / "big.py"
    script.write_text(BIG_CRASH)
    big = work / "big.dump"
    subprocess.run([sys.executable, str(script), str(big)], check=True, stdout=subprocess.DEVNULL)
    return web, big


def timed_variables(client: Client, arguments: dict) -> tuple:
    """Seconds for one ``variables`` request, and the variables it returned."""
    start = time.perf_counter()
    found = client.request("variables", arguments)["variables"]
    return time.perf_counter() - start, found


def to_stopped(dump: Path) -> float:
    server = Server(dump)
    client = server.client()
    client.attach()
    elapsed = time.perf_counter() - server.started
    client.request("disconnect")
    server.wait()
    return elapsed


def pages(dump: Path) -> dict:
    server = Server(dump)
    client = server.client()
    client.attach()
    frame = client.request("stackTrace", {"threadId": 1, "levels": 1})["stackFrames"][0]
    scope = client.request("scopes", {"frameId": frame["id"]})["scopes"][0]
    out = {}
    out["Locals scope"], found = timed_variables(
        client, {"variablesReference": scope["variablesReference"]})
    by_name = {v["name"]: v for v in found}
    for name, label in (("rows", "list"), ("index", "dict")):
        assert by_name[name]["indexedVariables"] == BIG, by_name[name]
        out[f"{label} first page"], _ = timed_variables(client, {
            "variablesReference": by_name[name]["variablesReference"], "filter": "indexed",
            "start": 0, "count": 100})
    out["dict last page"], _ = timed_variables(client, {
        "variablesReference": by_name["index"]["variablesReference"], "filter": "indexed",
        "start": BIG - 100, "count": 100})
    client.request("disconnect")
    server.wait()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="one round (CI: keeps it working)")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src")],
                   stdout=subprocess.DEVNULL, check=False)
    with tempfile.TemporaryDirectory() as scratch:
        web, big = make_dumps(Path(scratch))
        samples: dict = {"to stopped": []}
        for _ in range(rounds):
            samples["to stopped"].append(to_stopped(web))
            for name, seconds in pages(big).items():
                samples.setdefault(name, []).append(seconds)
    print(f"pydumpling-open --dap, Python {sys.version.split()[0]}, {rounds} round(s), medians:")
    for name, values in samples.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else (
            f"  target {target * 1000:.0f} ms: {'PASS' if median <= target else 'MISS'}")
        print(f"  {name:<16} {median * 1000:8.1f} ms  (min {min(values) * 1000:.1f}, "
              f"max {max(values) * 1000:.1f}){verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
