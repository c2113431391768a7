# Copyright (c) tsdistill authors. All rights reserved.
"""Connectors ``r``: trainable maps from the student's features (M3) to the
teacher's (M1 + M2) space, in the terms ``lambda * d(r(F_rgb), F_flow)``."""
from .conv_connector import ConvConnector

__all__ = ['ConvConnector']
