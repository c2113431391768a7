#!/usr/bin/env bash
# The main job: set up ./.venv if needed, generate the embedded dataset,
# train and test the four Table 1 models on CPU, print the table.
# Extra arguments go to tools/run_table1.py (e.g. --seeds 0 1 2,
# --mode motion, --data-root data/hmdb51 [--configs demo]).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV="${TSDISTILL_VENV:-.venv}"
exec "$VENV/bin/python" tools/run_table1.py "$@"
