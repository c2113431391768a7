# Copyright (c) tsdistill authors. All rights reserved.
"""The student M3: RGB R3D-18 distilled from the frozen flow teacher."""
import copy
import functools
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, SampleList
from mmengine.config import Config
from torch import Tensor, nn

from ...utils.paths import MIM_ROOT
from ..losses import BaseDistillLoss
from .checkpoint import load_checkpoint_strict
from .feature_alignment import TEMPORAL_ALIGNS, align_features
from .flow_recognizer import FlowRecognizer3D, rgb_normalisation
from .loss_schedule import LossSchedule, training_progress
from .stage_features import (check_resnet3d, resnet3d_stage_outputs,
                             stage_channels)

POOLED = 'pooled'
LOGITS = 'logits'
FLOW = 'flow'

#: The distillation term when ``loss_distill`` is not given; the
#: experiments take theirs from ``configs/_base_/models/r3d18_distill.py``.
DEFAULT_LOSS_DISTILL = dict(
    type='FeatureMSELoss', loss_weight=10.0, pairs=[('layer3', 'layer3')])

#: The paper's ``lambda`` is the ``loss_weight`` of each term, not a key
#: of the recognizer.
LAMBDA_KEY_ERROR = (
    "DistillRecognizer3D: lambda_ is not a key of the recognizer: the "
    "paper's lambda is the loss_weight of each distillation term, e.g. "
    "loss_distill=dict(type='FeatureMSELoss', loss_weight=10.0, "
    "pairs=[('layer3', 'layer3')])")

Pair = Tuple[str, str]


def _always_eval(module: nn.Module, mode: bool = True) -> nn.Module:
    """Replacement ``train()`` of the teacher: it stays in eval mode."""
    return nn.Module.train(module, False)


def resolve_config_path(path: str, what: str = 'config') -> str:
    """Find a config file given as is or among the shipped configs.

    A relative path is tried as given (from the working directory), then
    under the configs shipped with the package (``tsdistill/.mim/configs``,
    :func:`~tsdistill.utils.paths.shipped_path`), with or without a leading
    ``configs/``: configs name each other as in the repository (e.g. the
    student's ``teacher_cfg='configs/demo/...-tvl1.py'``), so a run started
    from any directory, with tsdistill installed from a wheel, finds them.

    Args:
        path (str): The file as given.
        what (str): Used in the error message. Defaults to ``'config'``.

    Returns:
        str: ``path`` if it is a file, else the shipped config.

    Raises:
        FileNotFoundError: Neither exists; the message names every path
            tried.
    """
    tried = [path]
    if osp.isfile(path):
        return path
    relative = osp.normpath(path)
    if not osp.isabs(path) and not relative.startswith(os.pardir):
        first, _, rest = relative.partition(os.sep)
        if first == 'configs' and rest:
            relative = rest
        candidate = osp.join(MIM_ROOT, 'configs', relative)
        if osp.isfile(candidate):
            return candidate
        tried.append(candidate)
    raise FileNotFoundError(f'{what}: config file {path} not found (tried ' +
                            ' and '.join(tried) + ')')


def build_teacher(teacher_cfg: Union[str, ConfigType],
                  teacher_ckpt: str) -> FlowRecognizer3D:
    """Build the frozen flow teacher (M1 + M2) from a config and checkpoint.

    Args:
        teacher_cfg (str | dict): The teacher model config, or the path of
            a config file whose ``model`` is the teacher (e.g. the TV-L1
            experiment config it was trained with), as given or among the
            shipped configs (:func:`resolve_config_path`).
        teacher_ckpt (str): Its checkpoint: a file, URL or work directory
            (then its ``last_checkpoint``). Every key must match; a
            checkpoint without any ``flow.*`` key (a teacher trained on
            precomputed flow) keeps M1 as built from ``teacher_cfg``.

    Returns:
        FlowRecognizer3D: In eval mode, ``requires_grad`` off everywhere,
        whose ``train()`` keeps it in eval mode, and with M2's
        convolution weights in channels-last layout (on this repository's
        2-core CPU, M2 to stage 3 took about 17 % less CPU time).
    """
    if isinstance(teacher_cfg, str):
        teacher_cfg = Config.fromfile(
            resolve_config_path(teacher_cfg, 'teacher_cfg')).model
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
    # M2's convolutions in channels-last layout (the weights' layout sets
    # the convolutions', so the features follow): the weights keep their
    # values, only their strides change; the features equal the contiguous
    # layout's to float rounding.
    teacher.backbone.to(memory_format=torch.channels_last_3d)
    return teacher


