#!/usr/bin/env bash
# One command from a fresh clone to a verdict: install everything into .venv,
# then lint, format check, type check (strict) and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# The distributed job tests start a real redis-server (Debian's package).
if ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    else
        echo "redis-server is missing: sudo apt-get install -y redis-server" >&2
        exit 1
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev,otel,jobs-redis,cli,docs]' -e adapters/sendcloud -e adapters/engagelab

echo "== ruff check"
.venv/bin/ruff check .
echo "== ruff format --check"
.venv/bin/ruff format --check .
echo "== mypy --strict"
.venv/bin/mypy --strict mailseg adapters/sendcloud/mailseg_sendcloud adapters/engagelab/mailseg_engagelab \
    tests/third_party  # an adapter written as a third party would
echo "== pytest"
.venv/bin/python -m pytest "$@"
