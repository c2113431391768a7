# Copyright (c) tsdistill authors. All rights reserved.
"""The flow teacher: M1 (TV-L1 flow) followed by M2 (R3D-18 on flow)."""
from typing import Optional, Tuple

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList
from torch import Tensor, nn

from ..flow import camera_motion


def rgb_normalisation(
        preprocessor: nn.Module) -> Optional[Tuple[Tensor, Tensor]]:
    """``(mean, std)`` a data preprocessor normalises with, or ``None``.

    mmaction2's ``ActionDataPreprocessor`` gives ``(x - mean) / std`` when
    built with ``mean`` and ``std`` (its ``_enable_normalize``), the
    unchanged clip otherwise; mmengine's ``BaseDataPreprocessor`` has no
    normalisation.

    Args:
        preprocessor (nn.Module): A model's ``data_preprocessor``.

    Returns:
        tuple[Tensor, Tensor] | None: ``mean`` and ``std`` shaped
        ``(1, C, 1, 1, 1)`` for ``(N, C, T, H, W)`` clips.
    """
    if not getattr(preprocessor, '_enable_normalize', False):
        return None
    shape = (1, -1, 1, 1, 1)
    return preprocessor.mean.view(shape), preprocessor.std.view(shape)


@MODELS.register_module()
class FlowRecognizer3D(Recognizer3D):
    """Flow-stream recognizer: the teacher of the paper (M1 + M2).

    RGB clips come in, normalised by the data preprocessor; the normalisation
    is undone (:meth:`raw_rgb`) and M1 (``flow_cfg``, e.g.
    ``TVL1OpticalFlow``) turns the ``(B, 3, T, H, W)`` raw RGB into
    ``(B, 2, T-1, H, W)`` flow in pixels, which is scaled to the range of
    mmaction2's stored flow (see below) and fed to M2, a ``ResNet3d`` with
    ``in_channels=2``, and its head. Trained with cross-entropy, then frozen
    and used as the teacher of :class:`DistillRecognizer3D`.

    Flow normalisation: computed flow is divided by ``flow_bound`` and
    clipped to ``[-1, 1]``. This is the convention of mmaction2's flow
    rawframes (flow clipped to +-20 px, stored as JPEG 0..255) read with
    ``ActionDataPreprocessor(mean=[128, 128], std=[128, 128])``, so a
    teacher trained on precomputed flow (``flow_cfg=None``) sees inputs on
    the same scale as one computing flow on the fly.

    Args:
        backbone (dict): M2 backbone, e.g. ``ResNet3d(depth=18,
            in_channels=2, inflate=(1, 1, 1, 1))``.
        cls_head (dict, optional): Classification head (``I3DHead``).
            Defaults to ``None``.
        flow_cfg (dict, optional): M1, built from ``MODELS``; it must map
            ``(B, 3, T, H, W)`` raw RGB (``0..255``) to
            ``(B, 2, T-1, H, W)`` pixel flow. ``None``: the inputs already
            are 2-channel flow normalised by the data preprocessor (rawframe
            flow datasets) and are passed through unchanged. Defaults to
            ``None``.
        flow_bound (float): Pixel flow mapped to +-1, see above. Defaults to
            ``20.0``.
        subtract_camera_motion (bool): Subtract the camera's translation,
            the median of M1's flow in each frame pair
            (:func:`~tsdistill.models.flow.camera_motion.median_flow`),
            before the normalisation; only with ``flow_cfg``. Defaults to
            ``False``.
        neck (dict, optional): Neck. Defaults to ``None``.
        train_cfg (dict, optional): Defaults to ``None``.
        test_cfg (dict, optional): Defaults to ``None``.
        data_preprocessor (dict, optional): RGB normalisation when
            ``flow_cfg`` is set (undone before M1, see :meth:`raw_rgb`),
            flow normalisation otherwise. Defaults to ``None``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cls_head: OptConfigType = None,
                 flow_cfg: OptConfigType = None,
                 flow_bound: float = 20.0,
                 subtract_camera_motion: bool = False,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None) -> None:
        super().__init__(
            backbone=backbone,
            cls_head=cls_head,
            neck=neck,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor)
        if flow_bound <= 0:
            raise ValueError(f'flow_bound must be positive, got {flow_bound}')
        self.flow = MODELS.build(flow_cfg) if flow_cfg is not None else None
        self.flow_bound = float(flow_bound)
        if subtract_camera_motion and self.flow is None:
            raise ValueError('subtract_camera_motion needs flow_cfg: the '
                             'camera motion is taken out of M1\'s flow')
        self.subtract_camera_motion = bool(subtract_camera_motion)
        norm = rgb_normalisation(self.data_preprocessor)
        if self.flow is not None and norm is not None and norm[0].numel() != 3:
            raise ValueError(
                'flow_cfg is set, so M1 reads RGB and the data_preprocessor '
                'must normalise 3 channels, got mean='
                f'{norm[0].flatten().tolist()}')

    @property
    def computes_flow(self) -> bool:
        """bool: Whether M1 is built (RGB in) or flow is given (flow in)."""
        return self.flow is not None

    def raw_rgb(self, clips: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation: M1's input.

        M1 (``TVL1OpticalFlow``) reads raw RGB in ``0..255`` (its
        ``lambda_`` is tuned for that scale); the data preprocessor gave
        ``(x - mean) / std``, or ``x`` itself if it does not normalise.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the data
                preprocessor.

        Returns:
            Tensor: ``(B, 3, T, H, W)`` raw RGB (``clips`` itself without
            normalisation).
        """
        norm = rgb_normalisation(self.data_preprocessor)
        if norm is None:
            return clips
        mean, std = norm
        # x_raw = x * std + mean, in float32 like M1 (also for a half model)
        return clips.float() * std + mean

    def flow_inputs(self, clips: Tensor) -> Tensor:
        """M1 and the flow normalisation: what the backbone M2 sees.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the data
                preprocessor, or ``(B, 2, T', H, W)`` normalised flow if
                ``flow_cfg=None``.

        Returns:
            Tensor: ``(B, 2, T-1, H, W)`` flow in ``[-1, 1]`` (computed), or
            ``clips`` unchanged (precomputed flow).
        """
        if self.flow is None:
            return clips
        flow = self.flow(self.raw_rgb(clips))
        if self.subtract_camera_motion:
            flow = camera_motion.subtract_camera_motion(flow)
        # u / bound, clipped like mmaction2's stored flow
        return torch.clamp(flow / self.flow_bound, -1.0, 1.0)

    def backbone_inputs(self, clips: Tensor) -> Tensor:
        """What the backbone reads: the flow of :meth:`flow_inputs`.

        The one input step of the model's own path (:meth:`extract_feat`)
        and of the teacher's features the student is distilled from
        (:class:`~tsdistill.models.recognizers.features.FeatureRecorder`).

        Args:
            clips (Tensor): ``(B, C, T, H, W)`` from the data preprocessor.

        Returns:
            Tensor: The backbone's input, ``(B, C', T', H, W)``.
        """
        return self.flow_inputs(clips)

    def extract_feat(self,
                     inputs: Tensor,
                     stage: str = 'neck',
                     data_samples: OptSampleList = None,
                     test_mode: bool = False) -> tuple:
        """:meth:`backbone_inputs` (M1's flow), then the parent's feature
        extraction (M2).

        Args:
            inputs (Tensor): ``(N, num_clips, C, T, H, W)``.
            stage (str): See :meth:`Recognizer3D.extract_feat`. Defaults to
                ``'neck'``.
            data_samples (list, optional): Defaults to ``None``.
            test_mode (bool): Defaults to ``False``.

        Returns:
            tuple: Features and the kwargs for the head, as the parent.
        """
        batch, num_clips = inputs.shape[:2]
        x = self.backbone_inputs(inputs.flatten(0, 1))
        x = x.view((batch, num_clips) + x.shape[1:])
        return super().extract_feat(
            x, stage=stage, data_samples=data_samples, test_mode=test_mode)

    def extra_repr(self) -> str:
        """Show where the flow comes from in ``print(model)``."""
        source = 'computed by M1' if self.computes_flow else 'precomputed'
        camera = (', camera motion subtracted'
                  if self.subtract_camera_motion else '')
        return f'flow={source}{camera}, flow_bound={self.flow_bound}'
