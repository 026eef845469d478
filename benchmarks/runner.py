"""Run the measurements: every tool x scenario in fresh processes, interleaved.

The machine is shared and noisy, so nothing here trusts a single number: each
cell is repeated and summarised by its median, the tools take turns within each
round (the order rotates every round and scenario), and every ratio is taken
against numbers from the same run. A cell whose first run is slow (or fails, or
times out) is not repeated, which keeps the anchors' multi-minute cases to one
run each.

Each round of a cell runs two capture processes back to back: a cold one (the
scenario's capture is the first of the process) and a warm one (a tiny capture
first). The machine's load is sampled before every process (``LoadSampler``),
so that the report can say how busy the machine was while it measured.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from toolset import Tool

RESULT_PREFIX = "RESULT "  # the same marker scenarios.py prints


@dataclass
class Proc:
    """What a child process did: exit code (None on timeout), output, wall time."""

    rc: int | None
    stdout: str
    stderr: str
    wall: float

    @property
    def timed_out(self) -> bool:
        return self.rc is None

    def failure(self) -> str:
        """A one-line reason to show in a table cell."""
        if self.timed_out:
            return "timeout"
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return (lines[-1] if lines else f"exit {self.rc}")[:200]


@dataclass
class Cell:
    """Everything measured for one tool on one scenario.

    ``cold_*`` come from processes whose first capture was the scenario's; the
    others from processes that captured a tiny exception first (warm)."""

    capture_s: list[float] = field(default_factory=list)
    cold_s: list[float] = field(default_factory=list)
    peak: list[int] = field(default_factory=list)
    cold_peak: list[int] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    load_s: list[float] = field(default_factory=list)
    traceback_s: list[float] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)
    tb_frames: int | None = None
    fidelity: dict | None = None
    errors: list[str] = field(default_factory=list)
    load_error: str | None = None
    traceback_error: str | None = None
    fidelity_error: str | None = None
    finished: bool = False

    @property
    def error(self) -> str | None:
        """Why the cell has no numbers at all (a failure after good runs is only noted)."""
        return None if self.capture_s or not self.errors else self.errors[0]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for every child: no PYDUMPLING_* (so no auto hooks), no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYDUMPLING_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


def run_process(argv: Sequence[str], timeout: float, env: dict[str, str] | None = None,
                keep_stdout: bool = True) -> Proc:
    """Run one child, timing it as a whole process; a timeout or a missing file is a result."""
    start = time.perf_counter()
    try:
        done = subprocess.run(list(argv), stdout=subprocess.PIPE if keep_stdout
                              else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              errors="replace", timeout=timeout, env=env or clean_env())
    except subprocess.TimeoutExpired:
        return Proc(None, "", "", time.perf_counter() - start)
    except OSError as error:
        return Proc(127, "", str(error), time.perf_counter() - start)
    return Proc(done.returncode, done.stdout or "", done.stderr, time.perf_counter() - start)


def parse_result(proc: Proc) -> dict:
    """The JSON result line of a scenario process, or an error dict saying why not."""
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    return {"error": proc.failure()}


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


class LoadSampler:
    """The 1-minute load average and the whole machine's CPU use, sampled during a run.

    The load average counts every runnable process, ours included (a capture
    process adds about one while it runs); CPU use is the share of all cores
    busy between the first and the last sample, from ``/proc/stat``.
    """

    def __init__(self) -> None:
        self.loads: list[float] = []
        self.first_cpu = self.last_cpu = _cpu_times()

    def sample(self) -> None:
        if hasattr(os, "getloadavg"):
            self.loads.append(os.getloadavg()[0])
        self.last_cpu = _cpu_times()

    def busy_share(self) -> float | None:
        """Share of all cores' time that was busy over the run (0 to 1)."""
        if self.first_cpu is None or self.last_cpu is None:
            return None
        busy = self.last_cpu[0] - self.first_cpu[0]
        total = self.last_cpu[1] - self.first_cpu[1]
        return busy / total if total > 0 else None


