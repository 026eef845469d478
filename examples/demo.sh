#!/usr/bin/env bash
# One command demo: set up a venv, crash examples/demo.py with the hooks
# switched on by PYDUMPLING_DIR alone (no code change), then print the dump.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo needs no test tools: no heavy extras (web frameworks, Jupyter, torch).
PYDUMPLING_HEAVY_PYTHONS="" PYDUMPLING_PYTHONS=${PYDUMPLING_PYTHONS:-3.11} bash .ci/setup
v=${PYDUMPLING_PYTHONS:-3.11}; v=${v%% *}
export PYDUMPLING_DIR="$PWD/demo-dumps"
echo "--- running examples/demo.py (it crashes on purpose)"
".venvs/$v/bin/python" examples/demo.py || true
echo "--- pydumpling-open --latest --print --locals"
".venvs/$v/bin/pydumpling-open" --latest --print --locals
echo "--- debug it yourself: .venvs/$v/bin/pydumpling-open --latest   (pdb; --debugger ipdb|pudb|pdbp)"
