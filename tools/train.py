# Copyright (c) tsdistill authors. All rights reserved.
"""Train with mmaction2's own ``tools/train.py`` after ``import tsdistill``.

Same arguments as mmaction2's script (it ships inside the mmaction2 wheel at
``mmaction/.mim/tools/train.py``), for users without an mmaction2 checkout.
``TSDISTILL_DIST_BACKEND`` (e.g. ``gloo`` on CPU-only machines) sets
``env_cfg.dist_cfg.backend`` of any config; see
:mod:`tsdistill.engine.mmaction_tools`. ``load_from`` and the file of
``--resume`` are checked before the Runner loads them
(``CheckpointCheckHook``): a file that is not a checkpoint (or, to resume
from, lacks the training state) fails with an error naming it.
"""
import tsdistill  # noqa: F401  (compatibility layer + registration)
from tsdistill.engine import run_mmaction_tool

if __name__ == '__main__':
    run_mmaction_tool('train')