def _cpu_times() -> tuple[int, int] | None:
    """``(busy, total)`` jiffies of all CPUs from ``/proc/stat``, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def rotated(items: Sequence, by: int) -> list:
    """The tools in a different order each round, so no tool always runs first."""
    by %= max(len(items), 1)
    return list(items[by:]) + list(items[:by])


class Matrix:
    """The tool x scenario grid and the schedule that fills it."""

    def __init__(self, tools: list[Tool], scenarios: list[str], workdir: Path,
                 timeout: float, slow_s: float, keep: tuple[str, str] = ("ours", "web"),
                 load: LoadSampler | None = None):
        self.load = load or LoadSampler()
        self.tools = tools
        self.scenarios = scenarios
        self.workdir = workdir
        self.timeout = timeout
        self.slow_s = slow_s
        self.keep = keep
        self.kept_dump: Path | None = None
        self.cells: dict[tuple[str, str], Cell] = {
            (s, t.name): Cell() for s in scenarios for t in tools}

    def run(self, repeats: int) -> None:
        for round_ in range(repeats):
            for i, scenario in enumerate(self.scenarios):
                for tool in rotated(self.tools, round_ + i):
                    cell = self.cells[(scenario, tool.name)]
                    if not cell.finished:
                        self.measure_once(tool, scenario, cell, round_)

    def measure_once(self, tool: Tool, scenario: str, cell: Cell, round_: int) -> None:
        """A cold and a warm capture process, then the warm dump's load and traceback
        processes, then (once) its fidelity probe."""
        slow = False
        for cold in (True, False):
            out = self.workdir / f"{tool.name}-{scenario}-{round_}{'-cold' if cold else ''}.dump"
            self.load.sample()
            proc = run_process(tool.capture_argv(scenario, str(out), cold), self.timeout)
            result = {"error": "timeout"} if proc.timed_out else parse_result(proc)
            _progress(f"{scenario:<12} {tool.name:<11} round {round_ + 1} "
                      f"{'cold' if cold else 'warm'}: "
                      + (result.get("error") or f"{result['capture_s'] * 1e3:.1f} ms"))
            if "error" in result:
                said = proc.failure() if proc.stderr.strip() else ""
                cell.errors.append(result["error"] + (f" ({said})" if said else ""))
                cell.finished = True
                return
            slow = slow or proc.wall > self.slow_s
            self.record_capture(cell, result, cold)
            dump = Path(result.get("path", out))
            if cold:
                dump.unlink(missing_ok=True)
        self.load.sample()
        self.record_load(tool, cell, dump)
        self.record_traceback(tool, cell, dump)
        if cell.fidelity is None and cell.fidelity_error is None:
            self.record_fidelity(tool, cell, dump)
        if round_ == 0 and slow:
            cell.finished = True
        self.dispose(tool, scenario, dump)

    @staticmethod
    def record_capture(cell: Cell, result: dict, cold: bool) -> None:
        """The capture's numbers; size and frame count come from the warm run."""
        (cell.cold_s if cold else cell.capture_s).append(result["capture_s"])
        if result.get("peak_extra") is not None:
            (cell.cold_peak if cold else cell.peak).append(result["peak_extra"])
        if cold:
            return
        cell.size.append(result["size"])
        cell.tb_frames = result.get("tb_frames")
        if result.get("first_s") is not None:
            cell.first_s.append(result["first_s"])

    def record_load(self, tool: Tool, cell: Cell, dump: Path) -> None:
        if cell.load_error:
            return
        proc = run_process(tool.load_argv(str(dump)), self.timeout, keep_stdout=False)
        if proc.rc == 0:
            cell.load_s.append(proc.wall)
        else:
            cell.load_error = proc.failure()

    def record_traceback(self, tool: Tool, cell: Cell, dump: Path) -> None:
        """The in-process time of the tool's loader from the file to a traceback."""
        if cell.traceback_error:
            return
        proc = run_process(tool.traceback_argv(str(dump)), self.timeout)
        try:
            cell.traceback_s.append(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])
        except (ValueError, IndexError, KeyError, TypeError):
            cell.traceback_error = proc.failure()

    def record_fidelity(self, tool: Tool, cell: Cell, dump: Path) -> None:
        proc = run_process(tool.fidelity_argv(str(dump), cell.tb_frames or 0), self.timeout)
        try:
            cell.fidelity = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            cell.fidelity_error = proc.failure()

    def dispose(self, tool: Tool, scenario: str, dump: Path) -> None:
        """Delete each dump after use, keeping one of ours for the ``--list`` test."""
        if (tool.name, scenario) == self.keep and self.kept_dump is None:
            self.kept_dump = dump
        elif dump.exists():
            dump.unlink()


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# ---- startup -------------------------------------------------------------------------------

