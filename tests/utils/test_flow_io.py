# Copyright (c) tsdistill authors. All rights reserved.
"""Flow files (.flo, rawframe JPEG pairs), RGB rawframes, flow colours."""
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from _helpers.tools import REPO

from tsdistill.utils import (dequantize_flow, flow_grid, flow_to_color,
                             quantize_flow, read_flo, read_flow_jpegs,
                             write_flo, write_flow_jpegs)
from tsdistill.utils.flow_io import (FLOW_TMPL, FLOW_X_TMPL, FLOW_Y_TMPL,
                                     RGB_TMPL, count_flow_files,
                                     count_rgb_files, flow_jpeg_paths,
                                     write_rgb_jpegs)

#: mmaction2's own rawframe test data (see ../shared/data/README.md): 10
#: RGB frames img_%05d.jpg and 5 flow pairs x_/y_%05d.jpg, 320x240
MMACTION2_FRAMES = os.environ.get(
    'TSDISTILL_MMACTION2_FRAMES',
    osp.join(REPO, '..', 'shared', 'data', 'mmaction2_frames'))


def mmaction2_frames():
    """The folder of mmaction2's samples; skips the test without it."""
    if not osp.isdir(MMACTION2_FRAMES):
        pytest.skip(f'no mmaction2 rawframe samples in {MMACTION2_FRAMES}')
    return MMACTION2_FRAMES


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
    # mmaction2's names: filename_tmpl '{}_{:05d}.jpg' with 'x' and 'y'
    names = [osp.basename(p) for p in written[:4]]
    assert names == [
        'x_00001.jpg', 'y_00001.jpg', 'x_00002.jpg', 'y_00002.jpg'
    ]
    assert osp.basename(written[0]) == FLOW_TMPL.format('x', 1)
    back = read_flow_jpegs(out, bound=20.0)
    assert back.shape == flows.shape
    # quantisation (0.08 px) plus JPEG loss at quality 95
    err = np.abs(back - flows)
    assert err.mean() < 0.1 and err.max() < 0.5
    assert read_flow_jpegs(out, bound=20.0, start_index=2, num=1).shape[0] == 1


