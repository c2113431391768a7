# Copyright (c) tsdistill authors. All rights reserved.
"""M1's curl per class (tools/analysis/flow_curl.py)."""
import math

import pytest
import torch

from tsdistill.analysis.flow_curl import central_curl, curl, flow_curl_by_class
from tsdistill.utils.paths import shipped_path

TEACHER = shipped_path('configs', 'demo',
                       'r3d18slim_1xb16-16x1x1-120e_synthetic-motion-tvl1.py')


def _rotation_flow(omega, size=20):
    """Flow of a rotation by omega (radians) about the image centre."""
    ys, xs = torch.meshgrid(
        torch.arange(size, dtype=torch.float64) - (size - 1) / 2,
        torch.arange(size, dtype=torch.float64) - (size - 1) / 2,
        indexing='ij')
    c, s = math.cos(omega), math.sin(omega)
    return torch.stack((c * xs - s * ys - xs, s * xs + c * ys - ys))


def test_curl_of_a_rotation_and_a_translation():
    omega = 0.05
    # the linear field of a small rotation (u = -omega y, v = omega x):
    # central differences are exact on it
    ys = (torch.arange(20.0)[:, None] - 9.5).expand(20, 20)
    xs = (torch.arange(20.0)[None] - 9.5).expand(20, 20)
    linear = torch.stack((-omega * ys, omega * xs))
    assert torch.allclose(curl(linear), torch.full((18, 18), 2 * omega))
    # an exact rotation's curl is 2 sin(omega), about 2 omega
    assert torch.allclose(
        curl(_rotation_flow(omega)),
        torch.full((18, 18), 2 * math.sin(omega), dtype=torch.float64))
    u, v = torch.full((20, 20), 1.5), torch.full((20, 20), -0.7)
    translation = torch.stack((u, v))
    assert torch.equal(curl(translation), torch.zeros(18, 18))


def test_central_curl_averages_the_centre_per_clip():
    flow = torch.zeros(2, 2, 3, 20, 20)
    flow[0] = _rotation_flow(0.05).float()[:, None]
    flow[1] = _rotation_flow(-0.1).float()[:, None]
    got = central_curl(flow, side=6)
    assert got.shape == (2, )
    assert got[0] == pytest.approx(2 * math.sin(0.05), rel=1e-4)
    assert got[1] == pytest.approx(-2 * math.sin(0.1), rel=1e-4)
    with pytest.raises(ValueError, match='side must be in 1..18'):
        central_curl(flow, side=19)


def test_flow_curl_by_class_reads_every_video_of_the_split(tmp_path):
    from tsdistill.data_tools import annotate_data, prepare_embedded_data
    root = str(tmp_path / 'motion')
    prepare_embedded_data(root, 3, 0, 'motion')
    summary = annotate_data(root)
    stats = flow_curl_by_class(
        TEACHER, root, flow_cfg=dict(num_iters=5), batch_size=5)
    assert list(stats) == list(summary.classes)
    # every used video of split 1, train and test, once
    used = sum(
        summary.counts.get((1, subset), 0) for subset in ('train', 'val'))
    assert sum(row['videos'] for row in stats.values()) == used
    for row in stats.values():
        assert math.isfinite(row['mean']) and row['std'] >= 0
