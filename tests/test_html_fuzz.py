"""Hostile files against ``--html``: the fuzz corpus of ``test_fuzz.py``, rendered as reports.

Every file must end in a report (exit 0, a page on stdout, nothing on stderr)
or one clear error line, within the per-case time and the memory cap, and no
code from the file may run.
"""

from __future__ import annotations

import fuzz_run
import pytest

pytest.importorskip("jinja2")

SEED = 20261129
MUTATIONS = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return fuzz_run.make_corpus(tmp_path_factory.mktemp("fuzz-html"), SEED, MUTATIONS,
                               modes=(("--html", "-"),))


def test_every_case_renders_or_fails_in_one_line(corpus: dict) -> None:
    outcomes = fuzz_run.run_cli(corpus["jobs"])
    assert len(outcomes) == len(corpus["jobs"])
    assert not any(o.problem() for o in outcomes), fuzz_run.summarize(outcomes)
    assert sum(o.rc == 0 for o in outcomes) > 30  # the mutations reach the renderer
    assert not corpus["marker"].exists()


def test_serve_survives_the_corpus(corpus: dict) -> None:
    """The front page lists every file, and each crafted file opens or shows as unreadable."""
    from html_support import get, serving

    directory = corpus["files"]
    crafted = sorted(p.name for p in directory.glob("crafted-*.dump"))
    assert len(crafted) > 50
    with serving(directory) as (url, port, process):
        status, _, page = get(port, "/")
        assert status == 200 and page.count('<tr class="row') >= len(crafted)
        for name in crafted:
            status, _, page = get(port, f"/dump/{name}")
            assert status in (200, 422), (name, status)
            assert status == 200 or "unreadable" in page
    assert not corpus["marker"].exists()
