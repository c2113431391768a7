# Copyright (c) tsdistill authors. All rights reserved.
"""Running mmaction2's training / testing flow with the plugin."""
from .channels_last import ChannelsLastHook
from .hooks import (CheckpointCheckHook, RandomStateHook, get_random_state,
                    set_random_state)
from .mmaction_tools import load_mmaction_tool, run_mmaction_tool

__all__ = [
    'ChannelsLastHook', 'CheckpointCheckHook', 'RandomStateHook',
    'get_random_state', 'set_random_state', 'load_mmaction_tool',
    'run_mmaction_tool'
]
