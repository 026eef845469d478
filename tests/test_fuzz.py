"""Hostile files against the loader: fixed-seed fuzzing of real dumps plus crafted attacks.

A dump may be opened by someone who did not make it, so every file must end
in a correct open or one clear error line within seconds and bounded memory,
and no code from the file may run without ``--trust``. The files come from
``fuzzing.py`` (mutators), ``fuzz_crafted.py`` and ``fuzz_shapes.py``, and are
opened through ``fuzz_run.py``; ``benchmarks/fuzz_long.py`` (the long run)
shares all of them.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import fuzz_run
import fuzzing
import pytest
from conftest import clean_env

SEED = 20261125
MUTATIONS = 260


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Seeds from real crashes, every case written to disk, and the marker to watch."""
    return fuzz_run.make_corpus(tmp_path_factory.mktemp("fuzz"), SEED, MUTATIONS)


@pytest.fixture(scope="module")
def outcomes(corpus: dict) -> list:
    return fuzz_run.run_cli(corpus["jobs"])


def test_every_case_opens_or_fails_in_one_line(outcomes: list, corpus: dict) -> None:
    assert len(outcomes) == len(corpus["jobs"])
    report = fuzz_run.summarize(outcomes)
    assert not any(o.problem() for o in outcomes), report


def test_the_fuzz_reaches_every_layer(outcomes: list) -> None:
    """Both outcomes occur, and refusals come from every reader stage: the mutators are
    not all stopped by the same first check."""
    messages = " ".join(o.stderr for o in outcomes)
    assert sum(o.rc == 0 for o in outcomes) > 30
    for stage in ("bad magic", "cut inside the header", "header is not valid JSON",
                  "checksum mismatch", "does not decompress", "wrong size",
                  "refused to load", "body is not a dump", "memo index out of order"):
        assert stage in messages, stage


def test_no_code_from_the_file_runs(outcomes: list, corpus: dict) -> None:
    assert not corpus["marker"].exists()
    code = [o for o in outcomes if "-code-" in o.case]
    assert len(code) >= 30
    refused = [o for o in code if "originals" not in o.case]
    assert all(o.rc == 1 and ("refused to load" in o.stderr or "persistent" in o.stderr)
               for o in refused), fuzz_run.summarize(refused)


def test_the_payloads_are_live(corpus: dict, tmp_path: Path) -> None:
    """The crafted payloads do run when unpickled naively or opened with ``--trust``:
    so the marker's absence above means the loader stopped them."""
    by_name = {c.name: c.data for c in corpus["cases"]}
    seed = fuzzing.split("evil", by_name["crafted-code-reduce-in-locals"])
    pickle.loads(seed.raw("snapshot"))
    assert corpus["marker"].exists()
    corpus["marker"].unlink()
    path = corpus["files"] / "crafted-code-originals-entry.dump"
    outcome, = fuzz_run.run_cli([("trusted", [str(path), "--print", "--trust"])])
    assert corpus["marker"].exists(), outcome
    corpus["marker"].unlink()


def test_bombs_and_deep_nesting_stay_bounded(outcomes: list) -> None:
    """Under the 2 GiB cap nothing died, and the big ones were refused before inflating."""
    big = {o.case: o for o in outcomes if "-bomb-" in o.case or "-deep-" in o.case
           or "-memo-" in o.case}
    assert len(big) >= 15
    assert all(o.rc in (0, 1) for o in big.values())
    assert "over the" in big["crafted-bomb-claims-100GB"].stderr
    assert "memo index out of order" in big["crafted-memo-long-binput-2**26"].stderr


def test_load_raises_only_dump_error(corpus: dict) -> None:
    """The Python API, in this process: a Dump or ``DumpError``, nothing else."""
    files = sorted(corpus["files"].glob("*.dump"))
    subset = [p for i, p in enumerate(files) if p.name.startswith("crafted-") or i % 4 == 0]
    assert len(subset) > 100
    assert fuzz_run.check_in_process(subset) == []
    assert not corpus["marker"].exists()


def test_real_command_line_on_the_worst_files(corpus: dict) -> None:
    """The installed ``pydumpling-open`` script itself, not ``main()``: one line, exit 1."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "pydumpling-open"
    for name in ("crafted-code-os-system", "crafted-memo-long-binput-2**26",
                 "crafted-bomb-claims-exactly-256MB", "crafted-header-sections-absurd"):
        result = subprocess.run([str(script), str(corpus["files"] / f"{name}.dump"), "--print"],
                                capture_output=True, text=True, timeout=60, env=clean_env(),
                                preexec_fn=fuzz_run.limit_memory)
        assert result.returncode == 1, (name, result.stderr)
        assert len(result.stderr.splitlines()) == 1, (name, result.stderr)
        assert result.stderr.startswith("pydumpling-open: error: "), name
    assert not corpus["marker"].exists()


def test_listing_survives_the_whole_corpus(corpus: dict) -> None:
    """``--list`` reads every header in the directory and must not fail on any of them."""
    outcome, = fuzz_run.run_cli([("list", ["--list", str(corpus["files"])])])
    assert outcome.rc == 0 and outcome.stderr == "", outcome
    assert outcome.stdout_chars > 20 * len(corpus["cases"])
