# Copyright (c) tsdistill authors. All rights reserved.
"""The features of the distillation, named and recorded without hooks.

A feature is named as a pair of ``loss_distill`` names it: ``'layer1'``
... ``'layerK'``, the stage maps ``(N, C, T, H, W)`` of an mmaction2
``ResNet3d``; ``'pooled'``, the globally averaged last stage ``(N, C)``
(MARS); ``'logits'``, the head's class scores before softmax; and, for the
teacher (M1 + M2) only, ``'flow'``, M1's flow ``(N, 2, T-1, H, W)`` in
pixels per frame, the input of M2 before its normalisation.
:class:`FeatureRecorder` records the named features of the student (M3,
``F_rgb``) or of the teacher (``F_flow``): the model's own input step
(:meth:`FlowRecognizer3D.backbone_inputs` for the teacher, as its
``extract_feat``), then its backbone replayed stage by stage
(:func:`resnet3d_stage_outputs`, the operations of ``ResNet3d.forward``),
as deep as the names need, then its head if they name ``'logits'``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

from mmaction.models.backbones import ResNet3d
from mmaction.models.recognizers import Recognizer3D
from torch import Tensor, nn

from .flow_recognizer import FlowRecognizer3D

POOLED = 'pooled'
LOGITS = 'logits'
FLOW = 'flow'

#: ``(student feature, teacher feature)`` names of one term
Pair = Tuple[str, str]


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


def feature_spec(name: str, model: Recognizer3D, who: str) -> Tuple[str, int]:
    """Kind and channels of a feature name of ``model``.

    Args:
        name (str): See the module docstring.
        model (Recognizer3D): The student or the teacher.
        who (str): ``'student'`` or ``'teacher'``, for the error message.

    Returns:
        tuple: ``('map' | 'pooled' | 'logits', channels)``.

    Raises:
        ValueError: Not a name of ``model``'s features; the message lists
            them.
    """
    if name == FLOW and reads_flow(model):
        return 'map', 2
    channels = stage_channels(model.backbone)
    num_stages = len(channels)
    if name == POOLED:
        return 'pooled', channels[-1]
    if name == LOGITS:
        if model.cls_head is None:
            raise ValueError(f"{who} has no cls_head, so no '{LOGITS}'")
        return 'logits', model.cls_head.num_classes
    if isinstance(name, str) and name.startswith('layer') and \
            name[5:].isdigit() and 1 <= int(name[5:]) <= num_stages:
        return 'map', channels[int(name[5:]) - 1]
    known = f"'layer1' ... 'layer{num_stages}', '{POOLED}', '{LOGITS}'"
    if reads_flow(model):
        known += f" or '{FLOW}'"
    raise ValueError(f'unknown {who} feature {name!r}: use {known}')


def reads_flow(model: nn.Module) -> bool:
    """Whether ``model``'s backbone reads M1's flow alone (a teacher)."""
    return isinstance(model, FlowRecognizer3D) and model.computes_flow and \
        getattr(model.backbone, 'in_channels', None) == 2


def check_pairs(pairs, loss_name: str) -> List[Pair]:
    """``pairs`` as a list of ``(student, teacher)`` name tuples."""
    example = "e.g. pairs=[('layer3', 'layer3')]"
    if isinstance(pairs, str) or not isinstance(pairs, Sequence) or (
            len(pairs) == 2 and all(isinstance(p, str) for p in pairs)):
        raise ValueError(f'{loss_name}: pairs must be a list of (student '
                         f'feature, teacher feature) pairs, {example}; got '
                         f'{pairs!r}')
    checked = []
    for pair in pairs:
        if isinstance(pair,
                      str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f'{loss_name}: each pair is (student feature, '
                             f'teacher feature), {example}; got {pair!r}')
        checked.append((pair[0], pair[1]))
    if not checked:
        raise ValueError(f'{loss_name}: pairs is empty, {example}')
    return checked


class FeatureRecorder:
    """Names and records the features of one recognizer, without hooks.

    One for the student (M3, ``F_rgb``) and one for the teacher (M1 + M2,
    ``F_flow``); :meth:`add` names a feature (checked against the model),
    :meth:`record` computes the named ones on a batch of clips.

    Args:
        who (str): ``'student'`` or ``'teacher'``, for error messages.
    """

    def __init__(self, who: str) -> None:
        self.who = who
        self.names: List[str] = []

    def add(self, name: str, model: Recognizer3D) -> Tuple[str, int]:
        """Name a feature of ``model``; returns its kind and channels."""
        spec = feature_spec(name, model, self.who)
        if name not in self.names:
            self.names.append(name)
        return spec

    @property
    def depth(self) -> Optional[int]:
        """Stages the named features need: ``None`` for all (``'pooled'``
        and ``'logits'`` need the last), ``0`` for ``'flow'`` alone."""
        if {POOLED, LOGITS} & set(self.names):
            return None
        return max((int(n[5:]) for n in self.names if n.startswith('layer')),
                   default=0)

    def record(self,
               model: Recognizer3D,
               clips: Tensor,
               head: bool = False) -> Dict[str, Tensor]:
        """The named features of ``model`` on ``clips``.

        Args:
            model (Recognizer3D): The model the names were added for.
            clips (Tensor): ``(B, C, T, H, W)`` from its data preprocessor.
            head (bool): Run the whole backbone and the head even if no
                name needs them, and give the class scores as
                ``'logits'`` (the student's: the scores its CE sees).
                Defaults to ``False``.

        Returns:
            dict[str, Tensor]: The named features (and ``'logits'`` with
            ``head``).
        """
        inputs = clips
        if isinstance(model, FlowRecognizer3D):
            inputs = model.backbone_inputs(clips)
        maps = resnet3d_stage_outputs(model.backbone, inputs,
                                      None if head else self.depth)
        feats = {}
        if head or LOGITS in self.names:
            feats[LOGITS] = model.cls_head(maps[-1])
        for name in self.names:
            if name == POOLED:
                feats[name] = maps[-1].mean(dim=(2, 3, 4))
            elif name == FLOW:
                # M2's input in pixels (clipped at the bound, as M2 sees it)
                feats[name] = inputs * model.flow_bound
            elif name != LOGITS:
                feats[name] = maps[int(name[5:]) - 1]
        return feats
