# Copyright (c) tsdistill authors. All rights reserved.
"""The student M3: RGB R3D-18 distilled from the frozen flow teacher.

``L = CE(y_hat, y) + sum_i lambda_i * d_i(r_i(F_rgb), F_flow)``: the
teacher is built by :mod:`.teacher`, the features ``F_rgb`` and ``F_flow``
are named and recorded by :mod:`.features`, the connectors ``r_i`` are
:mod:`tsdistill.models.connectors`, the distances ``d_i`` (with their
``lambda_i``) :mod:`tsdistill.models.losses`.
"""
import copy
from typing import (Dict, Iterator, List, NamedTuple, Optional, Sequence,
                    Tuple, Union)

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor, nn

from ..losses import BaseDistillLoss
from .feature_alignment import TEMPORAL_ALIGNS, align_features
from .features import (LOGITS, FeatureRecorder, Pair, check_pairs,
                       check_resnet3d)
from .flow_recognizer import FlowRecognizer3D, rgb_normalisation
from .hint_views import check_reverse_fraction, reverse_some_in_time
from .loss_schedule import LossSchedule, training_progress
from .teacher import build_teacher

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


class DistillTerm(NamedTuple):
    """One term ``lambda * d(r(F_rgb), F_flow)`` of the student's loss.

    ``key`` names it (``<log_name>_<pair>``, e.g. ``fitnets_layer1``): its
    distance is logged as ``distill_<key>`` and its connector, if any, is
    ``connectors[key]``; ``pair`` is ``(student feature, teacher
    feature)``.
    """
    key: str
    pair: Pair


