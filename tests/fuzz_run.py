"""Open fuzz cases with the real ``pydumpling-open`` code, and judge what a user would see.

``run_cli`` runs the program's ``main`` in child processes under a memory cap,
with an alarm per case and ``faulthandler`` against hangs in C code, and
reports per case: exit status, stderr, how much it printed, how long it took,
and whether a terminal control reached the output.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, List, NamedTuple, Tuple

from fuzzing import Case, seed_env

MEMORY_CAP = 2 << 30
"""Address-space limit of the child that opens the files: a bomb must fail, not swap."""
CASE_SECONDS = 10
"""A case slower than this fails: every file must end 'within seconds'."""
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                    "\u2066-\u2069]")
"""What a terminal would obey: never in the loader's own output (tabs and newlines aside)."""

_CHILD = r"""
import faulthandler, io, json, re, signal, sys, time, traceback
from pydumpling_hook.loader.cli import main

UNSAFE = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f"
                    "\\u202a-\\u202e\\u2066-\\u2069]")

class Sink(io.TextIOBase):
    # counts what is written, and what a terminal would obey (--json stays exact)
    def __init__(self, terminal):
        self.size = self.unsafe = 0
        self.terminal = terminal
    def writable(self):
        return True
    def write(self, text):
        self.size += len(text)
        if self.terminal and UNSAFE.search(text):
            self.unsafe += 1
        return len(text)

def alarm(signum, frame):
    raise TimeoutError("case took too long")

signal.signal(signal.SIGALRM, alarm)
jobs, results, seconds = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
real_out, real_err = sys.stdout, sys.stderr
with open(results, "a") as log:
    for index, args in jobs:
        log.write(json.dumps({"start": index}) + "\n")
        log.flush()
        sink, err = Sink("--json" not in args), io.StringIO()
        sys.stdout, sys.stderr = sink, err
        started = time.perf_counter()
        signal.alarm(seconds)
        # C code that never returns to the interpreter cannot see the alarm: past
        # twice the limit, print where it is stuck and end the child.
        faulthandler.dump_traceback_later(2 * seconds, exit=True, file=real_err)
        try:
            rc = main(args)
        except BaseException:
            rc = "escaped"
            err.write(traceback.format_exc())
        finally:
            faulthandler.cancel_dump_traceback_later()
            signal.alarm(0)
            sys.stdout, sys.stderr = real_out, real_err
        log.write(json.dumps({"index": index, "rc": rc, "stderr": err.getvalue()[-4000:],
                              "stdout": sink.size, "unsafe": sink.unsafe,
                              "seconds": time.perf_counter() - started}) + "\n")
        log.flush()
"""


class Outcome(NamedTuple):
    case: str
    args: Tuple[str, ...]
    rc: Any
    stderr: str
    stdout_chars: int
    seconds: float
    unsafe: int = 0
    """Writes to a terminal (--print, --list) that held an escape or control character."""

    def problem(self) -> str | None:
        """What is wrong with this outcome for a user, or ``None``.

        Acceptable: a clean open (exit 0, output, nothing on stderr but ``note:`` lines,
        such as ``--json`` saying which sections its budget cut) or exit 1
        with exactly one ``pydumpling-open: error: ...`` line that is not an
        internal error (a bug of ours wearing a one-line coat).
        """
        lines = self.stderr.splitlines()
        if self.seconds > CASE_SECONDS:
            return f"took {self.seconds:.1f} s"
        if "Traceback" in self.stderr:
            return "traceback on stderr"
        if self.unsafe or UNSAFE.search(self.stderr):
            return "a terminal control reached the output"
        if self.rc == 0:
            notes_only = all(line.startswith("pydumpling-open: note: ") for line in lines)
            return None if self.stdout_chars and notes_only else "exit 0 without clean output"
        if self.rc != 1 or len(lines) != 1 or not lines[0].startswith("pydumpling-open: error: "):
            return f"exit {self.rc} with {len(lines)} stderr lines"
        if "internal error" in lines[0]:
            return "internal error"
        return None


