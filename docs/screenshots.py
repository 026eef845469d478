"""Remake docs/report.png and docs/serve.png with headless Chromium (README pictures).

    .venvs/3.11/bin/python docs/screenshots.py

Crashes the README's seed example (twice) and the chained-exception example,
writes the report of the first with ``--html``, serves the three with
``--serve``, and has Debian's ``/usr/bin/chromium`` photograph both pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
CRASHES = DOCS.parent / "tests" / "crashes"
CHROMIUM = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars"]


def crash(script: Path, directory: Path) -> Path:
    env = {"PATH": "/usr/bin:/bin", "PYDUMPLING_DIR": str(directory)}
    subprocess.run([sys.executable, script.name], env=env, cwd=script.parent, capture_output=True,
                   check=False)
    return max(directory.glob("*.dump"))


def shoot(url: str, out: Path, size: str, work: Path) -> None:
    profile = tempfile.mkdtemp(dir=work)
    subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", f"--window-size={size}",
                    f"--screenshot={out}", url], check=True, capture_output=True, timeout=120)
    print(f"wrote {out}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = work / "app.py"
        shutil.copy(CRASHES / "readme.py", app)
        dumps = work / "dumps"
        first = crash(app, dumps)
        crash(app, dumps)
        shutil.copy(CRASHES / "chains.py", work / "config.py")
        crash(work / "config.py", dumps)
        report = work / "report.html"
        subprocess.run([sys.executable, "-m", "pydumpling_hook", str(first), "--html", str(report)],
                       check=True)
        shoot(report.as_uri(), DOCS / "report.png", "1100,980", work)
        server = subprocess.Popen([sys.executable, "-m", "pydumpling_hook", "--serve", str(dumps),
                                   "--port", "0"], stderr=subprocess.PIPE, text=True)
        try:
            url = re.search(r"(http://\S+)", server.stderr.readline()).group(1)
            shoot(url, DOCS / "serve.png", "1100,560", work)
        finally:
            server.send_signal(2)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
