# Copyright (c) tsdistill authors. All rights reserved.
"""Where the repository is: ``configs/`` and ``tools/`` live there."""
import os.path as osp

#: The repository: parent of the ``tsdistill`` package directory.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
