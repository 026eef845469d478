"""What the logging integration adds to one ``logger.error`` call without ``exc_info``.

Every ERROR record now passes through our patched ``Logger.callHandlers``,
which only looks at ``exc_info`` and ``levelno`` before calling the original;
this measures that toll. Plain and patched are measured in the same process,
back to back in many short rounds (install / uninstall between them, the
order alternating), so that drift on a shared machine hits both alike. We
report the medians of the per-call times and the median of the per-round
differences, which is the more stable number. The handler formats into a
``StringIO``, a realistic cheap handler; the garbage collector is off while
timing.

    python benchmarks/logging_overhead.py [--rounds 301] [--calls 2000]
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import statistics
import sys
import tempfile
import time

import pydumpling_hook


def _logger() -> tuple:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("bench.overhead")
    logger.propagate = False
    logger.addHandler(handler)
    return logger, stream


def _per_call_ns(logger: logging.Logger, stream: io.StringIO, calls: int) -> float:
    stream.seek(0)
    stream.truncate()
    start = time.perf_counter_ns()
    for i in range(calls):
        logger.error("request %s failed", i)
    return (time.perf_counter_ns() - start) / calls


def main(argv: list | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=301)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    logger, stream = _logger()
    samples: dict = {"plain": [], "patched": []}
    gc.disable()
    with tempfile.TemporaryDirectory() as directory:
        for i in range(args.rounds):
            order = ("plain", "patched") if i % 2 == 0 else ("patched", "plain")
            for state in order:
                if state == "patched":
                    pydumpling_hook.install(directory=directory)
                    assert hasattr(logging.Logger.callHandlers, "__wrapped__")
                else:
                    pydumpling_hook.uninstall()
                    assert not hasattr(logging.Logger.callHandlers, "__wrapped__")
                samples[state].append(_per_call_ns(logger, stream, args.calls))
        pydumpling_hook.uninstall()
    gc.enable()
    plain = statistics.median(samples["plain"])
    patched = statistics.median(samples["patched"])
    paired = statistics.median(b - a for a, b in zip(samples["plain"], samples["patched"]))
    result = {"python": sys.version.split()[0], "plain_ns": round(plain),
              "patched_ns": round(patched), "overhead_ns": round(paired),
              "overhead_pct": round(100 * paired / plain, 1)}
    print(f"Python {result['python']}: logger.error without exc_info, "
          f"{args.rounds} rounds x {args.calls} calls")
    print(f"  plain    {plain:8.0f} ns/call (median)")
    print(f"  patched  {patched:8.0f} ns/call (median)")
    print(f"  overhead {paired:+8.0f} ns/call ({result['overhead_pct']:+.1f} %), "
          "median of the per-round differences")
    return result


if __name__ == "__main__":
    main()
