"""Where each measured tool lives, how to read its dumps back, and how to set it up.

Every tool runs from its own venv made from the same CPython 3.11, so that the
differences in the table are the tools' and not the interpreters'. Anchors are
installed under ``benchmarks/.anchors/`` (ignored by git); ours comes from the
project's own ``.venvs/3.11`` (made by ``.ci/setup``) unless ``--ours`` says
otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ANCHORS_DIR = HERE / ".anchors"
SCENARIOS_PY = HERE / "scenarios.py"
PROBE_PY = HERE / "probe.py"
OURS_VENV = ROOT / ".venvs" / "3.11"
BASE_PYTHON_VERSION = "3.11"

# name -> pip requirements; "bare" is the startup baseline (numpy is never imported at
# startup) and the floor's interpreter. Every venv has numpy, so that bigdata's array is
# there for every tool.
ANCHOR_REQUIREMENTS = {
    "pydumpling": ["pydumpling==0.2.0", "numpy"],
    "pydump": ["pydump==1.2.0", "dill", "numpy"],
    "coredumpy": ["coredumpy==0.5.0", "numpy"],
    "bare": ["numpy"],
}


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@dataclass
class Tool:
    """One column of the comparison: a capture adapter in a venv, and its reader."""

    name: str
    python: Path
    load_argv: Callable[[str], list[str]]
    anchor: bool = True

    @property
    def available(self) -> bool:
        return self.python.exists()

    def capture_argv(self, scenario: str, out: str, cold: bool = False) -> list[str]:
        return [str(self.python), str(SCENARIOS_PY), "--tool", self.name,
                "--scenario", scenario, "--out", out, *(["--cold"] if cold else [])]

    def fidelity_argv(self, path: str, frames: int) -> list[str]:
        return [str(self.python), str(PROBE_PY), self.name, path, "fidelity", str(frames)]

    def traceback_argv(self, path: str) -> list[str]:
        return [str(self.python), str(PROBE_PY), self.name, path, "traceback"]


def _probe_print(name: str, python: Path) -> Callable[[str], list[str]]:
    """The load step of a tool without a print command: load whole, print the traceback."""
    return lambda path: [str(python), str(PROBE_PY), name, path, "print"]


def floor_python(ours_python: Path) -> Path:
    """The floor needs only the standard library: any of our 3.11 venvs will do."""
    for candidate in (venv_python(ANCHORS_DIR / "bare"), ours_python):
        if candidate.exists():
            return candidate
    return Path(sys.executable)


def make_tools(ours_python: Path) -> list[Tool]:
    """Ours first, then the floor, then the anchors, in the table's order."""
    ours_bin = ours_python.parent
    anchors = {name: venv_python(ANCHORS_DIR / name) for name in ANCHOR_REQUIREMENTS}
    floor = floor_python(ours_python)
    return [
        Tool("ours", ours_python,
             lambda path: [str(ours_bin / "pydumpling-open"), "--print", path], anchor=False),
        Tool("floor", floor, _probe_print("floor", floor), anchor=False),
        Tool("pydumpling", anchors["pydumpling"],
             lambda path: [str(anchors["pydumpling"]), "-m", "pydumpling", "--print", path]),
        Tool("pydump", anchors["pydump"], _probe_print("pydump", anchors["pydump"])),
        Tool("coredumpy", anchors["coredumpy"], _probe_print("coredumpy", anchors["coredumpy"])),
    ]


def base_python() -> Path | None:
    """The pyenv CPython 3.11 every venv is made from (newest 3.11.x installed)."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        bare = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        versions = [v.strip() for v in bare.stdout.split()
                    if v.strip().startswith(BASE_PYTHON_VERSION + ".")]
        versions = [v for v in versions if v.replace(".", "").isdigit()]
        if versions:
            newest = max(versions, key=lambda v: tuple(map(int, v.split("."))))
            prefix = subprocess.run([pyenv, "prefix", newest], capture_output=True, text=True)
            candidate = Path(prefix.stdout.strip()) / "bin" / "python3"
            if candidate.exists():
                return candidate
    if sys.version_info[:2] == (3, 11):
        return Path(sys.executable)
    return None


def _log(message: str) -> None:
    print(f"setup: {message}", file=sys.stderr, flush=True)


def _pip_install(python: Path, requirements: list[str]) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *requirements], check=True, stdout=subprocess.DEVNULL)


def setup_anchor(name: str, base: Path) -> None:
    """Create one anchor venv (idempotent: an existing venv only gets pip re-run)."""
    venv = ANCHORS_DIR / name
    if not venv_python(venv).exists():
        _log(f"creating {venv}")
        # With pip, as ours is made: its setuptools .pth runs at every start in both.
        subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
    if ANCHOR_REQUIREMENTS[name]:
        _pip_install(venv_python(venv), ANCHOR_REQUIREMENTS[name])


def setup_anchors(names: list[str] | None = None) -> list[str]:
    """Create the missing anchor venvs; returns the problems met, one line each."""
    base = base_python()
    if base is None:
        return [f"no CPython {BASE_PYTHON_VERSION} found (pyenv or this interpreter)"]
    problems = []
    for name in names or list(ANCHOR_REQUIREMENTS):
        try:
            setup_anchor(name, base)
        except (OSError, subprocess.CalledProcessError) as error:
            problems.append(f"{name}: {error}")
    return problems


def setup_ours() -> list[str]:
    """Make ``.venvs/3.11`` with the project installed, through the project's own script."""
    script = ROOT / ".ci" / "setup"
    if not script.exists():
        return [f"{script} is missing; pass --ours PYTHON"]
    env = dict(os.environ, PYDUMPLING_PYTHONS=BASE_PYTHON_VERSION)
    _log("creating .venvs/3.11 through .ci/setup")
    done = subprocess.run(["bash", str(script)], env=env, cwd=ROOT)
    return [] if done.returncode == 0 else [f".ci/setup failed ({done.returncode})"]
