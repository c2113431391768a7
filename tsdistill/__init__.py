# Copyright (c) tsdistill authors. All rights reserved.
"""tsdistill: flow-to-RGB feature distillation for mmaction2.

``import tsdistill`` (or ``custom_imports = dict(imports=['tsdistill'])`` in a
config) applies the compatibility layer of :mod:`tsdistill.compat` and
registers every component into mmaction2's own registries.
"""
from .compat import apply_all

apply_all()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
