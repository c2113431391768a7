#!/usr/bin/env bash
# Multi-process training with torchrun; mmaction2's interface:
#   tools/dist_train.sh CONFIG GPUS [train.py args...]
# NNODES, NODE_RANK, PORT, MASTER_ADDR as in mmaction2. PYTHON picks the
# interpreter (default: ./.venv/bin/python if present, else python).
# On CPU-only machines: TSDISTILL_DIST_BACKEND=gloo (read by the configs'
# default_runtime.py) or --cfg-options env_cfg.dist_cfg.backend=gloo.
set -euo pipefail
TOOLS="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$TOOLS")"
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
