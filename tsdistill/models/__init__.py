# Copyright (c) tsdistill authors. All rights reserved.
"""Models: M1 (``flow``), the recognizers (``recognizers``), the
distillation terms' distances (``losses``) and connectors."""
from . import connectors, flow, losses, recognizers  # noqa: F401
