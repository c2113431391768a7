# Copyright (c) tsdistill authors. All rights reserved.
"""The code passes flake8, isort and yapf, as mmaction2's pre-commit runs
them, with the project's settings (setup.cfg)."""
import subprocess
import sys

import pytest
from _helpers.tools import REPO

SOURCES = ['tsdistill', 'tests', 'tools', 'setup.py']


@pytest.mark.parametrize('command', [
    ['flake8'],
    ['isort', '--check-only', '--diff'],
    ['yapf', '--diff', '--recursive'],
])
def test_lint_clean(command):
    proc = subprocess.run(
        [sys.executable, '-m'] + command + SOURCES,
        cwd=REPO,
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