def test_flow_jpeg_errors_name_the_file(tmp_path):
    out = tmp_path / 'v'
    write_flow_jpegs(str(out), _smooth_flow(t=2))
    (out / 'y_00002.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='y_00002.jpg'):
        read_flow_jpegs(str(out))
    (out / 'y_00002.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='y_00002.jpg'):
        read_flow_jpegs(str(out))
    with pytest.raises(FileNotFoundError, match=FLOW_X_TMPL.format(1)):
        read_flow_jpegs(str(tmp_path / 'empty'))


def test_layout_is_mmaction2s_own_samples():
    """tsdistill reads and counts mmaction2's own flow rawframes."""
    folder = mmaction2_frames()
    names = sorted(os.listdir(folder))
    # every flow file of the samples has the name tsdistill writes
    flow_names = {n for n in names if not n.startswith('img_')}
    written = set()
    for i in range(1, len(flow_names) // 2 + 1):
        written.update(osp.basename(p) for p in flow_jpeg_paths(folder, i))
    assert flow_names and flow_names == written
    assert count_flow_files(folder) == {'x': 5, 'y': 5}  # img_ is not flow
    flows = read_flow_jpegs(folder)
    assert flows.shape == (5, 240, 320, 2) and flows.dtype == np.float32
    assert np.abs(flows).max() <= 20.0
    # the bytes read back are the samples', dequantised to bin centres
    x1 = cv2.imread(osp.join(folder, 'x_00001.jpg'), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_allclose(
        flows[0, ..., 0], (x1 + 0.5) * 40 / 255 - 20, atol=1e-4)


def test_rgb_frames_as_mmaction2_names_and_reads_them(tmp_path):
    folder = mmaction2_frames()
    samples = sorted(n for n in os.listdir(folder) if n.startswith('img_'))
    # RawframeDataset's default filename_tmpl, 'img_{:05}.jpg'
    assert samples == [RGB_TMPL.format(i) for i in range(1, 11)]
    assert RGB_TMPL.format(7) == 'img_{:05}.jpg'.format(7)
    assert count_rgb_files(folder) == 10
    assert count_rgb_files(str(tmp_path / 'missing')) == 0
    # written in RGB order for a reader that decodes to RGB
    frames = np.zeros((3, 16, 24, 3), np.uint8)
    frames[..., 0] = 200  # red
    frames[1, ..., 2] = 90
    out = str(tmp_path / 'v')
    paths = write_rgb_jpegs(out, frames)
    assert [osp.basename(p) for p in paths
            ] == ['img_00001.jpg', 'img_00002.jpg', 'img_00003.jpg']
    assert count_rgb_files(out) == 3 and count_flow_files(out) == {}
    for path, frame in zip(paths, frames):
        bgr = cv2.imread(path)
        assert np.abs(bgr[..., ::-1].astype(int) - frame).max() <= 2
    with pytest.raises(ValueError, match=f'{out}: frames must be'):
        write_rgb_jpegs(out, frames[..., :2])


def test_flow_names_are_mmaction2s_not_the_old_ones():
    # RawFrameDecode (modality 'Flow') opens filename_tmpl.format('x', i)
    for i in (1, 7, 12345):
        assert FLOW_X_TMPL.format(i) == FLOW_TMPL.format('x', i)
        assert FLOW_Y_TMPL.format(i) == FLOW_TMPL.format('y', i)
        assert re.fullmatch(r'[xy]_\d{5}\.jpg', FLOW_X_TMPL.format(i))
    assert FLOW_X_TMPL.format(3) == 'x_00003.jpg'
    assert not FLOW_X_TMPL.startswith('flow_')


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


def test_flow_to_color_is_mmcv_flow2rgb():
    from mmcv import flow2rgb
    rng = np.random.default_rng(0)
    flow = rng.normal(size=(9, 11, 2)) * 3
    expected = np.floor(255 * flow2rgb(flow)).astype(np.uint8)
    np.testing.assert_array_equal(flow_to_color(flow), expected)
    # a fixed scale at the field's own maximum is the same picture
    top = float(np.hypot(flow[..., 0], flow[..., 1]).max())
    np.testing.assert_array_equal(flow_to_color(flow, top), expected)
    # twice the maximum: every pixel half as saturated (closer to white)
    assert (flow_to_color(flow, 2 * top) >= expected).all()


def test_flow_to_color_beyond_max_flow_and_unknown():
    flow = np.zeros((2, 3, 2))
    flow[0, 0] = (1.0, 0.0)  # at the scale: full red
    flow[0, 1] = (4.0, 0.0)  # beyond it: red, darkened as Middlebury does
    flow[0, 2] = (np.nan, 0.0)  # unknown: black
    flow[1, 0] = (2e6, 0.0)  # unknown too
    rgb = flow_to_color(flow, max_flow=1.0)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert rgb[0, 1].tolist() == [191, 0, 0]
    assert rgb[0, 2].tolist() == [0, 0, 0] == rgb[1, 0].tolist()
    assert (rgb[1, 1:] == 255).all()
    # unknown flow does not set the scale when none is given
    assert flow_to_color(flow)[0, 1].tolist() == [255, 0, 0]
    with pytest.raises(ValueError, match='max_flow must be positive, got 0'):
        flow_to_color(flow, max_flow=0)


def test_flow_grid_layout():
    frames = np.zeros((3, 10, 12, 3), np.uint8)
    grid = flow_grid(frames, _smooth_flow(3, 10, 12), gap=2)
    assert grid.shape == (2 * 10 + 3 * 2, 3 * (12 + 2) + 2, 3)
    assert (grid[2:12, 2:14] == 0).all()  # first frame, top left
    with pytest.raises(ValueError, match='3 frames but 2 flows'):
        flow_grid(frames, _smooth_flow(2, 10, 12))
    # no motion at all: white flow tiles, no error
    still = flow_grid(frames, np.zeros((3, 10, 12, 2)), gap=2)
    assert (still[14:24, 2:14] == 255).all()
