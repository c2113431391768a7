# Copyright (c) tsdistill authors. All rights reserved.
from .flow_io import (dequantize_flow, quantize_flow, read_flo,
                      read_flow_jpegs, write_flo, write_flow_jpegs)
from .flow_vis import flow_grid, flow_to_color

__all__ = [
    'read_flo', 'write_flo', 'quantize_flow', 'dequantize_flow',
    'read_flow_jpegs', 'write_flow_jpegs', 'flow_to_color', 'flow_grid'
]
