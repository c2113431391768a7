# Copyright (c) tsdistill authors. All rights reserved.
"""Running mmaction2's training / testing flow with the plugin."""
from .mmaction_tools import load_mmaction_tool, run_mmaction_tool

__all__ = ['load_mmaction_tool', 'run_mmaction_tool']