def limit_memory() -> None:
    """``preexec_fn`` of every child that opens hostile files."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_cli(jobs: List[Tuple[str, List[str]]], *, python: str = sys.executable,
            batch: int = 40, env: dict | None = None) -> List[Outcome]:
    """Run ``pydumpling-open ARGS`` for each (case name, args), ``batch`` per child process.

    Each child runs the CLI's ``main`` in-process under ``MEMORY_CAP``, with
    an alarm per case, and ``faulthandler`` ends it when a case hangs in C code
    (where no alarm reaches). A child that dies has the case it was on recorded
    as such, with its stderr, and the rest of its batch runs in a new child.
    """
    outcomes: List[Outcome | None] = [None] * len(jobs)
    pending = list(range(len(jobs)))
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "results.jsonl"
        while pending:
            chunk, pending = pending[:batch], pending[batch:]
            log.write_text("")
            payload = json.dumps([[i, jobs[i][1]] for i in chunk])
            try:
                proc = subprocess.run(
                    [python, "-c", _CHILD, payload, str(log), str(CASE_SECONDS)],
                    env=env or seed_env(), capture_output=True, text=True,
                    timeout=CASE_SECONDS * 3 + 5 * len(chunk), preexec_fn=limit_memory)
                death = f"child exited {proc.returncode}: {proc.stderr[-2000:]}"
            except subprocess.TimeoutExpired:
                death = "child hung (killed)"
            started = None
            for line in log.read_text().splitlines():
                record = json.loads(line)
                if "start" in record:
                    started = record["start"]
                    continue
                started = None
                i = record["index"]
                outcomes[i] = Outcome(jobs[i][0], tuple(jobs[i][1]), record["rc"],
                                      record["stderr"], record["stdout"], record["seconds"],
                                      record["unsafe"])
            if started is not None:
                outcomes[started] = Outcome(jobs[started][0], tuple(jobs[started][1]), "died",
                                            death, 0, float("inf"))
                pending = [i for i in chunk if outcomes[i] is None] + pending
            elif any(outcomes[i] is None for i in chunk):
                raise RuntimeError(f"fuzz child failed before its first case: {death}")
    return [o for o in outcomes if o is not None]


MODES = (("--print", "--locals"), ("--json",))


def write_cases(cases: List[Case], directory: Path,
                modes: Tuple[Tuple[str, ...], ...] = MODES) -> List[Tuple[str, List[str]]]:
    """Write each case to ``directory`` and return its CLI jobs, one per mode."""
    jobs = []
    for case in cases:
        path = Path(directory) / f"{case.name}.dump"
        path.write_bytes(case.data)
        for mode in modes:
            jobs.append((case.name, [str(path), *mode]))
    return jobs


def make_corpus(work: Path, seed: int, count: int,
                modes: Tuple[Tuple[str, ...], ...] = MODES) -> dict:
    """Seeds from real crashes, the crafted attacks, boundary truncations and ``count``
    mutations, written under ``work/files`` with their jobs; ``marker`` is the file a
    payload creates if it ever runs."""
    import random

    import fuzz_crafted
    import fuzzing

    seeds = fuzzing.make_seeds(work / "seeds")
    marker = work / "MARKER"
    cases = fuzz_crafted.crafted(seeds, marker)
    for one in seeds:
        cases.extend(fuzzing.boundary_truncations(one))
    cases.extend(fuzzing.mutations(seeds, random.Random(seed), count))
    files = work / "files"
    files.mkdir()
    jobs = write_cases(cases, files, modes)
    return {"seeds": seeds, "marker": marker, "cases": cases, "files": files, "jobs": jobs}


def check_in_process(paths: List[Path]) -> List[str]:
    """``load(path)`` for each file: it returns a Dump or raises ``DumpError``, nothing else."""
    from pydumpling_hook.loader import DumpError, load

    problems = []
    for path in paths:
        started = time.perf_counter()
        try:
            load(str(path))
        except DumpError as exc:
            if "\n" in str(exc):
                problems.append(f"{path.name}: DumpError message has several lines")
        except BaseException as exc:  # noqa: BLE001 - anything else is the finding
            problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:200]}")
        if time.perf_counter() - started > CASE_SECONDS:
            problems.append(f"{path.name}: load took {time.perf_counter() - started:.1f} s")
    return problems


def summarize(outcomes: List[Outcome]) -> str:
    """One line per problem, then the counts: what a report needs."""
    lines = [f"{o.case} {' '.join(o.args[1:])}: {o.problem()}: {o.stderr.strip()[-600:]}"
             for o in outcomes if o.problem()]
    opened = sum(o.rc == 0 for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    lines.append(f"{len(outcomes)} runs: {opened} opened, {len(outcomes) - opened} refused, "
                 f"{sum(bool(o.problem()) for o in outcomes)} problems; slowest "
                 f"{slowest.seconds if slowest else 0:.2f} s ({slowest.case if slowest else '-'})")
    return "\n".join(lines)
