"""What ``--html`` and ``--serve`` cost (issue 15): medians, no assertions.

    python benchmarks/html.py [--rounds 7] [--dumps 1000]

* **report**: the 40-frame ``web`` dump of ``scenarios.py`` turned into a
  report, in process (load, view, render: the first call also compiles the
  templates) and as a whole ``pydumpling-open FILE --html OUT`` process
  (interpreter, imports and all); and the report's size.
  Target: at most 300 ms and 2 MB.
* **serve**: the first page of ``pydumpling-open --serve`` over a directory of
  1,000 dumps (copies of the web dump whose headers say 25 crash sites and
  1,000 times), timed from the request to the last byte, the first request
  and later ones apart. Target: at most 1 s, reading headers only.

Run it with a Python that has the ``[html]`` extra (``.venvs/3.11/bin/python``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAGIC_LENGTH = 17  # dumpfile.MAGIC; the header's length follows it


def web_dump(workdir: Path) -> Path:
    """A real dump of the web scenario, captured by our package in a fresh process."""
    out = workdir / "web.dump"
    done = subprocess.run([sys.executable, str(HERE / "scenarios.py"), "--tool", "ours",
                           "--scenario", "web", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    if not out.exists():
        raise SystemExit(f"the web scenario left no dump:\n{done.stdout}{done.stderr}")
    return out


def median_ms(samples: list) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def bench_report(dump: Path, workdir: Path, rounds: int) -> dict:
    from pydumpling_hook.loader import load
    from pydumpling_hook.loader.html import report_html

    inside, size = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        size = len(report_html(load(str(dump))).encode("utf-8"))
        inside.append(time.perf_counter() - start)
    whole = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pydumpling_hook", str(dump), "--html",
                        str(workdir / "web.html")], check=True, capture_output=True, timeout=120)
        whole.append(time.perf_counter() - start)
    return {"first call": median_ms(inside[:1]), "later calls": median_ms(inside[1:]),
            "whole process": median_ms(whole), "size": f"{size / 1_000_000:.2f} MB"}


def fill(directory: Path, dump: Path, count: int) -> None:
    """``count`` copies of ``dump`` whose headers differ: 25 sites, one time each."""
    data = dump.read_bytes()
    (length,) = struct.unpack(">I", data[MAGIC_LENGTH:MAGIC_LENGTH + 4])
    header = json.loads(data[MAGIC_LENGTH + 4:MAGIC_LENGTH + 4 + length])
    rest = data[MAGIC_LENGTH + 4 + length:]
    directory.mkdir()
    for i in range(count):
        summary = header["summary"]
        summary["site"] = f"/srv/app/handlers_{i % 25}.py:{10 + i % 25} in handle"
        summary["time"] = f"2026-01-{1 + i % 28:02d}T10:{i // 60 % 60:02d}:{i % 60:02d}.000000Z"
        raw = json.dumps(header).encode()
        name = f"2026{i:06d}-{i}-MainThread-ValueError.dump"
        (directory / name).write_bytes(data[:MAGIC_LENGTH] + struct.pack(">I", len(raw)) + raw
                                       + rest)


def fetch(port: int) -> float:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/", headers={"Host": f"127.0.0.1:{port}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200 or body.count(b'<tr class="row dump">') == 0:
        raise SystemExit(f"--serve answered {response.status}")
    return time.perf_counter() - start


def bench_serve(directory: Path, rounds: int) -> dict:
    """Each round starts a server: its first page is cold (imports, templates), the next warm."""
    first, later = [], []
    for _ in range(rounds):
        server = subprocess.Popen([sys.executable, "-m", "pydumpling_hook", "--serve",
                                   str(directory), "--port", "0"], stderr=subprocess.PIPE,
                                  text=True)
        try:
            port = int(re.search(r"127\.0\.0\.1:(\d+)/", server.stderr.readline()).group(1))
            first.append(fetch(port))
            later.append(fetch(port))
        finally:
            server.send_signal(2)
            server.wait(timeout=30)
            server.stderr.close()
    return {"first request": median_ms(first), "later requests": median_ms(later)}


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="at least 2")
    parser.add_argument("--dumps", type=int, default=1000)
    args = parser.parse_args(argv)
    args.rounds = max(args.rounds, 2)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src")],
                   check=False)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        dump = web_dump(workdir)
        rows = {"report of the 40-frame web dump (target ≤ 300 ms, ≤ 2 MB)":
                bench_report(dump, workdir, args.rounds)}
        fill(workdir / "many", dump, args.dumps)
        rows[f"--serve first page, {args.dumps:,} dumps (target ≤ 1 s)"] = bench_serve(
            workdir / "many", args.rounds)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, medians of {args.rounds}")
    for title, numbers in rows.items():
        print(f"\n{title}")
        for key, value in numbers.items():
            print(f"  {key:<16} {value}")


if __name__ == "__main__":
    main()
