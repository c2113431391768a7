# Copyright (c) tsdistill authors. All rights reserved.
"""The camera's motion in M1's flow, and the flow without it."""
from torch import Tensor


def median_flow(flow: Tensor) -> Tensor:
    """The camera's translation in each frame pair: the flow's median.

    Where the background covers most of the frame, the spatial median of
    each flow component is the background's motion, i.e. the camera's pan
    or drift, and the moving objects do not shift it. This is the
    translation-only case of the camera-motion compensation of improved
    dense trajectories (Wang and Schmid, ICCV 2013) and of TSN's warped
    flow (Wang et al., ECCV 2016), which fit a homography instead.

    Args:
        flow (Tensor): ``(B, 2, T, H, W)`` pixel flow.

    Returns:
        Tensor: ``(B, 2, T, 1, 1)``, the median of each component over
        each frame pair's ``H x W`` pixels.
    """
    if flow.dim() != 5 or flow.shape[1] != 2:
        raise ValueError('flow must be (B, 2, T, H, W), got shape '
                         f'{tuple(flow.shape)}')
    return flow.flatten(3).median(dim=-1).values[..., None, None]


def subtract_camera_motion(flow: Tensor) -> Tensor:
    """The flow relative to the camera: ``flow - median_flow(flow)``.

    A still camera leaves the flow almost unchanged (the median of a
    still background is about 0); a drifting one no longer moves the
    still objects and the background in the result, so what moves is what
    moves in the scene.

    Args:
        flow (Tensor): ``(B, 2, T, H, W)`` pixel flow.

    Returns:
        Tensor: ``(B, 2, T, H, W)``.
    """
    return flow - median_flow(flow)
