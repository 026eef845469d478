"""What ``--html`` and ``--serve`` cost (issue 15): medians, no assertions.

    python benchmarks/html_report.py [--rounds 7] [--dumps 1000]

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
import resource
import signal
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

    inside, inside_cpu, size = [], [], 0
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        size = len(report_html(load(str(dump))).encode("utf-8"))
        inside.append(time.perf_counter() - start)
        inside_cpu.append(time.process_time() - cpu)
    whole, whole_cpu = [], []
    for _ in range(rounds):
        start, cpu = time.perf_counter(), children_cpu()
        subprocess.run([sys.executable, "-m", "pydumpling_hook", str(dump), "--html",
                        str(workdir / "web.html")], check=True, capture_output=True, timeout=120)
        whole.append(time.perf_counter() - start)
        whole_cpu.append(children_cpu() - cpu)
    return {"first call": f"{median_ms(inside[:1])} (CPU {median_ms(inside_cpu[:1])})",
            "later calls": f"{median_ms(inside[1:])} (CPU {median_ms(inside_cpu[1:])})",
            "whole process": f"{median_ms(whole)} (CPU {median_ms(whole_cpu)})",
            "size": f"{size / 1_000_000:.2f} MB"}


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: on a shared machine
    this moves far less with the neighbours' load than wall time does."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def fetch(port: int, token: str) -> float:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", f"/?token={token}", headers={"Host": f"127.0.0.1:{port}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200 or body.count(b'<tr class="row dump">') == 0:
        raise SystemExit(f"--serve answered {response.status}")
    return time.perf_counter() - start


def _ctrl_c_stops() -> None:
    """The server is stopped with Ctrl-C, as a user stops it; a benchmark run as a
    background job of a shell inherits SIGINT ignored, which would make it hang."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def bench_serve(directory: Path, rounds: int) -> dict:
    """Each round starts a server: its first page is cold (imports, templates), the next warm."""
    first, later, first_cpu, later_cpu = [], [], [], []
    for _ in range(rounds):
        server = subprocess.Popen([sys.executable, "-m", "pydumpling_hook", "--serve",
                                   str(directory), "--port", "0"], stderr=subprocess.PIPE,
                                  text=True, preexec_fn=_ctrl_c_stops)
        try:
            match = re.search(r"127\.0\.0\.1:(\d+)/\?token=(\S+)", server.stderr.readline())
            port, token = int(match.group(1)), match.group(2)
            for wall, cpu in ((first, first_cpu), (later, later_cpu)):
                before = process_cpu(server.pid)
                wall.append(fetch(port, token))
                cpu.append(process_cpu(server.pid) - before)
        finally:
            server.send_signal(2)
            server.wait(timeout=30)
            server.stderr.close()
    return {"first request": f"{median_ms(first)} (CPU {median_ms(first_cpu)})",
            "later requests": f"{median_ms(later)} (CPU {median_ms(later_cpu)})"}


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used (``/proc/PID/stat``: utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, medians of {args.rounds} (wall time, CPU time)")
    for title, numbers in rows.items():
        print(f"\n{title}")
        for key, value in numbers.items():
            print(f"  {key:<16} {value}")


if __name__ == "__main__":
    main()
