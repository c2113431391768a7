# Copyright (c) tsdistill authors. All rights reserved.
"""Test with mmaction2's own ``tools/test.py`` after ``import tsdistill``.

Same arguments as mmaction2's script (it ships inside the mmaction2 wheel at
``mmaction/.mim/tools/test.py``), for users without an mmaction2 checkout.
"""
import os.path as osp
import runpy

import mmaction

import tsdistill  # noqa: F401  (compatibility layer + registration)


def main() -> None:
    script = osp.join(
        osp.dirname(mmaction.__file__), '.mim', 'tools', 'test.py')
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
