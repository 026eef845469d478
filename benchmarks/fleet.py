"""What the fleet features cost (issue 16), against a real S3 API on 127.0.0.1 (moto).

    python benchmarks/fleet.py            # 10,000 dumps in the bucket, 15 rounds
    python benchmarks/fleet.py --quick    # 200 dumps, 3 rounds (CI: keeps it working)

Run it with a venv that has the ``test-fleet`` extra (``.venvs/3.11`` or
``.venvs/3.13``). Every number is a median over fresh processes, the variants
interleaved round by round so a noisy neighbour hits them alike; nothing
asserts on time.

- startup: ``python -c pass`` with ``PYDUMPLING_DIR`` a local directory and an
  ``s3://`` URL (empty spool), and the main-thread cost of the spool check at
  start (importing ``engine.retry`` and ``retry_at_start``), with an empty spool
  and with a dump waiting (then a thread starts);
- crash time: the first capture in a process (what a crashing process pays,
  imports included), local, local encrypted, remote, remote encrypted;
- listing: ``--list`` and ``--list --group`` over N dumps in the bucket, next to
  the floor (s3fs alone making the same listing and ranged reads: moto, a
  Python server, answers one request at a time per core, so the server sets
  this number more than we do), and ``--list --group`` over the same files in
  a local directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from s3server import KEY, MotoServer  # noqa: E402 - the test suite's server harness

CRASH = """
import sys, time
import pydumpling_hook

def inner(rows):
    total = sum(rows)
    return total / 0

try:
    inner(list(range(1000)))
except ZeroDivisionError:
    started = time.perf_counter()
    path = pydumpling_hook.save_dumping()
    elapsed = time.perf_counter() - started
    assert path and not getattr(path, "problem", ""), path
    print(elapsed)
"""
SPOOL_CHECK = """
import os, time
from pydumpling_hook import config

settings = config.from_environment(directory=os.environ["BENCH_DIR"])
started = time.perf_counter()
from pydumpling_hook.engine import retry

