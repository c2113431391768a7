# Copyright (c) tsdistill authors. All rights reserved.
"""The code passes flake8 with the project's settings (setup.cfg)."""
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_flake8_clean():
    proc = subprocess.run(
        [sys.executable, '-m', 'flake8', 'tsdistill', 'tests', 'tools',
         'setup.py'],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
