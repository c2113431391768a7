# Copyright (c) tsdistill authors. All rights reserved.
"""Metrics registered into mmaction2's ``METRICS`` registry."""
from .per_class_accuracy import PerClassAccuracy

__all__ = ['PerClassAccuracy']
