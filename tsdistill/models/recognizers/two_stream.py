# Copyright (c) tsdistill authors. All rights reserved.
"""Two-stream late fusion (Table 1, row 3): RGB R3D-18 + flow teacher."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import (ConfigType, ForwardResults, OptConfigType,
                            OptSampleList, SampleList)
from mmengine.model import BaseModel
from torch import Tensor

from .checkpoint import load_checkpoint_strict
from .flow_recognizer import FlowRecognizer3D

FUSIONS = ('mean', 'product')


@MODELS.register_module()
class TwoStreamRecognizer3D(BaseModel):
    """Late fusion of an RGB stream and a flow stream (M1 + M2).

    Both streams read the same normalised RGB clip: the RGB stream is a
    ``Recognizer3D``, the flow stream a :class:`FlowRecognizer3D` that
    computes flow with M1. At test time each stream's class scores are
    turned into probabilities (softmax), averaged over clips, and fused
    (``fusion``) by a weighted average ``sum_i w_i p_i / sum_i w_i``
    (``'mean'``) or a weighted geometric mean, renormalised,
    ``softmax(sum_i w_i log p_i / sum_i w_i)`` (``'product'``); the result
    is written to ``pred_score`` so mmaction2's ``AccMetric`` and test loop
    work unchanged. The product is the rule for streams that see
    independent cues (``p(y | a, m) ~ p(y | a) p(y | m) / p(y)``): a class
    must be likely under both, so one confident stream cannot outvote the
    other on what only the other sees. Training (``loss``) trains both
    streams jointly with their own cross-entropy (``rgb_loss_cls`` +
    ``flow_loss_cls``); Table 1 uses separately trained streams instead,
    loaded from ``rgb_ckpt`` and ``flow_ckpt``.

    Args:
        rgb_stream (dict): RGB recognizer config (e.g. ``Recognizer3D`` with
            R3D-18). Its own ``data_preprocessor`` is not used.
        flow_stream (dict): Flow recognizer config
            (:class:`FlowRecognizer3D` with ``flow_cfg`` set).
        fusion_weights (Sequence[float]): ``(w_rgb, w_flow)``. Defaults to
            ``(1.0, 1.0)``.
        fusion (str): ``'mean'`` or ``'product'``, see above. Defaults to
            ``'mean'``.
        rgb_ckpt (str, optional): Checkpoint of the RGB stream, loaded at
            build time (strict; a file or a work dir). Defaults to ``None``.
        flow_ckpt (str, optional): Checkpoint of the flow stream, likewise.
            Defaults to ``None``.
        data_preprocessor (dict, optional): RGB normalisation shared by both
            streams. Defaults to ``None``.
    """

    def __init__(self,
                 rgb_stream: ConfigType,
                 flow_stream: ConfigType,
                 fusion_weights: Sequence[float] = (1.0, 1.0),
                 fusion: str = 'mean',
                 rgb_ckpt: Optional[str] = None,
                 flow_ckpt: Optional[str] = None,
                 data_preprocessor: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ActionDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor)
        self.rgb_stream = MODELS.build(rgb_stream)
        self.flow_stream = MODELS.build(flow_stream)
        if not isinstance(self.flow_stream, FlowRecognizer3D) or \
                not self.flow_stream.computes_flow:
            raise TypeError('flow_stream must be a FlowRecognizer3D with '
                            'flow_cfg set (both streams read the RGB clip)')
        weights = [float(w) for w in fusion_weights]
        if len(weights) != 2 or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError('fusion_weights must be two non-negative '
                             f'numbers, not both 0, got {fusion_weights}')
        self.fusion_weights = tuple(weights)
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, got '
                             f'{fusion!r}')
        self.fusion = fusion
        self.rgb_ckpt = rgb_ckpt
        self.flow_ckpt = flow_ckpt
        if rgb_ckpt is not None:
            load_checkpoint_strict(self.rgb_stream, rgb_ckpt, 'rgb stream')
        if flow_ckpt is not None:
            load_checkpoint_strict(
                self.flow_stream,
                flow_ckpt,
                'flow stream',
                optional_prefixes=('flow.', ))
        self._check_same_classes()

    def _check_same_classes(self) -> None:
        """Both streams must score the same classes to be fused.

        Checked after loading: a loaded stream's class count is its
        checkpoint's (the loading is strict).

        Raises:
            ValueError: The heads' ``num_classes`` differ; the message
                names both checkpoints (or the config, for a stream not
                loaded) and both counts.
        """
        counts = [
            getattr(stream.cls_head, 'num_classes', None)
            for stream in (self.rgb_stream, self.flow_stream)
        ]
        if None not in counts and counts[0] != counts[1]:
            sources = [
                'no checkpoint' if ckpt is None else f'{key} {ckpt}'
                for key, ckpt in (('rgb_ckpt', self.rgb_ckpt),
                                  ('flow_ckpt', self.flow_ckpt))
            ]
            raise ValueError(
                'the two streams score different classes and cannot be '
                f'fused: the RGB stream ({sources[0]}) has {counts[0]} '
                f'classes, the flow stream ({sources[1]}) {counts[1]}')

    def init_weights(self) -> None:
        """Initialise the streams that were not loaded from a checkpoint."""
        if self.rgb_ckpt is None:
            self.rgb_stream.init_weights()
        if self.flow_ckpt is None:
            self.flow_stream.init_weights()

    def stream_scores(self, inputs: Tensor) -> Sequence[Tensor]:
        """Per-clip class scores (logits) of both streams.

        Args:
            inputs (Tensor): ``(N, num_clips, 3, T, H, W)``.

        Returns:
            tuple[Tensor, Tensor]: RGB and flow scores, each
            ``(N * num_clips, num_classes)``.
        """
        scores = []
        for stream in (self.rgb_stream, self.flow_stream):
            feats, kwargs = stream.extract_feat(inputs, test_mode=True)
            scores.append(stream.cls_head(feats, **kwargs))
        return tuple(scores)

    def fuse(self, inputs: Tensor) -> Tensor:
        """Fused class probabilities, averaged over the clips of a sample.

        Args:
            inputs (Tensor): ``(N, num_clips, 3, T, H, W)``.

        Returns:
            Tensor: ``(N, num_classes)``, rows sum to 1.
        """
        batch = inputs.shape[0]
        fused = 0
        for weight, scores in zip(self.fusion_weights,
                                  self.stream_scores(inputs)):
            probs = F.softmax(scores, dim=-1)
            probs = probs.view((batch, -1) + probs.shape[1:]).mean(dim=1)
            if self.fusion == 'product':
                probs = probs.clamp_min(torch.finfo(probs.dtype).tiny).log()
            fused = fused + weight * probs
        # sum_i w_i p_i / sum_i w_i, or sum_i w_i log p_i / sum_i w_i
        fused = fused / sum(self.fusion_weights)
        if self.fusion == 'product':
            fused = F.softmax(fused, dim=-1)
        return fused

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Each stream's own losses, prefixed ``rgb_`` / ``flow_``."""
        losses = dict()
        for prefix, stream in (('rgb', self.rgb_stream), ('flow',
                                                          self.flow_stream)):
            for key, value in stream.loss(inputs, data_samples).items():
                losses[f'{prefix}_{key}'] = value
        return losses

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """Fused prediction, written as ``pred_score`` / ``pred_label``."""
        fused = self.fuse(inputs)
        labels = fused.argmax(dim=-1, keepdim=True).detach()
        for data_sample, score, label in zip(data_samples, fused, labels):
            data_sample.set_pred_score(score)
            data_sample.set_pred_label(label)
        return data_samples

    def forward(self,
                inputs: torch.Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> ForwardResults:
        """``'tensor'``: fused probabilities; ``'predict'``; ``'loss'``."""
        if mode == 'tensor':
            return self.fuse(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". '
                           'Only supports loss, predict and tensor mode')
