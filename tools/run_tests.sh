#!/usr/bin/env bash
# Set up ./.venv if needed, then run the test suite (extra args go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV="${TSDISTILL_VENV:-.venv}"
exec "$VENV/bin/python" -m pytest tests "$@"
