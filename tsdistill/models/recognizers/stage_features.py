# Copyright (c) tsdistill authors. All rights reserved.
"""Stage features of an mmaction2 ResNet3d: ``layer1`` ... ``layerK``.

The student (M3) and the teacher's M2 are read stage by stage, without
forward hooks, for the distillation terms that match stage maps.
"""
from typing import List, Optional

from mmaction.models.backbones import ResNet3d
from torch import Tensor, nn


def check_resnet3d(backbone: nn.Module, who: str) -> None:
    """Check that stage features can be read off ``backbone`` safely.

    :func:`resnet3d_stage_outputs` replays :meth:`ResNet3d.forward` stage by
    stage, so the backbone must be a ``ResNet3d`` whose ``forward`` is not
    overridden and whose only output is the last stage (what the head sees).

    Args:
        backbone (nn.Module): The backbone to check.
        who (str): Name used in the error message (``'student'``, ...).
    """
    if not isinstance(backbone, ResNet3d) or \
            type(backbone).forward is not ResNet3d.forward:
        raise TypeError(f'{who} backbone must be mmaction2 ResNet3d (its '
                        'stages are read one by one), got '
                        f'{type(backbone).__name__}')
    last = len(backbone.res_layers) - 1
    if tuple(backbone.out_indices) != (last, ):
        raise ValueError(f'{who} backbone must output its last stage only '
                         f'(out_indices=({last}, )), got '
                         f'out_indices={tuple(backbone.out_indices)}')


def stage_channels(backbone: ResNet3d) -> List[int]:
    """Output channels of each stage ``layer1 ... layerK`` of a ResNet3d."""
    return [
        backbone.base_channels * 2**i * backbone.block.expansion
        for i in range(len(backbone.res_layers))
    ]


def resnet3d_stage_outputs(backbone: ResNet3d,
                           x: Tensor,
                           num_stages: Optional[int] = None) -> List[Tensor]:
    """Run a ResNet3d and keep every stage's output.

    The same operations as :meth:`ResNet3d.forward` (stem, optional
    ``maxpool``, stages, ``pool2`` after the first stage), so the last
    element equals ``backbone(x)``. No forward hooks, no string paths.

    Args:
        backbone (ResNet3d): Backbone checked by :func:`check_resnet3d`.
        x (Tensor): ``(N, C, T, H, W)`` clip (RGB or flow).
        num_stages (int, optional): Stop after this many stages (the
            teacher only needs the deepest matched one; ``0``: nothing
            runs, not even the stem). Defaults to all.

    Returns:
        list[Tensor]: ``[layer1(x), ..., layerK(x)]``, each
        ``(N, C_k, T_k, H_k, W_k)``.
    """
    if num_stages == 0:
        return []
    x = backbone.conv1(x)
    if backbone.with_pool1:
        x = backbone.maxpool(x)
    outs = []
    for i, layer_name in enumerate(backbone.res_layers[:num_stages]):
        x = getattr(backbone, layer_name)(x)
        if i == 0 and backbone.with_pool2:
            x = backbone.pool2(x)
        outs.append(x)
    return outs
