"""IPython and Jupyter: a real ``ipython`` and a real kernel, one dump per failing cell.

The terminal shell reads its cells from stdin (``--simple-prompt``); notebooks
run headless through ``jupyter nbconvert --execute --allow-errors``; the
debugger-in-a-cell test drives a kernel over ``jupyter_client`` and answers
pdb's prompts the way Jupyter's own UI does (``input_request`` replies).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env, dumps_in, need, run_python

pytestmark = pytest.mark.heavy
ANSI = re.compile(r"\x1b\[[0-9;]*m")

DEFINE = """\
def checkout(cart):
    total = sum(cart)
    return total / len(cart[3:])
"""


def isolated_env(home: Path, **extra: str) -> dict:
    """No profile, kernel spec or runtime file of the developer's can leak in."""
    return clean_env(HOME=str(home), IPYTHONDIR=str(home / "ipython"),
                     JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
                     JUPYTER_DATA_DIR=str(home / "jupyter-data"),
                     JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
                     JUPYTER_PLATFORM_DIRS="1", **extra)


def ipython(home: Path, cells: str, **env: str) -> subprocess.CompletedProcess:
    need("IPython")
    return run_python(["-m", "IPython", "--no-banner", "--simple-prompt", "--colors=NoColor"],
                      env=isolated_env(home, **env), cwd=home, input=cells, timeout=120)


