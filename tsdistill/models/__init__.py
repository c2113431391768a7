# Copyright (c) tsdistill authors. All rights reserved.
"""Models: M1 (``flow``), the recognizers (``recognizers``), losses."""
from . import flow, losses, recognizers  # noqa: F401
