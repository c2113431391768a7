# Copyright (c) tsdistill authors. All rights reserved.
"""Datasets, transforms and the embedded synthetic motion data."""
from . import transforms  # noqa: F401
