# Copyright (c) tsdistill authors. All rights reserved.
"""The student M3: RGB R3D-18 distilled from the frozen flow teacher."""
import functools
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, SampleList
from mmengine.config import Config
from mmengine.logging import MessageHub
from torch import Tensor, nn

from ..losses import FEATURE_NORMS, feature_mse
from .checkpoint import load_checkpoint_strict
from .flow_recognizer import FlowRecognizer3D
from .utils import (TEMPORAL_ALIGNS, align_features, check_resnet3d,
                    resnet3d_stage_outputs, stage_channels)

POOLED = 'pooled'


def _always_eval(module: nn.Module, mode: bool = True) -> nn.Module:
    """Replacement ``train()`` of the teacher: it stays in eval mode."""
    return nn.Module.train(module, False)


def build_teacher(teacher_cfg: Union[str, ConfigType],
                  teacher_ckpt: str) -> FlowRecognizer3D:
    """Build the frozen flow teacher (M1 + M2) from a config and checkpoint.

    Args:
        teacher_cfg (str | dict): The teacher model config, or the path of
            a config file whose ``model`` is the teacher (e.g. the TV-L1
            experiment config it was trained with).
        teacher_ckpt (str): Its checkpoint: a file, URL or work directory
            (then its ``last_checkpoint``). Every key must match; a
            checkpoint without any ``flow.*`` key (a teacher trained on
            precomputed flow) keeps M1 as built from ``teacher_cfg``.

    Returns:
        FlowRecognizer3D: In eval mode, ``requires_grad`` off everywhere,
        and whose ``train()`` keeps it in eval mode.
    """
    if isinstance(teacher_cfg, str):
        teacher_cfg = Config.fromfile(teacher_cfg).model
    teacher = MODELS.build(teacher_cfg)
    if not isinstance(teacher, FlowRecognizer3D) or not teacher.computes_flow:
        raise TypeError('the teacher must be a FlowRecognizer3D that '
                        'computes flow from RGB (flow_cfg set), got '
                        f'{type(teacher).__name__}')
    load_checkpoint_strict(
        teacher, teacher_ckpt, what='teacher', optional_prefixes=('flow.', ))
    teacher.requires_grad_(False)
    # an instance attribute (a partial, so the model still pickles)
    teacher.train = functools.partial(_always_eval, teacher)
    teacher.eval()
    return teacher


