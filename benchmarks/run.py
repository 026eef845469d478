"""Benchmark pydumpling-hook against pydumpling, pydump, coredumpy and a floor (issues 6, 13).

    python benchmarks/run.py            # full table (sets up missing anchor venvs first)
    python benchmarks/run.py --quick    # one round; anchors only if already set up (CI)
    python benchmarks/run.py --setup    # only create the anchor venvs under benchmarks/.anchors

Every number comes from fresh processes, interleaved across tools, summarised by
medians; ratios are taken against the same run. Each capture is measured cold
(the first of its process, imports included) and warm. The machine's load
during the run is printed with the tables. Nothing asserts on time: a missed
target prints MISS, a failing tool prints its error in its cell.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402 - the harness modules sit next to this script
import runner  # noqa: E402
import toolset  # noqa: E402
from scenarios import BIGGEST, SCENARIOS  # noqa: E402

LIST_DUMPS = 200


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one round, fewer startup runs, anchors only if set up (for CI)")
    parser.add_argument("--setup", action="store_true",
                        help="create the anchor venvs under benchmarks/.anchors and exit")
    parser.add_argument("--ours", metavar="PYTHON",
                        help=f"python of a venv with pydumpling-hook installed "
                             f"(default: {toolset.venv_python(toolset.OURS_VENV)})")
    parser.add_argument("--repeats", type=int, help="rounds per cell (default 5, quick 1)")
    parser.add_argument("--timeout", type=float,
                        help="seconds per process before it counts as timeout "
                             "(default 120, quick 20)")
    parser.add_argument("--slow", type=float, default=5.0,
                        help="a cell whose first capture process takes longer is not repeated")
    parser.add_argument("--startup-runs", type=int, help="runs per startup row (default 30, "
                        "quick 5)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated subset of: " + ", ".join(SCENARIOS))
    parser.add_argument("--tools", help="comma-separated subset of: ours, floor, pydumpling, "
                        "pydump, coredumpy")
    parser.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.timeout = args.timeout or (20.0 if args.quick else 120.0)
    args.startup_runs = args.startup_runs or (5 if args.quick else 30)
    return args


def compile_ours(ours_python: Path) -> None:
    """Byte-compile our package, as an installed wheel is: with PYTHONDONTWRITEBYTECODE
    set (as on this machine) every run would otherwise pay for compiling the sources."""
    import subprocess

    src = Path(__file__).resolve().parent.parent / "src"
    subprocess.run([str(ours_python), "-m", "compileall", "-q", str(src)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def prepare(args: argparse.Namespace, ours_python: Path) -> list[str]:
    """Full mode makes what is missing; quick mode makes only the bare venv (seconds),
    without which startup has no baseline."""
    if ours_python.exists():
        compile_ours(ours_python)
    if args.quick:
        bare = toolset.venv_python(toolset.ANCHORS_DIR / "bare")
        return [] if bare.exists() else toolset.setup_anchors(["bare"])
    problems = []
    if not ours_python.exists() and not args.ours:
        problems += toolset.setup_ours()
    missing = [name for name in toolset.ANCHOR_REQUIREMENTS
               if not toolset.venv_python(toolset.ANCHORS_DIR / name).exists()]
    if missing:
        problems += toolset.setup_anchors(missing)
    return problems


def select_tools(args: argparse.Namespace, ours_python: Path) -> list[toolset.Tool]:
    """The tools to measure; an anchor without its venv is left out (with a note)."""
    wanted = set(args.tools.split(",")) if args.tools else None
    tools = []
    for tool in toolset.make_tools(ours_python):
        if wanted is not None and tool.name not in wanted:
            continue
        if tool.anchor and not tool.available:
            print(f"note: {tool.name} skipped, no venv at {tool.python.parent.parent} "
                  f"(python benchmarks/run.py --setup)", file=sys.stderr)
            continue
        tools.append(tool)
    return tools


def measure_startup(args, ours_python: Path, workdir: Path, sampler: runner.LoadSampler):
    """Startup rows and the importtime figure, all interleaved."""
    bare = toolset.venv_python(toolset.ANCHORS_DIR / "bare")
    anchors = {name: toolset.venv_python(toolset.ANCHORS_DIR / name)
               for name in ("pydumpling", "pydump", "coredumpy")}
    anchors = {k: v for k, v in anchors.items() if v.exists()}
    timings = runner.startup_timings(ours_python, bare if bare.exists() else None, anchors,
                                     workdir / "auto-dumps")
    runner.time_interleaved(timings, args.startup_runs, args.timeout, sampler)
    importtime = runner.importtime_us(ours_python, "pydumpling_hook", args.startup_runs,
                                      args.timeout)
    return timings, importtime


def machine_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return (f"{datetime.datetime.now().isoformat(timespec='seconds')}  "
            f"{platform.node()}  {os.cpu_count()} CPUs  load {', '.join(f'{x:.2f}' for x in load)}"
            f"  {platform.platform()}")


def write_json(path: str, matrix: runner.Matrix, timings, importtime) -> None:
    data = {
        "cells": {f"{s}/{t}": asdict(c) for (s, t), c in matrix.cells.items()},
        "startup": [asdict(t) | {"env": None} for t in timings],
        "importtime_us": importtime[0],
        "load_average": matrix.load.loads,
        "cpu_busy_share": matrix.load.busy_share(),
    }
    Path(path).write_text(json.dumps(data, indent=1))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.setup:
        problems = toolset.setup_anchors()
        for problem in problems:
            print(f"setup: {problem}", file=sys.stderr)
        return 1 if problems else 0
    ours_python = Path(args.ours) if args.ours else toolset.venv_python(toolset.OURS_VENV)
    for problem in prepare(args, ours_python):
        print(f"setup: {problem}", file=sys.stderr)
    tools = select_tools(args, ours_python)
    scenarios = [s for s in args.scenarios.split(",") if s in SCENARIOS]
    workdir = Path(tempfile.mkdtemp(prefix="pydumpling-bench-"))
    try:
        print(f"capture: {len(scenarios)} scenarios x {len(tools)} tools x {args.repeats} "
              f"round(s)", file=sys.stderr)
        matrix = runner.Matrix(tools, scenarios, workdir, args.timeout, args.slow)
        matrix.run(args.repeats)
        print("startup ...", file=sys.stderr)
        timings, importtime = measure_startup(args, ours_python, workdir, matrix.load)
        if matrix.kept_dump is not None:
            listing = runner.list_timing(ours_python.parent, matrix.kept_dump, workdir,
                                         LIST_DUMPS)
            runner.time_interleaved([listing], max(1, args.startup_runs // 6), args.timeout,
                                    matrix.load)
            timings.append(listing)
        print_report(args, matrix, timings, importtime, ours_python)
        if args.json:
            write_json(args.json, matrix, timings, importtime)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def print_report(args, matrix, timings, importtime, ours_python: Path) -> None:
    print(f"pydumpling-hook benchmarks ({'quick' if args.quick else 'full'})  {machine_line()}")
    print(f"ours: {ours_python}")
    print()
    print(report.main_table(matrix, BIGGEST))
    print(report.runs_note(matrix))
    print(report.load_note(matrix.load))
    print()
    print(report.first_capture_table(matrix))
    print()
    print(report.startup_table(timings, importtime))
    print()
    print(report.targets_table(report.Results(matrix, timings)))
    notes = report.error_notes(matrix)
    if notes:
        print()
        print("Errors:")
        for note in notes:
            print(f"  {note}")


if __name__ == "__main__":
    sys.exit(main())