retry.retry_at_start(settings)
print(time.perf_counter() - started)
"""


FLOOR = """
import fsspec
fs, root = fsspec.core.url_to_fs("s3://bench/fleet")
names = [e["name"] for e in fs.ls(root, detail=True)]
fs.cat_ranges(names, [0] * len(names), [4096] * len(names))
"""


def run(args: list, env: dict, status: int = 0) -> tuple:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != status:
        raise SystemExit(f"failed: {args}: {done.stderr[-2000:]}")
    return elapsed, done.stdout


def base_env(server: MotoServer, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYDUMPLING_", "AWS_"))}
    return {**env, **server.env(), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def ms(values: list) -> str:
    return f"{statistics.median(values) * 1000:9.1f} ms"


def measure(rounds: int, variants: dict) -> dict:
    """Run each variant once per round, in a rotating order; per variant, the times."""
    times: dict = {name: [] for name in variants}
    names = list(variants)
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(variants[name]())
    return times


def startup(server: MotoServer, work: Path, rounds: int) -> None:
    local = base_env(server, PYDUMPLING_DIR=str(work / "local"))
    remote = base_env(server, PYDUMPLING_DIR="s3://bench/startup",
                      PYDUMPLING_SPOOL=str(work / "spool-startup"))
    times = measure(rounds * 2, {
        "python -c pass, PYDUMPLING_DIR local": lambda: run(["-c", "pass"], local)[0],
        "python -c pass, PYDUMPLING_DIR s3://": lambda: run(["-c", "pass"], remote)[0],
    })
    for name, values in times.items():
        print(f"  {name:<55}{ms(values)}")
    pairs = zip(*times.values())
    print(f"  {'  s3:// minus local, median of per-round differences':<55}"
          f"{ms([b - a for a, b in pairs])}")
    waiting = base_env(server, PYDUMPLING_DIR="nosuch://bench/startup",
                       PYDUMPLING_SPOOL=str(work / "spool-waiting"))
    run([str(work / "crash.py")], waiting, status=1)  # a dump waits: nosuch:// never uploads
    empty = base_env(server, BENCH_DIR="s3://bench/startup",
                     PYDUMPLING_SPOOL=str(work / "spool-startup"))
    waiting = base_env(server, BENCH_DIR="nosuch://bench/startup",
                       PYDUMPLING_SPOOL=str(work / "spool-waiting"))
    checks = measure(rounds * 2, {  # called by the script: the first call in the process
        "spool check on the main thread, spool empty":
            lambda: float(run(["-c", SPOOL_CHECK], empty)[1]),
        "spool check on the main thread, a dump waiting (thread start)":
            lambda: float(run(["-c", SPOOL_CHECK], waiting)[1]),
    })
    for name, values in checks.items():
        print(f"  {name:<55}{statistics.median(values) * 1e6:9.0f} µs")


def crash_cost(server: MotoServer, work: Path, rounds: int) -> None:
    recipient = run(["-m", "pydumpling_hook", "--keygen", str(work / "bench.key")],
                    base_env(server))[1].strip()
    spool = {"PYDUMPLING_SPOOL": str(work / "spool-crash"), "PYDUMPLING_UPLOAD_TIMEOUT": "60"}
    envs = {
        "local": base_env(server, PYDUMPLING_DIR=str(work / "crash-local")),
        "local, encrypted": base_env(server, PYDUMPLING_DIR=str(work / "crash-sealed"),
                                     PYDUMPLING_RECIPIENT=recipient),
        "s3://": base_env(server, PYDUMPLING_DIR="s3://bench/crash", **spool),
        "s3://, encrypted": base_env(server, PYDUMPLING_DIR="s3://bench/crash-sealed",
                                     PYDUMPLING_RECIPIENT=recipient, **spool),
    }
    times = measure(rounds, {name: (lambda env=env: float(run(["-c", CRASH], env)[1]))
                             for name, env in envs.items()})
    for name, values in times.items():
        print(f"  first capture in a process, {name:<26}{ms(values)}")


def populate(server: MotoServer, work: Path, count: int) -> Path:
    """``count`` dumps of 20 sites from 50 hosts: in the bucket and in a local directory."""
    from pydumpling_hook.dumpformat import dumpfile

    run([str(work / "crash.py")], base_env(server, PYDUMPLING_DIR=str(work / "seed")), status=1)
    (seed,) = (work / "seed").glob("*.dump")
    body = dumpfile.read_body(str(seed))
    summary = dumpfile.read_header(str(seed))["summary"]
    local = work / "fleet"
    local.mkdir()
    batch: dict = {}
    import s3fs

    fs = s3fs.S3FileSystem(endpoint_url=server.endpoint, key=KEY, secret=KEY)
    for i in range(count):
        stamp = f"20261125T{i // 3600 % 24:02d}{i // 60 % 60:02d}{i % 60:02d}.{i:06d}Z"
        name = f"{stamp}-{1000 + i}-MainThread_{i:08x}-ZeroDivisionError.dump"
        data = dumpfile.encode(body, dict(
            summary, host=f"web-{i % 50}", fingerprint=f"{i % 20:016x}",
            crash_site=f"app/jobs.py:{100 + i % 20} in run", time=stamp))
        (local / name).write_bytes(data)
        batch[f"bench/fleet/{name}"] = data
        if len(batch) == 500 or i == count - 1:
            fs.pipe(batch)
            batch = {}
    return local


def listing(server: MotoServer, work: Path, rounds: int, count: int) -> None:
    local = populate(server, work, count)
    env = base_env(server)
    times = measure(rounds, {
        f"--list over {count:,} dumps in the bucket":
            lambda: run(["-m", "pydumpling_hook", "--list", "s3://bench/fleet"], env)[0],
        f"--list --group over {count:,} dumps in the bucket":
            lambda: run(["-m", "pydumpling_hook", "--list", "--group", "s3://bench/fleet"],
                        env)[0],
        "  the floor: s3fs alone, the same listing and ranged reads":
            lambda: run(["-c", FLOOR], env)[0],
        f"--list --group over {count:,} dumps in a local directory":
            lambda: run(["-m", "pydumpling_hook", "--list", "--group", str(local)], env)[0],
    })
    for name, values in times.items():
        print(f"  {name:<55}{ms(values)}")


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 dumps, 3 rounds")
    parser.add_argument("--dumps", type=int, help="dumps in the bucket (default 10,000)")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 15)")
    args = parser.parse_args(argv)
    count = args.dumps or (200 if args.quick else 10_000)
    rounds = args.rounds or (3 if args.quick else 15)
    with tempfile.TemporaryDirectory(prefix="pydumpling-fleet-bench-") as tmp:
        work = Path(tmp)
        (work / "crash.py").write_text("def f():\n    return 1 / 0\nf()\n")
        server = MotoServer(work / "moto.log")
        server.start()
        try:
            server.store().mkdir("bench")
            print(f"Python {sys.version.split()[0]}, moto on {server.endpoint}; medians of "
                  f"{rounds} rounds (startup: {rounds * 2})")
            print("startup")
            startup(server, work, rounds)
            print("crash time")
            crash_cost(server, work, rounds)
            print("listing")
            listing(server, work, max(3, rounds // 5), count)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
