#!/usr/bin/env bash
# The main job, on a fresh machine with only python3 and pip: install mailseg
# and both adapters into .venv, then run examples/quickstart.py against the
# built-in emulator of each provider (or a real account, if MAILSEG_PROVIDER
# and credentials are set in the environment).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e . -e adapters/sendcloud -e adapters/engagelab
.venv/bin/python examples/quickstart.py "$@"
