# Copyright (c) tsdistill authors. All rights reserved.
"""Test with mmaction2's own ``tools/test.py`` after ``import tsdistill``.

Same arguments as mmaction2's script (it ships inside the mmaction2 wheel at
``mmaction/.mim/tools/test.py``), for users without an mmaction2 checkout.
``TSDISTILL_DIST_BACKEND`` (e.g. ``gloo`` on CPU-only machines) sets
``env_cfg.dist_cfg.backend`` of any config; see
:mod:`tsdistill.engine.mmaction_tools`. The checkpoint argument is checked
before the Runner loads it (``CheckpointCheckHook``): a file that is not a
checkpoint fails with an error naming it.
"""
import tsdistill  # noqa: F401  (compatibility layer + registration)
from tsdistill.engine import run_mmaction_tool

if __name__ == '__main__':
    run_mmaction_tool('test')
