# Copyright (c) tsdistill authors. All rights reserved.
"""The camera's motion in M1's flow: the median of each frame pair."""
import numpy as np
import pytest
import torch
from _helpers.recognizers import batch, build, teacher_cfg

from tsdistill.data_tools.synthetic_motion import render_binding_video
from tsdistill.models.flow import TVL1OpticalFlow
from tsdistill.models.flow.camera_motion import (median_flow,
                                                 subtract_camera_motion)


def test_median_is_the_background_translation_not_the_object():
    flow = torch.empty(2, 2, 3, 10, 10)
    flow[:, 0], flow[:, 1] = 0.3, -0.2  # the camera
    flow[:, :, :, 2:7, 2:8] = torch.tensor([2.0, 1.0]).view(1, 2, 1, 1, 1)
    flow[1, :, 1] += 0.5  # another camera motion in one frame pair
    camera = median_flow(flow)
    assert camera.shape == (2, 2, 3, 1, 1)
    torch.testing.assert_close(camera[0, :, :, 0, 0],
                               torch.tensor([[0.3] * 3, [-0.2] * 3]))
    torch.testing.assert_close(camera[1, :, 1, 0, 0], torch.tensor([0.8, 0.3]))
    relative = subtract_camera_motion(flow)
    assert relative[0, :, :, 0, 0].abs().max() == 0
    torch.testing.assert_close(relative[0, :, 0, 3, 3],
                               torch.tensor([1.7, 1.2]))


def test_median_flow_names_the_wrong_shape():
    with pytest.raises(ValueError, match=r'\(B, 2, T, H, W\).*\(2, 3, 4, 4'):
        median_flow(torch.zeros(2, 3, 4, 4, 4))


def panned(frames, step):
    """32x32 windows of ``frames`` moved ``step`` px right per frame: the
    scene moves ``-step`` px per frame in the result."""
    return np.stack(
        [f[4:36, 4 + t * step:36 + t * step] for t, f in enumerate(frames)])


def m1_flow(frames):
    """The demo's M1 on BGR uint8 frames ``(T, H, W, 3)``."""
    m1 = TVL1OpticalFlow(num_scales=1, num_warps=1, num_iters=30)
    rgb = np.ascontiguousarray(frames[..., ::-1])
    clip = torch.from_numpy(rgb).float().permute(3, 0, 1, 2)[None]
    with torch.no_grad():
        return m1(clip)


@pytest.mark.parametrize('seed', [0, 1])
def test_m1_median_is_the_camera_pan_of_a_binding_clip(seed):
    """A binding clip (one disc moves, one is still) seen by a camera that
    pans 1 px per frame: the median of M1's flow is the pan, and without
    it fewer than half as many pixels move by more than 0.3 px."""
    frames = render_binding_video('move_up', np.random.default_rng(seed), 8,
                                  48, ('red', 'blue'))
    still = m1_flow(panned(frames, 0))
    # lighting drift and noise: a still camera's median is under 0.25 px
    assert median_flow(still).abs().max() < 0.25
    flow = m1_flow(panned(frames, 1))
    camera = median_flow(flow)[0, :, :, 0, 0]
    torch.testing.assert_close(
        camera[0], torch.full((7, ), -1.0), atol=0.15, rtol=0)
    assert camera[1].abs().max() < 0.3
    moving = subtract_camera_motion(flow).norm(dim=1) > 0.3
    assert moving.float().mean() < 0.5 * (flow.norm(dim=1)
                                          > 0.3).float().mean()


def test_teacher_subtracts_the_camera_before_the_normalisation():
    model = build(dict(teacher_cfg(), camera_motion='subtract'))
    assert 'camera_motion=subtract' in model.extra_repr()
    clips = model.data_preprocessor(batch(), training=True)['inputs']
    clips = clips.flatten(0, 1)
    raw = model.flow(model.raw_rgb(clips))
    expected = torch.clamp((raw - median_flow(raw)) / 20.0, -1, 1)
    torch.testing.assert_close(model.flow_inputs(clips), expected)
    assert not torch.allclose(expected, torch.clamp(raw / 20.0, -1, 1))


def test_teacher_reads_the_flow_and_the_flow_without_the_camera():
    cfg = teacher_cfg()
    cfg['backbone'] = dict(cfg['backbone'], in_channels=4)
    model = build(dict(cfg, camera_motion='both'))
    assert model.flow_channels == 4
    clips = model.data_preprocessor(batch(), training=True)['inputs']
    clips = clips.flatten(0, 1)
    raw = model.flow(model.raw_rgb(clips))
    expected = torch.clamp(
        torch.cat([raw, raw - median_flow(raw)], dim=1) / 20.0, -1, 1)
    torch.testing.assert_close(model.flow_inputs(clips), expected)
    # the whole model runs on it: M2's first layer reads 4 channels
    feats, _ = model.extract_feat(clips[:, None])
    assert feats.shape[0] == clips.shape[0]


def test_the_backbone_must_read_the_channels_it_gets():
    # 'both' gives 4 channels; the demo teacher's M2 reads 2
    with pytest.raises(ValueError, match=r'in_channels=2.*gives it 4'):
        build(dict(teacher_cfg(), camera_motion='both'))


@pytest.mark.parametrize('value, match', [
    ('median', r"camera_motion must be one of \('keep'"),
    ('subtract', "camera_motion='subtract' needs flow_cfg"),
])
def test_camera_motion_errors(value, match):
    with_flow = value != 'subtract'
    with pytest.raises(ValueError, match=match):
        build(dict(teacher_cfg(with_flow=with_flow), camera_motion=value))