@MODELS.register_module()
class DistillRecognizer3D(Recognizer3D):
    """The distilled RGB student (M3) of flow-to-RGB feature distillation.

    Trained with ``L = CE(y_hat, y) + lambda * sum_k MSE(F_rgb^k,
    F_flow^k)`` where ``F_flow`` comes from a frozen teacher (M1 TV-L1 flow
    + M2 flow R3D-18, a :class:`FlowRecognizer3D`) fed with the same RGB
    clip. Test time (``predict``) is the parent's: the student alone, so the
    checkpoint is that of a plain ``Recognizer3D`` with the same backbone
    and head.

    Teacher handling (what mmrazor does well, without its weight): built
    from ``teacher_cfg`` + ``teacher_ckpt`` at construction (a missing or
    mismatching checkpoint fails here), ``requires_grad_(False)``, run under
    ``torch.no_grad()``, always in eval mode (BatchNorm uses its running
    statistics). It is kept *outside* the module tree (a plain attribute,
    exposed as :attr:`teacher`), so ``parameters()``, ``state_dict()``,
    ``init_weights()``, the optimizer, SyncBN conversion and DDP never see
    it; :meth:`_apply` moves it with the student (``.to``, ``.cuda``,
    ``.half``). Every rank builds the same teacher from the same file.

    Matched features (``distill_features``): ``'layer1'`` ... ``'layerK'``
    are stage feature MAPS ``(N, C, T, H, W)``, ``'pooled'`` is the globally
    averaged last-stage feature before the classifier (MARS). A 1x1x1 conv
    connector (student parameters, ``connectors.<name>``) maps student
    channels to teacher channels only where they differ; with equal
    backbones (the default R3D-18 pair) there is none and the student
    checkpoint loads into a plain ``Recognizer3D`` with ``strict=True``.
    Otherwise strip ``connectors.*`` with ``tools/misc/export_student.py``.

    Alignment: the teacher sees ``T-1`` flow frames for ``T`` RGB frames, so
    stage maps may differ by a position in time. ``temporal_align=
    'interpolate'`` resamples the student map trilinearly onto the teacher's
    grid; ``'crop'`` drops the trailing position(s) (the last RGB frame).

    Warm-up (the paper's first stage, "train the early part of the student
    with the MSE alone"): for the first ``warmup_iters`` iterations (or
    ``warmup_epochs`` epochs), read from mmengine's ``MessageHub``,
    ``loss_cls`` is multiplied by 0, so the layers after the deepest matched
    stage and the head get exactly zero gradients while the layers up to it
    learn from the MSE alone. Keeping the (zero) CE term in the graph means
    every parameter still gets a gradient, which DDP without
    ``find_unused_parameters`` needs. Caveat: SGD's weight decay still acts
    on those zero-gradient layers.

    DDP / BatchNorm: all student parameters (backbone, head, connectors)
    receive a gradient every step; the teacher holds no parameters of the
    wrapped module. The student's BN is per-process unless its
    ``norm_cfg`` is ``SyncBN``; the teacher's BN is frozen.

    Args:
        backbone (dict): Student backbone (RGB ``ResNet3d``).
        cls_head (dict): Student head (``I3DHead``).
        teacher_cfg (str | dict): Teacher model config or config file, see
            :func:`build_teacher`.
        teacher_ckpt (str): Teacher checkpoint file / work dir.
        distill_features (Sequence[str] | str): Matched features, see
            above. Defaults to ``('layer3', )`` (chosen by measurement, see
            issue 7: stage-3 maps at lambda 10 reached 47.7 % where the
            pooled feature at lambda 50 reached 8.6 %, RGB alone 22.7 %).
        lambda_ (float): ``lambda``, the weight of the MSE terms. Defaults to
            ``10.0``.
        feature_norm (str, optional): ``None``, ``'channel'`` or
            ``'layer'``, see :func:`normalize_feature`. Defaults to ``None``.
        temporal_align (str): ``'interpolate'`` or ``'crop'``. Defaults to
            ``'interpolate'``.
        warmup_iters (int): MSE-only iterations. Defaults to ``0``.
        warmup_epochs (int): MSE-only epochs (exclusive with
            ``warmup_iters``). Defaults to ``0``.
        neck (dict, optional): Not supported (must be ``None``).
        train_cfg (dict, optional): Defaults to ``None``.
        test_cfg (dict, optional): Defaults to ``None``.
        data_preprocessor (dict, optional): RGB normalisation; the teacher's
            M1 must undo the same mean / std. Defaults to ``None``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cls_head: ConfigType,
                 teacher_cfg: Union[str, ConfigType],
                 teacher_ckpt: str,
                 distill_features: Union[str, Sequence[str]] = ('layer3', ),
                 lambda_: float = 10.0,
                 feature_norm: Optional[str] = None,
                 temporal_align: str = 'interpolate',
                 warmup_iters: int = 0,
                 warmup_epochs: int = 0,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None) -> None:
        if neck is not None:
            raise ValueError('DistillRecognizer3D does not support a neck')
        super().__init__(
            backbone=backbone,
            cls_head=cls_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor)
        if isinstance(distill_features, str):
            distill_features = (distill_features, )
        self.distill_features = tuple(distill_features)
        if not self.distill_features:
            raise ValueError('distill_features must name at least one '
                             "feature, e.g. ('layer3', )")
        if feature_norm not in FEATURE_NORMS:
            raise ValueError(f'feature_norm must be one of {FEATURE_NORMS}, '
                             f'got {feature_norm!r}')
        if temporal_align not in TEMPORAL_ALIGNS:
            raise ValueError(f'temporal_align must be one of '
                             f'{TEMPORAL_ALIGNS}, got {temporal_align!r}')
        if warmup_iters < 0 or warmup_epochs < 0 or (warmup_iters
                                                     and warmup_epochs):
            raise ValueError('give at most one of warmup_iters and '
                             'warmup_epochs, both >= 0')
        self.lambda_ = float(lambda_)
        self.feature_norm = feature_norm
        self.temporal_align = temporal_align
        self.warmup_iters = int(warmup_iters)
        self.warmup_epochs = int(warmup_epochs)
        self._local_iter = 0  # fallback when no Runner updates MessageHub

        check_resnet3d(self.backbone, 'student')
        teacher = build_teacher(teacher_cfg, teacher_ckpt)
        check_resnet3d(teacher.backbone, 'teacher')
        # outside the module tree: see the class docstring
        object.__setattr__(self, '_teacher', teacher)
        self._check_input_normalisation()

        self._stage_index: Dict[str, int] = {}
        student_ch = stage_channels(self.backbone)
        teacher_ch = stage_channels(teacher.backbone)
        num_stages = min(len(student_ch), len(teacher_ch))
        self.connectors = nn.ModuleDict()
        for name in self.distill_features:
            if name == POOLED:
                if len(student_ch) != len(teacher_ch):
                    raise ValueError("'pooled' needs student and teacher "
                                     'backbones with the same number of '
                                     'stages')
                index = len(student_ch) - 1
            elif name.startswith('layer') and name[5:].isdigit() and \
                    1 <= int(name[5:]) <= num_stages:
                index = int(name[5:]) - 1
            else:
                raise ValueError(
                    f'unknown distill feature {name!r}: use '
                    f"'layer1' ... 'layer{num_stages}' or '{POOLED}'")
            self._stage_index[name] = index
            if student_ch[index] != teacher_ch[index]:
                # 1x1x1 connector C_student -> C_teacher
                self.connectors[name] = nn.Conv3d(
                    student_ch[index], teacher_ch[index], kernel_size=1)
        self._teacher_depth = max(self._stage_index.values()) + 1

    @property
    def teacher(self) -> FlowRecognizer3D:
        """FlowRecognizer3D: The frozen teacher (not a sub-module)."""
        return self._teacher

    def _check_input_normalisation(self) -> None:
        """M1 must undo the student's RGB normalisation (same clip in)."""
        flow = self.teacher.flow
        for name in ('mean', 'std'):
            theirs = getattr(flow, f'input_{name}', None)
            ours = getattr(self.data_preprocessor, name, None)
            if theirs is None or not isinstance(ours, Tensor):
                continue
            theirs = torch.as_tensor(theirs, dtype=torch.float32).flatten()
            ours = ours.detach().float().flatten().cpu()
            if theirs.shape != ours.shape or not torch.allclose(
                    theirs.cpu(), ours):
                raise ValueError(
                    f'teacher flow module input_{name}={theirs.tolist()} '
                    f'differs from the student data_preprocessor {name}='
                    f'{ours.tolist()}; the teacher is fed the student\'s '
                    'normalised clip, so they must match')

    def train(self, mode: bool = True) -> 'DistillRecognizer3D':
        """Set the student's mode; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def _apply(self, fn, *args, **kwargs):
        """Move / cast the teacher together with the student."""
        module = super()._apply(fn, *args, **kwargs)
        teacher = self.__dict__.get('_teacher')
        if teacher is not None:
            teacher._apply(fn, *args, **kwargs)
        return module

    def extra_repr(self) -> str:
        """Show the distillation setting in ``print(model)``."""
        return (f'teacher={type(self.teacher).__name__} (frozen, not a '
                f'sub-module), distill_features={self.distill_features}, '
                f'lambda_={self.lambda_}, feature_norm={self.feature_norm}, '
                f'temporal_align={self.temporal_align!r}, warmup_iters='
                f'{self.warmup_iters}, warmup_epochs={self.warmup_epochs}')

    def in_warmup(self) -> bool:
        """Whether the current iteration belongs to the MSE-only warm-up.

        The iteration / epoch is read from the current mmengine
        ``MessageHub`` (the Runner's ``RuntimeInfoHook`` updates it, and it
        is restored on resume). Without a Runner, a counter of training
        ``loss`` calls stands in for the iteration (epoch 0 for epochs).
        """
        if not self.training or not (self.warmup_iters or self.warmup_epochs):
            return False
        hub = MessageHub.get_current_instance()
        if self.warmup_iters:
            it = hub.get_info('iter')
            return (self._local_iter if it is None else it) < \
                self.warmup_iters
        epoch = hub.get_info('epoch')
        return (0 if epoch is None else epoch) < self.warmup_epochs

    @torch.no_grad()
    def teacher_features(self, clips: Tensor) -> List[Tensor]:
        """Teacher stage maps up to the deepest matched stage.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` normalised RGB.

        Returns:
            list[Tensor]: ``F_flow`` of ``layer1 ...``, from ``T-1`` flow
            frames.
        """
        flow = self.teacher.flow_inputs(clips)
        return resnet3d_stage_outputs(self.teacher.backbone, flow,
                                      self._teacher_depth)

    def matched_pair(self, name: str, student_feats: List[Tensor],
                     teacher_feats: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """``(F_rgb, F_flow)`` for one entry of ``distill_features``."""
        index = self._stage_index[name]
        student, teacher = student_feats[index], teacher_feats[index]
        if name in self.connectors:
            student = self.connectors[name](student)
        if name == POOLED:
            return student.mean(dim=(2, 3, 4)), teacher.mean(dim=(2, 3, 4))
        return align_features(student, teacher, self.temporal_align)

    def loss(self, inputs: Tensor, data_samples: SampleList,
             **kwargs) -> dict:
        """``loss_cls`` (head) and ``loss_distill`` (``lambda * MSE``).

        Args:
            inputs (Tensor): ``(N, num_clips, 3, T, H, W)`` normalised RGB.
            data_samples (list[ActionDataSample]): With ``gt_label``.

        Returns:
            dict: ``loss_cls``, ``loss_distill`` and diagnostics without
            ``loss`` in their names: the head's accuracies, the unweighted
            ``mse_<feature>`` of each matched feature and, if a warm-up is
            configured, ``distill_warmup`` (1 during the warm-up).
        """
        clips = inputs.view((-1, ) + inputs.shape[2:])
        student_feats = resnet3d_stage_outputs(self.backbone, clips)
        losses = self.cls_head.loss(student_feats[-1], data_samples)
        warmup = self.in_warmup()
        if warmup:
            # zero, not dropped: every parameter keeps a gradient (DDP)
            losses['loss_cls'] = losses['loss_cls'] * 0.0
        teacher_feats = self.teacher_features(clips)
        distill = clips.new_zeros(())
        for name in self.distill_features:
            student, teacher = self.matched_pair(name, student_feats,
                                                 teacher_feats)
            mse = feature_mse(student, teacher, self.feature_norm)
            losses[f'mse_{name}'] = mse.detach()
            distill = distill + mse
        # lambda * sum_k MSE(F_rgb^k, F_flow^k)
        losses['loss_distill'] = self.lambda_ * distill
        if self.warmup_iters or self.warmup_epochs:
            losses['distill_warmup'] = clips.new_tensor(float(warmup))
        if self.training:
            self._local_iter += 1
        return losses
