# Copyright (c) tsdistill authors. All rights reserved.
"""Flow files (.flo, rawframe JPEG pairs) and flow colour coding."""
import numpy as np
import pytest

from tsdistill.utils import (dequantize_flow, flow_grid, flow_to_color,
                             quantize_flow, read_flo, read_flow_jpegs,
                             write_flo, write_flow_jpegs)
from tsdistill.utils.flow_io import FLOW_X_TMPL


def _smooth_flow(t=3, h=20, w=24, amp=8.0, seed=0):
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:h, 0:w] / 10.0
    flows = []
    for _ in range(t):
        a, b, c = rng.uniform(-1, 1, 3)
        flows.append(
            np.stack([amp * np.sin(xs + a), amp * np.cos(ys * b + c)], -1))
    return np.stack(flows).astype(np.float32)


def test_flo_round_trip_is_exact(tmp_path):
    flow = np.random.default_rng(0).normal(0, 5, (7, 9, 2)).astype(np.float32)
    path = str(tmp_path / 'sub' / 'a.flo')
    write_flo(path, flow)
    with open(path, 'rb') as f:
        assert f.read(4) == b'PIEH'
    back = read_flo(path)
    assert back.shape == (7, 9, 2) and back.dtype == np.float32
    np.testing.assert_array_equal(back, flow)


def test_flo_errors_name_the_file(tmp_path):
    bad = tmp_path / 'bad.flo'
    bad.write_bytes(b'NOPE' + bytes(8) + bytes(16))
    with pytest.raises(ValueError, match=r'bad\.flo.*magic'):
        read_flo(str(bad))
    good = tmp_path / 'cut.flo'
    write_flo(str(good), np.zeros((4, 5, 2), np.float32))
    good.write_bytes(good.read_bytes()[:-8])
    with pytest.raises(ValueError, match=r'cut\.flo.*truncated'):
        read_flo(str(good))
    short = tmp_path / 'short.flo'
    short.write_bytes(b'PIEH')
    with pytest.raises(ValueError, match=r'short\.flo.*truncated .flo header'):
        read_flo(str(short))
    with pytest.raises(ValueError, match=r'x\.flo.*\(H, W, 2\)'):
        write_flo(str(tmp_path / 'x.flo'), np.zeros((4, 5)))


def test_quantisation_round_trip_and_clipping():
    bound = 20.0
    flow = np.stack(
        np.meshgrid(np.linspace(-30, 30, 61), np.linspace(-19.9, 19.9, 61)),
        -1).astype(np.float32)
    qx, qy = quantize_flow(flow, bound)
    assert qx.dtype == np.uint8 and qx.min() == 0 and qx.max() == 254
    back = dequantize_flow(qx, qy, bound)
    clipped = np.clip(flow, -bound, bound)
    # half a quantisation step: bound / 255
    assert np.abs(back - clipped).max() <= bound / 255 + 1e-5


def test_flow_jpeg_round_trip(tmp_path):
    flows = _smooth_flow()
    out = str(tmp_path / 'video')
    written = write_flow_jpegs(out, flows, bound=20.0)
    assert len(written) == 6
    assert written[0].endswith('flow_x_00001.jpg')
    assert written[1].endswith('flow_y_00001.jpg')
    back = read_flow_jpegs(out, bound=20.0)
    assert back.shape == flows.shape
    # quantisation (0.08 px) plus JPEG loss at quality 95
    err = np.abs(back - flows)
    assert err.mean() < 0.1 and err.max() < 0.5
    assert read_flow_jpegs(out, bound=20.0, start_index=2, num=1).shape[0] == 1


def test_flow_jpeg_errors_name_the_file(tmp_path):
    out = tmp_path / 'v'
    write_flow_jpegs(str(out), _smooth_flow(t=2))
    (out / 'flow_y_00002.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='flow_y_00002.jpg'):
        read_flow_jpegs(str(out))
    (out / 'flow_y_00002.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='flow_y_00002.jpg'):
        read_flow_jpegs(str(out))
    with pytest.raises(FileNotFoundError, match=FLOW_X_TMPL.format(1)):
        read_flow_jpegs(str(tmp_path / 'empty'))


def test_flow_to_color_middlebury_wheel():
    flow = np.zeros((3, 3, 2), np.float32)
    flow[0, 0] = (1.0, 0.0)  # right: red
    flow[0, 1] = (-1.0, 0.0)  # left: cyan
    flow[0, 2] = (0.0, 1.0)  # down: yellow-green
    rgb = flow_to_color(flow)
    assert rgb.dtype == np.uint8 and rgb.shape == (3, 3, 3)
    assert (rgb[1, 1] == 255).all()  # zero flow is white
    r, g, b = rgb[0, 0].astype(int)
    assert r == 255 and g == 0 and b < 60
    r, g, b = rgb[0, 1].astype(int)
    assert r == 0 and g > 200 and b > 200
    r, g, b = rgb[0, 2].astype(int)
    assert g > 200 and b == 0
    # half the maximum: half saturated
    half = flow_to_color(flow * 0.5, max_flow=1.0)
    assert half[0, 0, 1] == pytest.approx(127, abs=1)


def test_flow_grid_layout():
    frames = np.zeros((3, 10, 12, 3), np.uint8)
    grid = flow_grid(frames, _smooth_flow(3, 10, 12), gap=2)
    assert grid.shape == (2 * 10 + 3 * 2, 3 * (12 + 2) + 2, 3)
    assert (grid[2:12, 2:14] == 0).all()  # first frame, top left
    with pytest.raises(ValueError, match='3 frames but 2 flows'):
        flow_grid(frames, _smooth_flow(2, 10, 12))
