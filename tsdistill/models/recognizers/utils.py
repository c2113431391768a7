# Copyright (c) tsdistill authors. All rights reserved.
"""Small helpers shared by the recognizers: stage features and alignment."""
from typing import List, Optional, Tuple

import torch.nn.functional as F
from mmaction.models.backbones import ResNet3d
from torch import Tensor, nn

TEMPORAL_ALIGNS = ('interpolate', 'crop')


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
            teacher only needs the deepest matched one). Defaults to all.

    Returns:
        list[Tensor]: ``[layer1(x), ..., layerK(x)]``, each
        ``(N, C_k, T_k, H_k, W_k)``.
    """
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


def align_features(student: Tensor, teacher: Tensor,
                   mode: str) -> Tuple[Tensor, Tensor]:
    """Bring student and teacher feature maps to the same ``(T, H, W)``.

    The flow stream sees ``T-1`` flow frames for ``T`` RGB frames (flow
    ``t`` lies between RGB frames ``t`` and ``t+1``), so after the
    temporal strides their maps may differ by a position or so.

    Args:
        student (Tensor): ``(N, C, T_s, H_s, W_s)`` student map.
        teacher (Tensor): ``(N, C, T_t, H_t, W_t)`` teacher map.
        mode (str): ``'interpolate'``: resample the student map trilinearly
            (``align_corners=False``, i.e. cell centres aligned) onto the
            teacher's grid; every RGB position contributes. ``'crop'``: keep
            the leading ``min`` positions of both along each axis, i.e. drop
            the features of the last RGB frame(s).

    Returns:
        tuple[Tensor, Tensor]: Student and teacher maps of equal shape.
    """
    if student.shape[2:] == teacher.shape[2:]:
        return student, teacher
    if mode == 'interpolate':
        student = F.interpolate(
            student,
            size=teacher.shape[2:],
            mode='trilinear',
            align_corners=False)
        return student, teacher
    if mode == 'crop':
        t, h, w = (min(a, b)
                   for a, b in zip(student.shape[2:], teacher.shape[2:]))
        return student[:, :, :t, :h, :w], teacher[:, :, :t, :h, :w]
    raise ValueError(f'temporal_align must be one of {TEMPORAL_ALIGNS}, '
                     f'got {mode!r}')
