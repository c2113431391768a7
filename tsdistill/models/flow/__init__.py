# Copyright (c) tsdistill authors. All rights reserved.
"""M1: optical flow computed inside the network."""
from .tvl1 import TVL1OpticalFlow

__all__ = ['TVL1OpticalFlow']
