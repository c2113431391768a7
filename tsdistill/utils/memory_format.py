# Copyright (c) tsdistill authors. All rights reserved.
"""Convolution weights in channels-last layout."""
from typing import List

import torch
from mmengine.model import is_model_wrapper
from torch import nn


def backbones_to_channels_last(model: nn.Module) -> List[str]:
    """Put the 3-D convolution weights of every ``backbone`` of ``model``
    in channels-last layout (``torch.channels_last_3d``).

    The layout of a convolution's weights sets the layout of its output, so
    the features of the whole backbone follow, and so do the gradients
    and the optimizer's buffers made from them. The weights keep their
    values; only their strides change, and the outputs equal those of the
    contiguous layout to float rounding. Only submodules named
    ``backbone`` are converted (M2 of the teacher, the R3D-18 of the RGB
    network and of the student M3, both streams of a two-stream model):
    their 5-D weights are the model's only ones, while M1's 4-D kernels
    and the data preprocessor's ``mean``/``std`` keep their layout.

    Args:
        model (nn.Module): A recognizer, or a model wrapper around one.

    Returns:
        list[str]: The converted backbones' module names.
    """
    if is_model_wrapper(model):
        model = model.module
    names = [
        name for name, _ in model.named_modules()
        if name.split('.')[-1] == 'backbone'
    ]
    for name in names:
        model.get_submodule(name).to(memory_format=torch.channels_last_3d)
    return names
