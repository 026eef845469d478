"""A Process target, a Pool task and a ProcessPoolExecutor task that raise.

Usage: int_processes.py START_METHOD [uncaught]
"""

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def target(n):
    child_local = n * 2
    raise RuntimeError(f"child {n} {child_local}")


def square(x):
    pool_local = x * 10
    if x == 3:
        raise ValueError(f"bad item {pool_local}")
    return x * x


def main(method, uncaught):
    ctx = multiprocessing.get_context(method)
    process = ctx.Process(target=target, args=(7,))
    process.start()
    process.join()
    print("exitcode", process.exitcode)
    with ctx.Pool(2) as pool:
        try:
            pool.map(square, range(5))
        except ValueError as exc:
            print("pool raised", exc)
    with ProcessPoolExecutor(2, mp_context=ctx) as executor:
        if uncaught:
            list(executor.map(square, range(5)))
        try:
            list(executor.map(square, range(5)))
        except ValueError as exc:
            print("executor raised", exc)


if __name__ == "__main__":
    main(sys.argv[1], "uncaught" in sys.argv)
