# Copyright (c) tsdistill authors. All rights reserved.
"""The flow teacher: M1 (TV-L1 flow) followed by M2 (R3D-18 on flow)."""
from typing import Optional, Tuple

import torch
from mmaction.models.recognizers import Recognizer3D
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, OptConfigType, OptSampleList
from torch import Tensor, nn

from ..flow.camera_motion import subtract_camera_motion

#: What M2 reads of the camera's motion (``FlowRecognizer3D.camera_motion``).
CAMERA_MOTION = ('keep', 'subtract', 'both')


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
        camera_motion (str): What M2 reads of the camera's translation,
            the median of M1's flow in each frame pair
            (:func:`~tsdistill.models.flow.camera_motion.median_flow`):
            ``'keep'``, M1's flow as it is (2 channels); ``'subtract'``,
            the flow minus the median (2 channels); ``'both'``, the flow
            and the flow minus the median (4 channels, for a backbone with
            ``in_channels=4``), so M2 has what moves in the frame and what
            moves against the background. Not ``'keep'`` only with
            ``flow_cfg``. Defaults to ``'keep'``.
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
                 camera_motion: str = 'keep',
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
        if camera_motion not in CAMERA_MOTION:
            raise ValueError(f'camera_motion must be one of {CAMERA_MOTION}'
                             f', got {camera_motion!r}')
        if camera_motion != 'keep' and self.flow is None:
            raise ValueError(f'camera_motion={camera_motion!r} needs '
                             'flow_cfg: the camera motion is read from M1\'s '
                             'flow')
        self.camera_motion = camera_motion
        in_channels = getattr(self.backbone, 'in_channels', None)
        if (self.flow is not None and in_channels is not None
                and in_channels != self.backbone_channels):
            raise ValueError(
                f'the backbone has in_channels={in_channels}, but '
                f'{type(self).__name__} with camera_motion='
                f'{camera_motion!r} gives it {self.backbone_channels} '
                'channels: set backbone.in_channels to that')
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

    @property
    def flow_channels(self) -> int:
        """int: Channels of M1's flow as M2 reads it (:meth:`flow_inputs`):
        4 with ``camera_motion='both'``, else 2."""
        return 4 if self.camera_motion == 'both' else 2

    @property
    def backbone_channels(self) -> int:
        """int: Channels of :meth:`backbone_inputs` when M1 computes the
        flow: :attr:`flow_channels`."""
        return self.flow_channels

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
            Tensor: ``(B, C, T-1, H, W)`` flow in ``[-1, 1]`` (computed;
            ``C`` is :attr:`flow_channels`: ``u, v``, or with
            ``camera_motion='both'`` ``u, v`` and then both minus their
            median), or ``clips`` unchanged (precomputed flow).
        """
        if self.flow is None:
            return clips
        flow = self.flow(self.raw_rgb(clips))
        if self.camera_motion == 'subtract':
            flow = subtract_camera_motion(flow)
        elif self.camera_motion == 'both':
            flow = torch.cat([flow, subtract_camera_motion(flow)], dim=1)
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
        camera = ('' if self.camera_motion == 'keep' else
                  f', camera_motion={self.camera_motion}')
        return f'flow={source}{camera}, flow_bound={self.flow_bound}'
