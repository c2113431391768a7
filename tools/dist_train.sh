#!/usr/bin/env bash
# Multi-process training with torchrun; mmaction2's interface:
#   tools/dist_train.sh CONFIG GPUS [train.py args...]
# NNODES (1), NODE_RANK (0), PORT (29500), MASTER_ADDR (127.0.0.1) as in
# mmaction2. PYTHON picks the interpreter (default: the repository's .venv
# if present, else python). Works from any directory.
# CPU-only machines: TSDISTILL_DIST_BACKEND=gloo (any config) or
# --cfg-options env_cfg.dist_cfg.backend=gloo.
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$TOOLS")"
if [ $# -lt 2 ]; then
  echo "usage: $0 CONFIG GPUS [train.py args...]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"
  else PYTHON=python; fi
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
set -x
exec "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" \
  --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$GPUS" --master_port="$PORT" \
  "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"