@dataclass
class Timing:
    """Repeated wall times of one command, and the baseline it is compared with."""

    label: str
    argv: list[str]
    env: dict[str, str]
    times: list[float] = field(default_factory=list)
    error: str | None = None
    baseline: str | None = None


def time_interleaved(timings: list[Timing], runs: int, timeout: float,
                     load: LoadSampler | None = None) -> None:
    """Run each command ``runs`` times, round-robin, so that load drifts hit all alike."""
    for round_ in range(runs):
        if load is not None:
            load.sample()
        for timing in rotated(timings, round_):
            if timing.error:
                continue
            proc = run_process(timing.argv, timeout, timing.env, keep_stdout=False)
            if proc.rc == 0:
                timing.times.append(proc.wall)
            else:
                timing.error = proc.failure()


def startup_timings(ours: Path, bare: Path | None, anchors: dict[str, Path],
                    dump_dir: Path) -> list[Timing]:
    """The startup rows: the bare baseline, ours unset and set, and the anchors' imports."""
    env, env_set = clean_env(), clean_env(PYDUMPLING_DIR=str(dump_dir))
    base = "bare: python -c pass"
    rows = []
    if bare is not None:
        rows.append(Timing(base, [str(bare), "-c", "pass"], env))
    baseline = base if bare is not None else None
    rows += [
        Timing("ours: python -c pass, PYDUMPLING_DIR unset", [str(ours), "-c", "pass"], env,
               baseline=baseline),
        Timing("ours: python -c pass, PYDUMPLING_DIR set", [str(ours), "-c", "pass"], env_set,
               baseline=baseline),
        Timing("ours: import pydumpling_hook", [str(ours), "-c", "import pydumpling_hook"], env,
               baseline=baseline),
    ]
    for name, python in anchors.items():
        rows.append(Timing(f"{name}: import {name}", [str(python), "-c", f"import {name}"], env,
                           baseline=baseline))
    return rows


def importtime_us(python: Path, module: str, runs: int, timeout: float) -> tuple[list[float], str]:
    """Cumulative ``-X importtime`` microseconds of ``module``, one value per run."""
    values, error = [], ""
    for _ in range(runs):
        proc = run_process([str(python), "-X", "importtime", "-c", f"import {module}"], timeout)
        found = [line.split("|") for line in proc.stderr.splitlines() if "|" in line]
        cumulative = [int(parts[1]) for parts in found
                      if len(parts) == 3 and parts[2].strip() == module]
        if proc.rc != 0 or not cumulative:
            return values, proc.failure()
        values.append(cumulative[-1])
    return values, error


# ---- --list of many dumps ------------------------------------------------------------------

def list_timing(ours_bin: Path, sample: Path, workdir: Path, count: int) -> Timing:
    """``pydumpling-open --list`` over ``count`` copies of one real dump."""
    folder = workdir / "list"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        name = f"20260101T00{i // 60 % 60:02d}{i % 60:02d}Z-{1000 + i}-MainThread-ValueError.dump"
        shutil.copyfile(sample, folder / name)
    return Timing(f"ours: pydumpling-open --list of {count} dumps",
                  [str(ours_bin / "pydumpling-open"), "--list", str(folder)], clean_env())