def printed(dump: Path) -> str:
    result = run_python(["-m", "pydumpling_hook", "--print", "--locals", str(dump)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ipython_dumps_a_failing_cell(tmp_path):
    dumps = tmp_path / "dumps"
    result = ipython(tmp_path, DEFINE + "\n" + "basket = [1, 2, 3]\ncheckout(basket)\n",
                     PYDUMPLING_DIR=str(dumps))
    # IPython's own traceback is still shown, in IPython's style
    assert "ZeroDivisionError" in result.stdout and "Cell In[3]" in result.stdout
    (dump,) = dumps_in(dumps)
    text = printed(dump)
    assert 'File "Cell In[3]", line 1, in <module>' in text
    assert "    checkout(basket)" in text  # the cell's own source line
    assert "return total / len(cart[3:])" in text
    assert "    total = 6" in text and "    basket = [1, 2, 3]" in text
    assert "run_code" not in text  # IPython's frame is hidden, as IPython hides it
    from pydumpling_hook.dumpformat import dumpfile

    meta = dumpfile.read_body(str(dump))["meta"]
    assert meta["reason"] == "ipython" and meta["extra"]["cell"] == "Cell In[3]"
    assert set(meta["extra"]["cells"]) == {"Cell In[1]", "Cell In[3]"}


def test_ipython_threads_and_logging_are_dumped_as_in_a_script(tmp_path):
    dumps = tmp_path / "dumps"
    cells = DEFINE + (
        "\nimport threading, logging\n"
        "t = threading.Thread(target=checkout, args=([5],), name='worker'); t.start(); t.join()\n"
        "try:\n    checkout([])\nexcept ZeroDivisionError:\n"
        "    logging.getLogger('shop').exception('failed')\n\n"
    )
    ipython(tmp_path, cells, PYDUMPLING_DIR=str(dumps))
    by_reason = {json.loads(run_python(["-m", "pydumpling_hook", "--json", str(d)]).stdout)
                 ["body"]["meta"]["reason"]: d for d in dumps_in(dumps)}
    assert sorted(by_reason) == ["logging", "threading"]
    for dump in by_reason.values():  # cells are named as IPython names them in every dump
        assert 'File "Cell In[1]", line 3, in checkout' in printed(dump)


def test_load_ext_enables_dumps_in_a_shell_started_without_it(tmp_path):
    cells = "%load_ext pydumpling_hook\n" + DEFINE + "\ncheckout([1])\n"
    result = ipython(tmp_path, cells)
    assert "crash dumps of failing cells go to" in result.stdout
    (dump,) = dumps_in(tmp_path / "pydumpling-dumps")
    assert "    checkout([1])" in printed(dump)


def test_unload_ext_stops_dumping_cells(tmp_path):
    cells = ("%load_ext pydumpling_hook\n" + DEFINE + "\ncheckout([1])\n"
             "%unload_ext pydumpling_hook\ncheckout([2])\n")
    result = ipython(tmp_path, cells)
    assert result.stdout.count("ZeroDivisionError") >= 2  # IPython still shows both
    (dump,) = dumps_in(tmp_path / "pydumpling-dumps")
    assert "    checkout([1])" in printed(dump)


def test_import_stays_light(tmp_path):
    """The extension entry point is there without importing IPython or the loader."""
    code = ("import sys, pydumpling_hook\n"
            "assert callable(pydumpling_hook.load_ipython_extension)\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m.startswith(('IPython', 'pydumpling_hook.'))))")
    result = run_python(["-c", code], env=isolated_env(tmp_path))
    assert result.returncode == 0, result.stderr
    modules = result.stdout
    assert "IPython" not in modules and "pydumpling_hook.loader" not in modules


# --------------------------------------------------------------------------- Jupyter


def notebook(path: Path, *cells: str) -> Path:
    nbformat = need("nbformat")
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(book, str(path))
    return path


def execute(book: Path, home: Path, **env: str) -> dict:
    need("nbconvert")
    need("ipykernel")
    result = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
         "--output", "done.ipynb", str(book)],
        env=isolated_env(home, **env), cwd=home, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads((book.parent / "done.ipynb").read_text())


def outputs(done: dict) -> list:
    """Each cell's output text (streams and errors) joined."""
    texts = []
    for cell in done["cells"]:
        parts = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                parts.append(out["text"] if isinstance(out["text"], str) else "".join(out["text"]))
            elif out["output_type"] == "error":
                parts.append(out["ename"] + ": " + out["evalue"] + "\n" + "\n".join(
                    out["traceback"]))
        texts.append(ANSI.sub("", "".join(parts)))
    return texts


def test_jupyter_kernel_dumps_each_failing_cell(tmp_path):
    dumps = tmp_path / "dumps"
    book = notebook(tmp_path / "shop.ipynb", DEFINE, "basket = [4, 5, 6]\ncheckout(basket)",
                    "print('still running')", "{}['missing']")
    done = execute(book, tmp_path, PYDUMPLING_DIR=str(dumps))
    shown = outputs(done)
    assert "ZeroDivisionError" in shown[1] and "Cell In[2]" in shown[1]  # Jupyter's traceback
    assert "pydumpling: crash dump written to" in shown[1]
    assert shown[2] == "still running\n"
    assert "KeyError" in shown[3]
    first, second = dumps_in(dumps)
    text = printed(first)
    assert 'File "Cell In[2]", line 2, in <module>' in text
    assert "    checkout(basket)" in text and "    basket = [4, 5, 6]" in text
    assert "    total = 15" in text
    assert "ipykernel" not in text  # cells are named as Jupyter names them
    assert "KeyError: 'missing'" in printed(second)


def test_jupyter_per_site_limit_threads_logging_asyncio_unraisable(tmp_path):
    dumps = tmp_path / "dumps"
    calls = ["checkout([1, 2])"] * 5
    book = notebook(
        tmp_path / "storm.ipynb", DEFINE, *calls,
        "import threading\n"
        "t = threading.Thread(target=checkout, args=(['x'],))\nt.start(); t.join()",
        "import logging\ntry:\n    {}['k']\nexcept KeyError:\n"
        "    logging.getLogger('nb').exception('x')",
        "import asyncio\nasync def job():\n    raise ValueError('lost')\n"
        "t = asyncio.ensure_future(job())\nawait asyncio.sleep(0.1)\n"
        "del t\nimport gc; gc.collect()",
        "class Handle:\n    def __del__(self):\n        raise OSError('close failed')\n"
        "h = Handle()\ndel h",
    )
    execute(book, tmp_path, PYDUMPLING_DIR=str(dumps))
    from pydumpling_hook.dumpformat import dumpfile

    reasons = sorted(dumpfile.read_header(str(d))["summary"]["reason"] for d in dumps_in(dumps))
    # one site (checkout's line) failing in five cells: the per-site limit of 3
    assert reasons == ["asyncio", "ipython", "ipython", "ipython", "logging", "threading",
                       "unraisable"]


def test_load_ext_and_install_in_a_notebook(tmp_path):
    book = notebook(tmp_path / "ext.ipynb", "%load_ext pydumpling_hook", "1 / 0",
                    "import pydumpling_hook\npydumpling_hook.install(directory='other')", "[][1]")
    done = execute(book, tmp_path)
    assert "crash dumps of failing cells go to" in outputs(done)[0]
    (first,) = dumps_in(tmp_path / "pydumpling-dumps")
    (second,) = dumps_in(tmp_path / "other")
    assert "    1 / 0" in printed(first) and "    [][1]" in printed(second)


def test_debugging_a_dump_from_a_notebook_cell(tmp_path, readme_dump, monkeypatch):
    """``load(path).debug()`` in a cell: pdb's prompts arrive as Jupyter input requests."""
    manager_module = need("jupyter_client.manager")
    env = isolated_env(tmp_path)
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        monkeypatch.setenv(key, env[key])  # the connection file is written by this process
    manager, client = manager_module.start_new_kernel(kernel_name="python3", env=env)
    try:
        code = (f"import pydumpling_hook\n"
                f"pydumpling_hook.load({str(readme_dump)!r}).debug()\n"
                "print('back in the notebook')")
        msg_id = client.execute(code, allow_stdin=True)
        for answer in ("p a, b", "up", "p d", "q"):
            request = client.get_stdin_msg(timeout=60)
            assert request["msg_type"] == "input_request"
            client.input(answer)
        text = []
        while True:
            message = client.get_iopub_msg(timeout=60)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                text.append(message["content"]["text"])
            if message["msg_type"] == "error":
                text.append("\n".join(message["content"]["traceback"]))
            if message["msg_type"] == "status" and \
                    message["content"]["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    shown = ANSI.sub("", "".join(text))
    # pdb's arrow, or IPython's numbered one where the kernel gives pdb IPython's look (3.13)
    assert re.search(r"-> +(4 +)?c = a \+ b", shown), shown
    assert "(1, '2')" in shown and "\n4\n" in shown
    assert shown.rstrip().endswith("back in the notebook")
