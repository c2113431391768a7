# Copyright (c) tsdistill authors. All rights reserved.
"""Early fusion: one R3D-18 on RGB and M1's flow stacked as channels."""
import torch
from mmaction.registry import MODELS
from torch import Tensor

from .flow_recognizer import FlowRecognizer3D


@MODELS.register_module()
class EarlyFusionRecognizer3D(FlowRecognizer3D):
    """One network on RGB and flow together: an upper reference.

    As :class:`FlowRecognizer3D` (M1 computes the flow of the normalised
    RGB clip, divided by ``flow_bound`` and clipped to ``[-1, 1]``), but
    the backbone (``in_channels=5``; 7 with ``camera_motion='both'``)
    reads the normalised RGB and the flow stacked as channels,
    ``cat(rgb, flow)``, so every layer from the first
    on sees the colour and the motion of the same pixels and can bind the
    two (which object moves), what late fusion of separate streams cannot
    (see the binding mode of :mod:`tsdistill.data_tools.synthetic_motion`).
    Trained with cross-entropy like the other rows.

    Frame alignment: M1 gives ``T - 1`` flow frames for ``T`` RGB frames,
    flow ``t`` (from frame ``t`` to ``t + 1``) on the pixel grid of frame
    ``t`` (TV-L1 matches ``I0(x)`` with ``I1(x + u)``); the last RGB frame
    is dropped, so RGB frame ``t`` and flow ``t`` are stacked and the
    backbone sees ``T - 1`` frames, as the flow recognizer's does.

    Args: those of :class:`FlowRecognizer3D`; ``flow_cfg`` is required.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.computes_flow:
            raise ValueError('EarlyFusionRecognizer3D reads RGB and computes '
                             'its flow: flow_cfg must be set, got None')

    @property
    def backbone_channels(self) -> int:
        """int: 3 RGB channels and :attr:`flow_channels`."""
        return 3 + self.flow_channels

    def backbone_inputs(self, clips: Tensor) -> Tensor:
        """The backbone's input: RGB frames and their flow, stacked.

        Args:
            clips (Tensor): ``(B, 3, T, H, W)`` RGB from the data
                preprocessor.

        Returns:
            Tensor: ``(B, 3 + C, T-1, H, W)``: the first ``T - 1``
            normalised RGB frames (channels 0..2) and the ``C`` channels of
            :meth:`flow_inputs` from each of them to the next.
        """
        flow = self.flow_inputs(clips)
        return torch.cat([clips[:, :, :-1], flow.to(clips.dtype)], dim=1)

    def extra_repr(self) -> str:
        """Show the input in ``print(model)``."""
        return f'input=cat(rgb, flow), {super().extra_repr()}'
