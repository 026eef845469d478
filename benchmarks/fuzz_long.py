"""The long fuzz run of the loader (issues 5 and 9): thousands of hostile files, one seed.

    python benchmarks/fuzz_long.py --cases 10000 --seed 1
    python benchmarks/fuzz_long.py --cases 500 --seed 7 --keep /tmp/fuzz   # keep the files

Uses the same seeds, mutators and crafted files as ``tests/test_fuzz.py``
(``tests/fuzzing.py``, ``fuzz_crafted.py``, ``fuzz_shapes.py``; a third of the
mutations are the shapes of issue 9), so a problem found here replays there. Every file goes
through the real ``pydumpling-open`` code (``--print --locals`` and ``--json``)
in child processes under a 2 GiB memory cap. Prints one line per problem and
a summary; exits 1 if there was any problem, or if the marker file that the
code-execution payloads would create exists.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzz_crafted  # noqa: E402 - these live in tests/, shared with the test
import fuzz_run  # noqa: E402
import fuzzing  # noqa: E402


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000,
                        help="mutated files (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--batch", type=int, default=100, help="files per child process")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument("--no-crafted", action="store_true", help="only the mutations")
    args = parser.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pydumpling-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        seeds = fuzzing.make_seeds(work / "seeds")
        marker = work / "MARKER"
        cases = [] if args.no_crafted else fuzz_crafted.crafted(seeds, marker)
        for seed in seeds:
            cases.extend(fuzzing.boundary_truncations(seed))
        cases.extend(fuzzing.mutations(seeds, random.Random(args.seed), args.cases))
        files = work / "files"
        files.mkdir(exist_ok=True)
        jobs = fuzz_run.write_cases(cases, files)
        print(f"{len(cases)} files, {len(jobs)} runs, seed {args.seed}", flush=True)
        outcomes = fuzz_run.run_cli(jobs, batch=args.batch)
        print(fuzz_run.summarize(outcomes))
        in_process = fuzz_run.check_in_process(sorted(files.glob("*.dump")))
        print("\n".join(in_process) or "load(): only DumpError escaped")
        executed = marker.exists()
        if executed:
            print(f"CODE FROM A FILE RAN: {marker} exists")
        print(f"{time.perf_counter() - started:.1f} s")
        failed = executed or bool(in_process) or any(o.problem() for o in outcomes)
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