def _feature_spec(name: str, model: Recognizer3D, who: str) -> Tuple[str, int]:
    """Kind and channels of a feature name of ``model``.

    Returns:
        tuple: ``('map' | 'pooled' | 'logits', channels)``.
    """
    if name == FLOW and isinstance(model, FlowRecognizer3D):
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
    if isinstance(model, FlowRecognizer3D):
        known += f" or '{FLOW}'"
    raise ValueError(f'unknown {who} feature {name!r}: use {known}')


def _check_pairs(pairs, loss_name: str) -> List[Pair]:
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


@MODELS.register_module()
class DistillRecognizer3D(Recognizer3D):
    """The distilled RGB student (M3) of flow-to-RGB feature distillation.

    Trained with ``L = CE(y_hat, y) + sum_i lambda_i * d_i(F_rgb, F_flow)``
    where ``F_flow`` comes from a frozen teacher (M1 TV-L1 flow + M2 flow
    R3D-18, a :class:`FlowRecognizer3D`) fed with the same RGB clip (in its
    own normalisation, :meth:`teacher_clips`); the paper's term is
    ``d = MSE`` on stage-3 maps with ``lambda = 10``. Test time
    (``predict``) is the parent's: the student alone, so the checkpoint is
    that of a plain ``Recognizer3D`` with the same backbone and head.

    Teacher handling (what mmrazor does well, without its weight): built
    from ``teacher_cfg`` + ``teacher_ckpt`` at construction (a missing or
    mismatching checkpoint fails here), ``requires_grad_(False)``, run under
    ``torch.no_grad()``, always in eval mode (BatchNorm uses its running
    statistics). It is kept *outside* the module tree (a plain attribute,
    exposed as :attr:`teacher`), so ``parameters()``, ``state_dict()``,
    ``init_weights()``, the optimizer, SyncBN conversion and DDP never see
    it; :meth:`_apply` moves it with the student (``.to``, ``.cuda``,
    ``.half``). Every rank builds the same teacher from the same file.

    Distillation terms (``loss_distill``): one config dict per registered
    loss (a :class:`BaseDistillLoss`, e.g. ``FeatureMSELoss``), or a list
    of them. ``loss_weight`` is its ``lambda``; ``pairs`` lists the matched
    ``(student feature, teacher feature)`` names (the loss's
    ``default_pairs`` if omitted): ``'layer1'`` ... ``'layerK'`` stage
    MAPS ``(N, C, T, H, W)``, ``'pooled'`` the globally averaged last stage
    (MARS), ``'logits'`` the head's class scores before softmax (the
    teacher's from its own head), and for the teacher only ``'flow'``, M1's
    flow ``(N, 2, T-1, H, W)`` in pixels per frame, the input of M2 before
    its normalisation (a student map paired with it is asked to predict the
    flow from RGB, as in ActionFlowNet, Ng et al., WACV 2018). The
    recognizer builds one loss module per pair, passing the pair's channel
    counts, and keeps them in the
    ``nn.ModuleList`` :attr:`loss_distill`: a trainable connector (e.g.
    ``FitNetsLoss``) is thus a student parameter from construction on,
    optimised, DDP-wrapped and checkpointed (``loss_distill.*`` keys, which
    ``tools/misc/export_student.py`` strips). Without such a term (the
    default) the student checkpoint loads into a plain ``Recognizer3D``
    with ``strict=True``. The teacher runs only as deep as the pairs need
    (``'pooled'`` and ``'logits'`` need all of it).

    Alignment: the teacher sees ``T-1`` flow frames for ``T`` RGB frames, so
    stage maps may differ by a position in time. ``temporal_align=
    'interpolate'`` resamples the student map trilinearly onto the teacher's
    grid; ``'crop'`` drops the trailing position(s) (the last RGB frame).

    Weights over training (``loss_schedule``, see :class:`LossSchedule`):
    ``L = w_cls(t) * CE + f(t) * sum_i lambda_i * d_i``. The paper's first
    stage, the distill-only warm-up, multiplies ``loss_cls`` by 0: the
    layers after the deepest matched stage and the head get exactly zero
    gradients while the layers up to it learn from the distillation terms
    alone. Keeping the (zero) CE term in the graph means every parameter
    still gets a gradient, which DDP without ``find_unused_parameters``
    needs. Caveat: SGD's weight decay still acts on those zero-gradient
    layers.

    Logged: ``loss_cls`` (weighted by ``w_cls``), ``loss_distill`` (the
    optimised ``f * sum_i lambda_i * d_i``) and diagnostics without
    ``loss`` in their names: the head's accuracies, the unweighted
    ``distill_<log_name>_<pair>`` of each term (e.g.
    ``distill_mse_layer3``) and, with a schedule, ``cls_weight`` and
    ``distill_factor``.

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
        loss_distill (dict | list[dict], optional): The distillation
            terms, see above. Defaults to ``None``:
            :data:`DEFAULT_LOSS_DISTILL`, ``FeatureMSELoss`` on stage-3
            maps with ``loss_weight=10.0``, chosen by the calibration run
            that :class:`~tsdistill.models.losses.FeatureMSELoss`
            describes (motion-only synthetic clips, a tiny 3D CNN, one
            seed: stage-3 maps at lambda 10 reached 47.7 % where the pooled
            feature at lambda 50 reached 8.6 %, RGB alone 22.7 %).
        temporal_align (str): ``'interpolate'`` or ``'crop'``. Defaults to
            ``'interpolate'``.
        loss_schedule (dict, optional): Arguments of :class:`LossSchedule`
            (``by_epoch``, ``distill_only``, ``ce_ramp``,
            ``distill_end_factor``). Defaults to ``None`` (all weights 1).
        neck (dict, optional): Not supported (must be ``None``).
        train_cfg (dict, optional): Defaults to ``None``.
        test_cfg (dict, optional): Defaults to ``None``.
        data_preprocessor (dict, optional): RGB normalisation of the
            student; the teacher's may differ (:meth:`teacher_clips`).
            Defaults to ``None``.
        lambda_ (float, optional): Refused when given, with
            :data:`LAMBDA_KEY_ERROR`: the paper's lambda is each term's
            ``loss_weight``. Defaults to ``None``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cls_head: ConfigType,
                 teacher_cfg: Union[str, ConfigType],
                 teacher_ckpt: str,
                 loss_distill: Union[ConfigType, Sequence[ConfigType],
                                     None] = None,
                 temporal_align: str = 'interpolate',
                 loss_schedule: OptConfigType = None,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 lambda_: Optional[float] = None) -> None:
        if lambda_ is not None:
            raise TypeError(LAMBDA_KEY_ERROR)
        if neck is not None:
            raise ValueError('DistillRecognizer3D does not support a neck')
        super().__init__(
            backbone=backbone,
            cls_head=cls_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor)
        if temporal_align not in TEMPORAL_ALIGNS:
            raise ValueError(f'temporal_align must be one of '
                             f'{TEMPORAL_ALIGNS}, got {temporal_align!r}')
        self.temporal_align = temporal_align
        self.loss_schedule = self._build_schedule(loss_schedule)
        self._local_iter = 0  # fallback when no Runner updates MessageHub

        check_resnet3d(self.backbone, 'student')
        teacher = build_teacher(teacher_cfg, teacher_ckpt)
        check_resnet3d(teacher.backbone, 'teacher')
        # outside the module tree: see the class docstring
        object.__setattr__(self, '_teacher', teacher)
        self._build_loss_distill(DEFAULT_LOSS_DISTILL if loss_distill is
                                 None else loss_distill)

    @staticmethod
    def _build_schedule(cfg: OptConfigType) -> Optional[LossSchedule]:
        if cfg is None:
            return None
        if not isinstance(cfg, dict):
            raise TypeError(
                'loss_schedule must be a dict of LossSchedule arguments '
                '(by_epoch, distill_only, ce_ramp, distill_end_factor), e.g. '
                f'dict(distill_only=10), got {cfg!r}')
        try:
            return LossSchedule(**cfg)
        except TypeError as error:
            raise TypeError(
                f'loss_schedule={dict(cfg)!r}: {error}; its keys are '
                'by_epoch, distill_only, ce_ramp, distill_end_factor'
            ) from None

    def _build_loss_distill(self, loss_distill) -> None:
        """One loss module per matched pair, in :attr:`loss_distill`."""
        if isinstance(loss_distill, (list, tuple)):
            cfgs = list(loss_distill)
        else:
            cfgs = [loss_distill]
        if not cfgs:
            raise ValueError('loss_distill needs at least one term, e.g. '
                             f'{DEFAULT_LOSS_DISTILL}')
        self.loss_distill = nn.ModuleList()
        self.distill_pairs: List[Pair] = []
        self._log_keys: List[str] = []
        for cfg in cfgs:
            cfg = copy.deepcopy(dict(cfg))
            pairs = cfg.pop('pairs', None)
            loss_type = cfg.get('type')
            if isinstance(loss_type, str):
                loss_type = MODELS.get(loss_type)
            if not (isinstance(loss_type, type)
                    and issubclass(loss_type, BaseDistillLoss)):
                raise TypeError(
                    f"loss_distill type {cfg.get('type')!r} is not a "
                    'registered distillation loss (a BaseDistillLoss in '
                    "mmaction2's MODELS, e.g. 'FeatureMSELoss')")
            name = loss_type.__name__
            pairs = _check_pairs(
                loss_type.default_pairs if pairs is None else pairs, name)
            for pair in pairs:
                s_kind, s_channels = _feature_spec(pair[0], self, 'student')
                t_kind, t_channels = _feature_spec(pair[1], self.teacher,
                                                   'teacher')
                if s_kind != t_kind:
                    raise ValueError(f'{name}: pair {pair} matches a '
                                     f'{s_kind} with a {t_kind}')
                if s_kind not in loss_type.accepts:
                    raise ValueError(f'{name} works on {loss_type.accepts} '
                                     f'features, got pair {pair}')
                self.loss_distill.append(
                    MODELS.build(
                        dict(
                            cfg,
                            student_channels=s_channels,
                            teacher_channels=t_channels)))
                self.distill_pairs.append(pair)
                base = f'distill_{loss_type.log_name}_' + (
                    pair[0] if pair[0] == pair[1] else '_'.join(pair))
                key, repeat = base, 1
                while key in self._log_keys:
                    # the same loss on the same pair again: _2, _3, ...
                    repeat += 1
                    key = f'{base}_{repeat}'
                self._log_keys.append(key)
        teacher_names = {t for _, t in self.distill_pairs}
        stages = [
            int(n[5:]) for n in teacher_names
            if n not in (POOLED, LOGITS, FLOW)
        ]
        # the whole teacher for pooled features or logits; 0 stages (M1
        # alone) for 'flow' alone
        needs_all = bool(teacher_names & {POOLED, LOGITS})
        self._teacher_depth = None if needs_all else max(stages, default=0)

    @property
    def teacher(self) -> FlowRecognizer3D:
        """FlowRecognizer3D: The frozen teacher (not a sub-module)."""
        return self._teacher

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
                f'sub-module), distill_pairs={self.distill_pairs}, '
                f'temporal_align={self.temporal_align!r}, '
                f'loss_schedule={self.loss_schedule}')

    def loss_weights(self) -> Tuple[float, float]:
        """``(w_cls, f)``: the weight of CE and factor of the lambdas now.

        Both are 1 without a ``loss_schedule`` and in test mode; otherwise
        from :class:`LossSchedule` at the position read from mmengine's
        ``MessageHub`` (the Runner's ``RuntimeInfoHook`` updates it, and it
        is restored on resume). Without a Runner, a counter of training
        ``loss`` calls stands in for the iteration (epoch 0).
        """
        if self.loss_schedule is None or not self.training:
            return 1.0, 1.0
        return self.loss_schedule.weights(training_progress(self._local_iter))

    @staticmethod
    def _named_features(names, maps: List[Tensor],
                        head: nn.Module) -> Dict[str, Tensor]:
        """The features named in ``names`` from stage maps (and the head)."""
        feats = {}
        for name in names:
            if name == POOLED:
                feats[name] = maps[-1].mean(dim=(2, 3, 4))
            elif name == LOGITS:
                feats[name] = head(maps[-1])
            else:
                feats[name] = maps[int(name[5:]) - 1]
        return feats

    def student_features(self, maps: List[Tensor],
                         cls_scores: Tensor) -> Dict[str, Tensor]:
        """``F_rgb`` by name from the student's stage maps and scores."""
        names = {s for s, _ in self.distill_pairs}
        feats = self._named_features(names - {LOGITS}, maps, self.cls_head)
        if LOGITS in names:
            feats[LOGITS] = cls_scores  # the scores CE sees
        return feats

    def teacher_clips(self, clips: Tensor) -> Tensor:
        """The student's clips as the teacher's data preprocessor gives them.

        The teacher undoes its own preprocessor's normalisation before M1
        (:meth:`FlowRecognizer3D.raw_rgb`), so a student that normalises
        otherwise has its clips converted.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the student's data
                preprocessor.

        Returns:
            Tensor: ``clips`` itself if both normalise alike (the
            configs'), else converted.
        """
        ours = rgb_normalisation(self.data_preprocessor)
        theirs = rgb_normalisation(self.teacher.data_preprocessor)
        if ours is None or theirs is None:
            same = ours is theirs
        else:
            same = all(map(torch.equal, ours, theirs))
        if same:
            return clips
        if ours is not None:
            # raw = x * std_s + mean_s
            clips = clips * ours[1] + ours[0]
        if theirs is not None:
            # x_t = (raw - mean_t) / std_t
            clips = (clips - theirs[0]) / theirs[1]
        return clips

    @torch.no_grad()
    def teacher_features(self, clips: Tensor) -> Dict[str, Tensor]:
        """Teacher features by name, computed only as deep as needed.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the student's data
                preprocessor.

        Returns:
            dict[str, Tensor]: ``F_flow`` of each teacher feature of
            :attr:`distill_pairs`, from ``T-1`` flow frames.
        """
        flow = self.teacher.flow_inputs(self.teacher_clips(clips))
        names = {t for _, t in self.distill_pairs}
        maps = resnet3d_stage_outputs(self.teacher.backbone, flow,
                                      self._teacher_depth)
        feats = self._named_features(names - {FLOW}, maps,
                                     self.teacher.cls_head)
        if FLOW in names:
            # M2's input in pixels (clipped at the bound, as M2 sees it)
            feats[FLOW] = flow * self.teacher.flow_bound
        return feats

    def matched_pair(
            self, pair: Pair, student_feats: Dict[str, Tensor],
            teacher_feats: Dict[str, Tensor]) -> Tuple[Tensor, Tensor]:
        """``(F_rgb, F_flow)`` of one pair, maps aligned in space-time."""
        student, teacher = student_feats[pair[0]], teacher_feats[pair[1]]
        if student.dim() == 5:
            return align_features(student, teacher, self.temporal_align)
        return student, teacher

    def distillation_terms(
        self, maps: List[Tensor], cls_scores: Tensor, clips: Tensor
    ) -> Iterator[Tuple[BaseDistillLoss, str, Tensor, Tensor]]:
        """Each term with its log key and its aligned ``(F_rgb, F_flow)``.

        Args:
            maps (list[Tensor]): The student's stage outputs on ``clips``.
            cls_scores (Tensor): The student's head on the last of them.
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the student's data
                preprocessor (the teacher computes its flow from them).

        Yields:
            tuple: ``(term, log key, F_rgb, F_flow)``, in the order of
            :attr:`distill_pairs`.
        """
        student_feats = self.student_features(maps, cls_scores)
        teacher_feats = self.teacher_features(clips)
        for term, pair, key in zip(self.loss_distill, self.distill_pairs,
                                   self._log_keys):
            yield (term, key,
                   *self.matched_pair(pair, student_feats, teacher_feats))

    def loss(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> dict:
        """``loss_cls`` and ``loss_distill`` (``sum_i lambda_i * d_i``).

        Args:
            inputs (Tensor): ``(N, num_clips, 3, T, H, W)`` normalised RGB.
            data_samples (list[ActionDataSample]): With ``gt_label``.

        Returns:
            dict: ``loss_cls``, ``loss_distill`` and diagnostics, see the
            class docstring.
        """
        clips = inputs.view((-1, ) + inputs.shape[2:])
        maps = resnet3d_stage_outputs(self.backbone, clips)
        cls_scores = self.cls_head(maps[-1])
        losses = self.cls_head.loss_by_feat(cls_scores, data_samples)
        cls_weight, distill_factor = self.loss_weights()
        if cls_weight != 1.0:
            # scaled, not dropped: every parameter keeps a gradient (DDP)
            losses['loss_cls'] = losses['loss_cls'] * cls_weight
        distill = clips.new_zeros(())
        for term, key, student, teacher in self.distillation_terms(
                maps, cls_scores, clips):
            value = term.distance(student, teacher)
            losses[key] = value.detach()
            # lambda_i * d_i(F_rgb, F_flow)
            distill = distill + term.loss_weight * value
        # f(t) * sum_i lambda_i * d_i
        losses['loss_distill'] = distill_factor * distill
        if self.loss_schedule is not None:
            losses['cls_weight'] = clips.new_tensor(cls_weight)
            losses['distill_factor'] = clips.new_tensor(distill_factor)
        if self.training:
            self._local_iter += 1
        return losses
