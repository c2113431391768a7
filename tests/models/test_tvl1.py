# Copyright (c) tsdistill authors. All rights reserved.
"""M1: TVL1OpticalFlow and its helpers (tsdistill.models.flow).

The accuracy tests run each backend (fixture ``m1_backend``,
tests/models/conftest.py): the eager torch ops and the fused kernel are
each checked against the ground truth, on synthetic pairs and on
Middlebury's (Baker et al., IJCV 2011; the four sequences of
``../shared/data/middlebury``, see its README.md).
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from _helpers.tools import REPO
from mmaction.registry import MODELS

from tsdistill.benchmarks import flow_synthetic as fs
from tsdistill.benchmarks.optical_flow_pairs import middlebury_pairs
from tsdistill.models.flow import (TVL1OpticalFlow, differences, image_filters,
                                   pyramid)
from tsdistill.models.flow.warping import warp

SIZE = 48
#: The shared Middlebury sequences (see ../shared/data/README.md)
MIDDLEBURY_DIR = os.environ.get(
    'TSDISTILL_MIDDLEBURY', osp.join(REPO, '..', 'shared', 'data',
                                     'middlebury'))
#: EPE bounds (px) of the default M1 per Middlebury pair at full size,
#: about 10 % above the measurement, the same for both backends (0.1994,
#: 0.1851, 0.2893, 0.4800; mean 0.2884, against 1.02 for OpenCV's
#: DualTVL1).
MIDDLEBURY_EPE_BOUNDS = {
    'Dimetrodon': 0.22,
    'Grove2': 0.21,
    'Hydrangea': 0.32,
    'Urban2': 0.53,
}


@pytest.fixture(scope='module')
def middlebury():
    if not osp.isdir(MIDDLEBURY_DIR):
        pytest.skip(f'no Middlebury sequences in {MIDDLEBURY_DIR}')
    return middlebury_pairs(MIDDLEBURY_DIR)


def _flow(module, x):
    """``module(x)``, checking that it ran the backend it was given."""
    flow = module(x)
    assert module.last_backend == module.backend
    return flow


def _clip(*frames) -> torch.Tensor:
    """uint8 ``(H, W, 3)`` frames -> ``(1, 3, T, H, W)`` float."""
    return torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2)[None].float()


def _to_hw2(flow: torch.Tensor) -> np.ndarray:
    """``(2, H, W)`` -> ``(H, W, 2)`` numpy."""
    return flow.detach().permute(1, 2, 0).numpy()


def _pair(flow_xy, seed=0, size=SIZE):
    rng = np.random.default_rng(seed)
    gt = np.zeros((size, size, 2), np.float32)
    gt[..., 0], gt[..., 1] = flow_xy
    f0, f1, gt = fs.make_pair('translation', size, size, rng, flow=gt)
    return f0, f1, gt


def test_translation_recovers_shift(m1_backend):
    f0, f1, gt = _pair((1.5, -0.75))
    flow = _flow(TVL1OpticalFlow(backend=m1_backend), _clip(f0, f1))
    assert flow.shape == (1, 2, 1, SIZE, SIZE)
    assert flow.dtype == torch.float32
    est = _to_hw2(flow[0, :, 0])
    # channel 0 is x, channel 1 is y
    assert est[..., 0].mean() == pytest.approx(1.5, abs=0.1)
    assert est[..., 1].mean() == pytest.approx(-0.75, abs=0.1)
    assert fs.epe(est, gt, fs.valid_mask(gt, border=3)) < 0.1


def test_fast_preset_recovers_shift(m1_backend):
    f0, f1, gt = _pair((-2.0, 1.0), seed=1)
    module = TVL1OpticalFlow.fast(backend=m1_backend)
    assert module.num_warps == 1 and module.num_iters == (8, 20)
    est = _to_hw2(_flow(module, _clip(f0, f1))[0, :, 0])
    assert fs.epe(est, gt, fs.valid_mask(gt, border=3)) < 0.2


def test_zero_motion_gives_zero_flow(m1_backend):
    f0, _, _ = _pair((0.0, 0.0))
    flow = _flow(TVL1OpticalFlow(backend=m1_backend), _clip(f0, f0, f0))
    assert flow.shape == (1, 2, 2, SIZE, SIZE)
    assert flow.abs().max() < 1e-4


def test_agrees_with_opencv_dualtvl1(m1_backend):
    """Same pair, rotation by 3 degrees: M1 and OpenCV within 0.15 px EPE.

    (Both are within ~0.1 px of the ground truth on this pair.)
    """
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    a, c = np.deg2rad(3.0), (SIZE - 1) / 2
    gt = np.stack([
        np.cos(a) * (xs - c) - np.sin(a) * (ys - c) - (xs - c),
        np.sin(a) * (xs - c) + np.cos(a) * (ys - c) - (ys - c)
    ], -1).astype(np.float32)
    f0, f1, gt = fs.make_pair('rotation', SIZE, SIZE, rng, flow=gt)
    ours = _to_hw2(
        _flow(TVL1OpticalFlow(backend=m1_backend), _clip(f0, f1))[0, :, 0])
    theirs = cv2.optflow.DualTVL1OpticalFlow_create().calc(
        cv2.cvtColor(f0, cv2.COLOR_RGB2GRAY),
        cv2.cvtColor(f1, cv2.COLOR_RGB2GRAY), None)
    mask = fs.valid_mask(gt, border=3)
    assert fs.epe(ours, theirs, mask) < 0.15
    assert fs.epe(ours, gt, mask) < 0.15
    assert fs.epe(theirs, gt, mask) < 0.15


def test_all_pairs_batched_equal_one_by_one(m1_backend):
    rng = np.random.default_rng(4)
    frames = [fs.make_pair('translation', 32, 40, rng)[0] for _ in range(3)]
    clips = torch.stack([_clip(*frames)[0], _clip(*frames[::-1])[0]])
    module = TVL1OpticalFlow(num_warps=2, num_iters=3, backend=m1_backend)
    batched = _flow(module, clips)
    assert batched.shape == (2, 2, 2, 32, 40)
    for n in range(2):
        for t in range(2):
            single = _flow(module, clips[n:n + 1, :, t:t + 2])
            torch.testing.assert_close(
                batched[n, :, t], single[0, :, 0], atol=1e-4, rtol=1e-4)


def test_backward_gives_finite_input_gradients():
    rng = np.random.default_rng(6)
    f0, f1, _ = fs.make_pair('deformation', 24, 24, rng)
    x = _clip(f0, f1, f0).requires_grad_()
    module = TVL1OpticalFlow(num_scales=2, num_warps=2, num_iters=3)
    assert not list(module.parameters())
    assert {'smooth_kernel',
            'image_grad_kernel'} <= set(dict(module.named_buffers()))
    module(x).square().sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0


def test_trainable_parts_get_finite_gradients():
    rng = np.random.default_rng(7)
    f0, f1, _ = fs.make_pair('rotation', 24, 24, rng)
    module = TVL1OpticalFlow(
        num_scales=2, num_warps=1, num_iters=3, trainable=True)
    names = {n for n, _ in module.named_parameters()}
    assert names == {
        'image_grad_kernel', 'grad_kernel', 'div_kernel', 'init_flow'
    }
    x = _clip(f0, f1).requires_grad_()
    module(x).square().sum().backward()
    assert torch.isfinite(x.grad).all()
    for name, p in module.named_parameters():
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_trainable_at_init_equals_fixed():
    """The learnable kernels start as the fixed stencils."""
    rng = np.random.default_rng(8)
    f0, f1, _ = fs.make_pair('translation', 24, 24, rng)
    x = _clip(f0, f1)
    kw = dict(num_scales=2, num_warps=2, num_iters=4)
    torch.testing.assert_close(
        TVL1OpticalFlow(trainable=True, **kw)(x),
        TVL1OpticalFlow(**kw)(x),
        atol=1e-4,
        rtol=1e-4)


def test_registered_and_argument_errors():
    assert MODELS.get('TVL1OpticalFlow') is TVL1OpticalFlow
    module = TVL1OpticalFlow()
    assert (module.tau, module.lambda_, module.theta) == (0.25, 0.15, 0.3)
    assert (module.num_scales, module.num_warps) == (5, 5)
    with pytest.raises(ValueError, match=r'\(N, 3, T, H, W\)'):
        module(torch.zeros(1, 3, 1, 8, 8))
    with pytest.raises(ValueError, match='num_iters'):
        TVL1OpticalFlow(num_iters=0)
    with pytest.raises(ValueError, match='zoom_factor'):
        TVL1OpticalFlow(zoom_factor=1.0)


@pytest.mark.parametrize('name', ['tau', 'theta'])
@pytest.mark.parametrize('value', [0.0, -0.1, float('nan')])
def test_step_and_coupling_must_be_positive(name, value):
    # the ranges of every argument: tests/models/test_tvl1_arguments.py
    with pytest.raises(ValueError, match=rf'{name} must be in [\[(]'):
        TVL1OpticalFlow(**{name: value})


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_input_is_refused(bad):
    clip = torch.full((1, 3, 3, 16, 16), 100.0)
    clip[0, 1, 1, 4, 5] = bad
    clip[0, 2, 2, 0, 0] = bad
    with pytest.raises(ValueError, match='2 NaN or infinite value'):
        TVL1OpticalFlow(num_scales=1, num_warps=1, num_iters=2)(clip)


@pytest.mark.parametrize('shape', [(1, 3, 16, 16, 3), (2, 8, 16, 16, 3)])
def test_channels_last_input_is_refused(shape):
    # (N, T, H, W, 3): with T = 3 it used to pass as (N, 3, T, H, W)
    module = TVL1OpticalFlow(num_scales=1, num_warps=1, num_iters=2)
    with pytest.raises(ValueError, match='channels-last') as info:
        module(torch.zeros(shape))
    assert str(tuple(shape)) in str(info.value)
    assert module(torch.zeros(shape).permute(0, 4, 1, 2, 3)).shape == \
        (shape[0], 2, shape[1] - 1, 16, 16)


def test_median_option_runs(m1_backend):
    f0, f1, gt = _pair((1.0, 0.5), seed=9, size=32)
    module = TVL1OpticalFlow(median_size=3, num_warps=2, backend=m1_backend)
    est = _to_hw2(_flow(module, _clip(f0, f1))[0, :, 0])
    assert fs.epe(est, gt, fs.valid_mask(gt, border=3)) < 0.15


# -- helpers: differences, warping, pyramid, image filters ---------------


def test_slicing_differences_equal_the_conv_stencils():
    torch.manual_seed(0)
    u = torch.randn(2, 3, 7, 9)
    gx, gy = differences.forward_gradient(u)
    kx, ky = differences.forward_gradient(
        u, differences.forward_difference_kernel())
    torch.testing.assert_close(gx, kx)
    torch.testing.assert_close(gy, ky)
    assert (gx[..., -1] == 0).all() and (gy[..., -1, :] == 0).all()
    px, py = torch.randn(2, 3, 7, 9), torch.randn(2, 3, 7, 9)
    torch.testing.assert_close(
        differences.divergence(px, py),
        differences.divergence(px, py,
                               differences.backward_difference_kernel()))


def test_divergence_is_minus_adjoint_of_gradient():
    torch.manual_seed(1)
    u = torch.randn(1, 2, 6, 8)
    px, py = torch.randn(1, 2, 6, 8), torch.randn(1, 2, 6, 8)
    px[..., -1], py[..., -1, :] = 0, 0
    gx, gy = differences.forward_gradient(u)
    lhs = (gx * px + gy * py).sum()
    rhs = -(u * differences.divergence(px, py)).sum()
    torch.testing.assert_close(lhs, rhs)


def test_warp_shifts_by_integer_flow():
    img = torch.arange(40.0).view(1, 1, 5, 8)
    flow = torch.zeros(1, 2, 5, 8)
    flow[:, 0] = 2.0  # out(p) = img(p + (2, 0))
    out = warp(img, flow)
    torch.testing.assert_close(out[..., :6], img[..., 2:])
    # outside samples take the border value
    torch.testing.assert_close(out[..., 6:], img[...,
                                                 7:].expand(-1, -1, -1, 2))


def test_pyramid_scales_and_sizes():
    assert pyramid.num_pyramid_scales(112, 112, 0.5, 5) == 5
    assert pyramid.num_pyramid_scales(8, 8, 0.5, 5) == 2
    assert pyramid.num_pyramid_scales(4, 4, 0.5, 5) == 1
    sizes = pyramid.pyramid_sizes(112, 96, 0.5, 3)
    assert sizes == [(112, 96), (56, 48), (28, 24)]
    levels = pyramid.image_pyramid(torch.rand(2, 1, 112, 96), sizes)
    assert [tuple(t.shape[-2:]) for t in levels] == sizes
    flow = torch.ones(1, 2, 28, 24)
    up = pyramid.resize_flow(flow, (56, 48))
    torch.testing.assert_close(up, torch.full((1, 2, 56, 48), 2.0))


def test_grey_and_gaussian():
    x = torch.zeros(1, 3, 2, 2)
    x[:, 1] = 100.0
    torch.testing.assert_close(
        image_filters.rgb_to_grey(x), torch.full((1, 1, 2, 2), 58.7))
    k = image_filters.gaussian_kernel1d(0.8, 2)
    assert k.shape == (5, ) and k.sum().item() == pytest.approx(1.0)
    flat = torch.full((1, 1, 6, 6), 3.0)
    torch.testing.assert_close(image_filters.gaussian_blur(flat, k), flat)
    img = torch.rand(1, 2, 6, 6)
    med = image_filters.median_filter(img, 3)
    assert med.shape == img.shape
    assert med[0, 0, 2, 2] == img[0, 0, 1:4, 1:4].median()


def test_accurate_preset_recovers_shift_and_leaves_defaults_alone(m1_backend):
    module = TVL1OpticalFlow.accurate(backend=m1_backend)
    assert TVL1OpticalFlow.ACCURATE_PRESET == dict(num_iters=12)
    assert module.num_iters == 12 and module.num_warps == 5
    assert module.median_size == 0
    # keyword arguments override the preset, as with fast()
    assert TVL1OpticalFlow.accurate(num_iters=(16, 8)).num_iters == (16, 8)
    assert TVL1OpticalFlow.accurate(median_size=3).median_size == 3
    default = TVL1OpticalFlow()
    assert default.num_iters == 8 and default.num_warps == 5
    f0, f1, gt = _pair((1.25, -0.5), seed=2)
    est = _to_hw2(_flow(module, _clip(f0, f1))[0, :, 0])
    assert fs.epe(est, gt, fs.valid_mask(gt, border=3)) < 0.1


def test_middlebury_epe_against_ground_truth(m1_backend, middlebury):
    """The default M1 on the four real pairs at full size (about 1 s)."""
    assert [p.name for p in middlebury] == sorted(MIDDLEBURY_EPE_BOUNDS)
    module = TVL1OpticalFlow(backend=m1_backend)
    for pair in middlebury:
        x = _clip(pair.frame0, pair.frame1)
        with torch.no_grad():
            est = _to_hw2(_flow(module, x)[0, :, 0])
        assert est.shape == pair.flow.shape
        epe = float(
            np.linalg.norm(est - pair.flow, axis=-1)[pair.valid].mean())
        assert epe < MIDDLEBURY_EPE_BOUNDS[pair.name], (pair.name, epe)