@MODELS.register_module()
class DistillRecognizer3D(Recognizer3D):
    """The distilled RGB student (M3) of flow-to-RGB feature distillation.

    Trained with ``L = CE(y_hat, y) + sum_i lambda_i * d_i(r_i(F_rgb),
    F_flow)`` where ``F_flow`` comes from a frozen teacher (M1 TV-L1 flow +
    M2 flow R3D-18, a :class:`FlowRecognizer3D`) fed with the same RGB clip
    (in its own normalisation, :meth:`teacher_clips`), and ``r_i`` is a
    trainable connector or the identity; the paper's term is ``d = MSE``
    on stage-3 maps with ``lambda = 10`` and no connector. Test time
    (``predict``) is the parent's: the student alone, so the checkpoint is
    that of a plain ``Recognizer3D`` with the same backbone and head.

    Teacher handling (what mmrazor does well, without its weight): built
    from ``teacher_cfg`` + ``teacher_ckpt`` at construction
    (:func:`build_teacher`; a missing or mismatching checkpoint fails
    here), ``requires_grad_(False)``, run under ``torch.no_grad()``, always
    in eval mode (BatchNorm uses its running statistics). It is kept
    *outside* the module tree (a plain attribute, exposed as
    :attr:`teacher`), so ``parameters()``, ``state_dict()``,
    ``init_weights()``, the optimizer, SyncBN conversion and DDP never see
    it; :meth:`_apply` moves it with the student (``.to``, ``.cuda``,
    ``.half``). Every rank builds the same teacher from the same file.

    Distillation terms (``loss_distill``): one config dict per registered
    loss (a :class:`BaseDistillLoss`, e.g. ``FeatureMSELoss``), or a list
    of them. ``loss_weight`` is its ``lambda``; ``pairs`` lists the matched
    ``(student feature, teacher feature)`` names (the loss's
    ``default_pairs`` if omitted), which :mod:`.features` defines: stage
    maps ``'layer1'`` ... ``'layerK'``, ``'pooled'`` (MARS), ``'logits'``
    and, for the teacher only, ``'flow'`` (a student map paired with it is
    asked to predict M1's flow from RGB, as in ActionFlowNet, Ng et al.,
    WACV 2018). The recognizer builds, per pair, the loss (a plain
    distance, in the ``nn.ModuleList`` :attr:`loss_distill`) and, for a
    loss that names one (``FitNetsLoss``), its connector (in the
    ``nn.ModuleDict`` :attr:`connectors`; the term's ``connector_args``,
    e.g. ``hint_fraction``, go to it): a student parameter from
    construction on, optimised, DDP-wrapped and checkpointed
    (``connectors.*`` keys, which ``tools/misc/export_student.py``
    strips). Without a connector (the default) the student checkpoint
    loads into a plain ``Recognizer3D`` with ``strict=True``. The teacher
    runs only as deep as the pairs need (``'pooled'`` and ``'logits'``
    need all of it).

    Alignment: the teacher sees ``T-1`` flow frames for ``T`` RGB frames, so
    stage maps may differ by a position in time. ``temporal_align=
    'interpolate'`` resamples the student map trilinearly onto the teacher's
    grid; ``'crop'`` drops the trailing position(s) (the last RGB frame).
    The connector reads the aligned map.

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

    Clips played backwards (``hint_time_reverse``, :mod:`.hint_views`):
    in training, ``floor(p * N)`` clips of each batch of ``N``, chosen at
    random, have their frames reversed before the student and the teacher
    see them; the distillation terms use them, CE does not (their labels
    need not hold backwards: "move left" becomes "move right"). A clip and
    its reversal hold the same frames, so only a student that computes the
    motion from the order of the frames can match the teacher's maps of
    both. The batch's cost is unchanged; CE sees ``N - floor(p * N)``
    clips.

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
        hint_time_reverse (float): ``p`` in ``[0, 1)``, the fraction of
            each training batch played backwards for the distillation
            terms only (see above). Defaults to ``0.0``.
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
                 hint_time_reverse: float = 0.0,
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
        self.hint_time_reverse = check_reverse_fraction(hint_time_reverse)
        self.loss_schedule = self._build_schedule(loss_schedule)
        self._local_iter = 0  # fallback when no Runner updates MessageHub

        check_resnet3d(self.backbone, 'student')
        teacher = build_teacher(teacher_cfg, teacher_ckpt)
        check_resnet3d(teacher.backbone, 'teacher')
        # outside the module tree: see the class docstring
        object.__setattr__(self, '_teacher', teacher)
        self._build_terms(DEFAULT_LOSS_DISTILL if loss_distill is
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

    def _build_terms(self, loss_distill) -> None:
        """Per matched pair: its features named, its connector (if its
        loss names one) and its loss (a distance), in pair order."""
        if isinstance(loss_distill, (list, tuple)):
            cfgs = list(loss_distill)
        else:
            cfgs = [loss_distill]
        if not cfgs:
            raise ValueError('loss_distill needs at least one term, e.g. '
                             f'{DEFAULT_LOSS_DISTILL}')
        #: F_rgb and F_flow by name
        self.student_recorder = FeatureRecorder('student')
        self.teacher_recorder = FeatureRecorder('teacher')
        self.terms: List[DistillTerm] = []
        self.connectors = nn.ModuleDict()
        self.loss_distill = nn.ModuleList()
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
            connector_cfg = {
                arg: cfg.pop(arg)
                for arg in loss_type.connector_args if arg in cfg
            }
            pairs = check_pairs(
                loss_type.default_pairs if pairs is None else pairs, name)
            for pair in pairs:
                s_kind, s_channels = self.student_recorder.add(pair[0], self)
                t_kind, t_channels = self.teacher_recorder.add(
                    pair[1], self.teacher)
                if s_kind != t_kind:
                    raise ValueError(f'{name}: pair {pair} matches a '
                                     f'{s_kind} with a {t_kind}')
                if s_kind not in loss_type.accepts:
                    raise ValueError(f'{name} works on {loss_type.accepts} '
                                     f'features, got pair {pair}')
                key = self._term_key(loss_type.log_name, pair)
                if loss_type.connector is not None:
                    connector = MODELS.build(
                        dict(
                            loss_type.connector,
                            **connector_cfg,
                            student_channels=s_channels,
                            teacher_channels=t_channels))
                    self.connectors[key] = connector
                    s_channels = connector.out_channels
                self.loss_distill.append(
                    MODELS.build(
                        dict(
                            cfg,
                            student_channels=s_channels,
                            teacher_channels=t_channels)))
                self.terms.append(DistillTerm(key, pair))

    def _term_key(self, log_name: str, pair: Pair) -> str:
        """``<log_name>_<pair>``; the same loss on the same pair again gets
        ``_2``, ``_3``, ..."""
        base = f'{log_name}_' + (
            pair[0] if pair[0] == pair[1] else '_'.join(pair))
        keys = {term.key for term in self.terms}
        key, repeat = base, 1
        while key in keys:
            repeat += 1
            key = f'{base}_{repeat}'
        return key

    @property
    def teacher(self) -> FlowRecognizer3D:
        """FlowRecognizer3D: The frozen teacher (not a sub-module)."""
        return self._teacher

    @property
    def distill_pairs(self) -> List[Pair]:
        """list[tuple]: The ``(student, teacher)`` pair of every term."""
        return [term.pair for term in self.terms]

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
                f'hint_time_reverse={self.hint_time_reverse}, '
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

    def student_features(self, clips: Tensor) -> Dict[str, Tensor]:
        """``F_rgb`` by name, and ``'logits'``: the scores CE sees.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the student's data
                preprocessor.
        """
        return self.student_recorder.record(self, clips, head=True)

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
        """``F_flow`` by name, computed only as deep as the pairs need.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the student's data
                preprocessor.

        Returns:
            dict[str, Tensor]: The teacher features of
            :attr:`distill_pairs`, from ``T-1`` flow frames.
        """
        return self.teacher_recorder.record(self.teacher,
                                            self.teacher_clips(clips))

    def matched_features(
        self, f_rgb: Dict[str, Tensor], f_flow: Dict[str, Tensor]
    ) -> Iterator[Tuple[DistillTerm, BaseDistillLoss, Tensor, Tensor]]:
        """Each term, its loss and ``(r(F_rgb), F_flow)``.

        Maps are aligned in space-time (:func:`align_features`) before the
        connector ``r`` (the identity for a term without one) reads them.

        Args:
            f_rgb (dict): :meth:`student_features`.
            f_flow (dict): :meth:`teacher_features`.

        Yields:
            tuple: ``(term, loss, r(F_rgb), F_flow)``, in the order of
            :attr:`terms`.
        """
        for term, loss in zip(self.terms, self.loss_distill):
            student, teacher = f_rgb[term.pair[0]], f_flow[term.pair[1]]
            if student.dim() == 5:
                student, teacher = align_features(student, teacher,
                                                  self.temporal_align)
            if term.key in self.connectors:
                student = self.connectors[term.key](student)
            yield term, loss, student, teacher

    def loss(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> dict:
        """``w_cls * CE(y_hat, y) + f * sum_i lambda_i * d_i(r_i(F_rgb),
        F_flow)``, as ``loss_cls`` and ``loss_distill``.

        Args:
            inputs (Tensor): ``(N, num_clips, 3, T, H, W)`` normalised RGB.
            data_samples (list[ActionDataSample]): With ``gt_label``.

        Returns:
            dict: ``loss_cls``, ``loss_distill`` and diagnostics, see the
            class docstring.
        """
        clips = inputs.view((-1, ) + inputs.shape[2:])
        forwards = None
        if self.training and self.hint_time_reverse:
            if clips.shape[0] != len(data_samples):
                raise ValueError(
                    'hint_time_reverse needs one training clip per video '
                    f'(num_clips=1), got {clips.shape[0]} clips for '
                    f'{len(data_samples)} videos')
            clips, forwards = reverse_some_in_time(clips,
                                                   self.hint_time_reverse)
        f_rgb = self.student_features(clips)
        # CE(y_hat, y), y_hat = f_rgb['logits'], on the clips that play
        # forwards
        logits = f_rgb[LOGITS]
        if forwards is not None:
            logits = logits[forwards]
            data_samples = [data_samples[i] for i in forwards.tolist()]
        losses = self.cls_head.loss_by_feat(logits, data_samples)
        cls_weight, distill_factor = self.loss_weights()
        if cls_weight != 1.0:
            # scaled, not dropped: every parameter keeps a gradient (DDP)
            losses['loss_cls'] = losses['loss_cls'] * cls_weight
        f_flow = self.teacher_features(clips)
        distill = clips.new_zeros(())
        for term, loss, student, teacher in self.matched_features(
                f_rgb, f_flow):
            value = loss.distance(student, teacher)
            losses[f'distill_{term.key}'] = value.detach()
            # lambda_i * d_i(r_i(F_rgb), F_flow)
            distill = distill + loss.loss_weight * value
        # f(t) * sum_i lambda_i * d_i
        losses['loss_distill'] = distill_factor * distill
        if self.loss_schedule is not None:
            losses['cls_weight'] = clips.new_tensor(cls_weight)
            losses['distill_factor'] = clips.new_tensor(distill_factor)
        if self.training:
            self._local_iter += 1
        return losses
