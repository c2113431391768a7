#!/usr/bin/env bash
# Create ./.venv with torch, mmaction2 1.2.0 and tsdistill (editable).
# TORCH_SPEC overrides the torch requirement (default: torch==2.13.0, a CPU
# wheel on the project's machines); install torch first, explicitly, or pip
# pulls a multi-GB CUDA build for the unpinned requirement of a dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
VENV="${TSDISTILL_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$VENV/.tsdistill-setup"
want="$TORCH_SPEC $(cat setup.py | sha1sum | cut -c1-12)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[setup] installing $TORCH_SPEC into $VENV"
LOG="$VENV/pip-install.log"
pip_install() {
  # quiet on success; the last lines of pip's log on failure
  if ! "$PY" -m pip install --disable-pip-version-check "$@" >>"$LOG" 2>&1
  then
    tail -n 40 "$LOG" >&2
    echo "[setup] pip install $* failed; full log: $LOG" >&2
    exit 1
  fi
}
pip_install "$TORCH_SPEC"
echo "[setup] installing tsdistill and its dependencies"
# mmcv: tsdistill requires neither full mmcv nor mmcv-lite (both install
# the `mmcv` package); the lite extra only where the venv has neither, so a
# full mmcv installed by hand stays
if "$PY" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("mmcv") is None)'
then
  pip_install -e '.[tests]'
else
  pip_install -e '.[tests,lite]'
fi
# mmengine/mmcv pull opencv-python, mmaction2 pulls opencv-contrib-python:
# both unpack into cv2/, and the last one wins. TV-L1 needs the contrib one.
if ! "$PY" -c 'import cv2, sys; sys.exit(0 if hasattr(cv2, "optflow") else 1)'
then
  echo "[setup] reinstalling opencv-contrib-python over opencv-python"
  ver=$("$PY" -c 'import importlib.metadata as m; print(m.version("opencv-contrib-python"))')
  pip_install --force-reinstall --no-deps "opencv-contrib-python==$ver"
fi
"$PY" -c 'import tsdistill, cv2; assert hasattr(cv2, "optflow")'
# compile M1's fused CPU kernel now rather than in the first job (about a
# minute); without a C++ compiler M1 uses its eager torch ops: not an error
echo "[setup] building M1's fused TV-L1 kernel"
"$PY" -W ignore::UserWarning -m tsdistill.models.flow.build_kernel \
  || echo "[setup] (continuing: M1 will use its eager torch ops)"
echo "$want" > "$stamp"
echo "[setup] done: $("$PY" -c 'import torch, mmaction, tsdistill; print("torch", torch.__version__, "mmaction2", mmaction.__version__, "tsdistill", tsdistill.__version__)' 2>/dev/null)"
