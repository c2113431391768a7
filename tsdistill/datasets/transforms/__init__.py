# Copyright (c) tsdistill authors. All rights reserved.
"""Transforms registered into mmaction2's ``TRANSFORMS``."""
from .loading import CheckedDecordInit

__all__ = ['CheckedDecordInit']
