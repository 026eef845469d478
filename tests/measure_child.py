"""Run a command and write its exit status, CPU time, peak RSS and wall time as JSON.

``conftest.run_bounded`` starts this small, freshly exec'd interpreter, which
starts the command. The indirection is what makes the memory figure true: on
Linux a child's peak RSS starts from its parent's at ``fork``, so a command
forked straight from a pytest process that has imported pandas or torch would
report that process's size. Usage: ``measure_child.py REPORT TIMEOUT COMMAND...``;
standard streams pass through, the command runs under a 2 GiB address-space
cap and is killed after TIMEOUT seconds of wall time.
"""

import json
import os
import resource
import subprocess
import sys
import time

CAP = 2 << 30


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def main() -> None:
    report, timeout, *command = sys.argv[1:]
    started = time.monotonic()
    proc = subprocess.Popen(command, preexec_fn=_cap)
    deadline = started + float(timeout)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    with open(report, "w") as out:
        json.dump({"rc": os.waitstatus_to_exitcode(status),
                   "seconds": usage.ru_utime + usage.ru_stime,
                   "rss_mb": usage.ru_maxrss / 1024,
                   "wall": time.monotonic() - started}, out)


if __name__ == "__main__":
    main()
