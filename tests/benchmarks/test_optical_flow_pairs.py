# Copyright (c) tsdistill authors. All rights reserved.
"""Readers of real flow benchmarks (tsdistill.benchmarks.optical_flow_pairs).

Real: the 4 Middlebury sequences of ``../shared/data/middlebury`` (Baker et
al., IJCV 2011; see ../shared/data/README.md). FlyingChairs-style folders
(Dosovitskiy et al., ICCV 2015) and broken files are written here.
"""
import os
import os.path as osp
import shutil

import cv2
import mmcv
import numpy as np
import pytest

from tsdistill.benchmarks import optical_flow_pairs as ofp

#: The shared Middlebury sequences (see ../shared/data/README.md)
MIDDLEBURY_DIR = os.environ.get(
    'TSDISTILL_MIDDLEBURY',
    osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '..',
        'shared', 'data', 'middlebury'))

#: name: (H, W, fraction of pixels with known flow), as read from the files
SHARED = {
    'Dimetrodon': (388, 584, 0.9525),
    'Grove2': (480, 640, 1.0),
    'Hydrangea': (388, 584, 0.9343),
    'Urban2': (480, 640, 1.0),
}


@pytest.fixture(scope='module')
def middlebury():
    if not osp.isdir(MIDDLEBURY_DIR):
        pytest.skip(f'no Middlebury sequences in {MIDDLEBURY_DIR}')
    return ofp.middlebury_pairs(MIDDLEBURY_DIR)


def _write_pair(folder, prefix, size=(6, 8), ext='.ppm', flow=None):
    """A random FlyingChairs-style pair; returns its flow."""
    h, w = size
    rng = np.random.default_rng(len(prefix))
    for i in (1, 2):
        cv2.imwrite(
            osp.join(folder, f'{prefix}_img{i}{ext}'),
            rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    if flow is None:
        flow = rng.normal(size=(h, w, 2)).astype(np.float32)
    mmcv.flowwrite(flow, osp.join(folder, f'{prefix}_flow.flo'))
    return flow


def test_reads_the_shared_middlebury_sequences(middlebury):
    assert [p.name for p in middlebury] == sorted(SHARED)
    for pair in middlebury:
        h, w, known = SHARED[pair.name]
        assert pair.shape == (h, w)
        assert pair.frame0.shape == pair.frame1.shape == (h, w, 3)
        assert pair.frame0.dtype == np.uint8
        assert pair.flow.shape == (h, w, 2)
        assert pair.flow.dtype == np.float32
        assert pair.valid.mean() == pytest.approx(known, abs=1e-4)
        # unknown flow is stored as 1e10, the rest is a few pixels
        unknown = np.abs(pair.flow).max(-1) > ofp.UNKNOWN_FLOW_THRESH
        np.testing.assert_array_equal(pair.valid, ~unknown)
        assert np.abs(pair.flow[pair.valid]).max() < 25
        # RGB order: OpenCV reads BGR
        bgr = cv2.imread(osp.join(MIDDLEBURY_DIR, pair.name, 'frame10.png'))
        np.testing.assert_array_equal(pair.frame0, bgr[..., ::-1])


def test_middlebury_sequence_subset_and_split_layout(tmp_path, middlebury):
    # the official download: frames in other-data, ground truth in
    # other-gt-flow; a sequence without ground truth is left out
    for seq in ('Grove2', 'Urban2'):
        os.makedirs(tmp_path / 'other-data' / seq)
        os.makedirs(tmp_path / 'other-gt-flow' / seq)
        for name in ('frame10.png', 'frame11.png'):
            shutil.copy(
                osp.join(MIDDLEBURY_DIR, seq, name),
                tmp_path / 'other-data' / seq / name)
    shutil.copy(
        osp.join(MIDDLEBURY_DIR, 'Grove2', 'flow10.flo'),
        tmp_path / 'other-gt-flow' / 'Grove2' / 'flow10.flo')
    shutil.rmtree(tmp_path / 'other-gt-flow' / 'Urban2')
    pairs = ofp.middlebury_pairs(str(tmp_path))
    assert [p.name for p in pairs] == ['Grove2']
    np.testing.assert_array_equal(pairs[0].flow, middlebury[1].flow)
    np.testing.assert_array_equal(pairs[0].frame1, middlebury[1].frame1)
    only = ofp.middlebury_pairs(MIDDLEBURY_DIR, ['Urban2', 'Dimetrodon'])
    assert [p.name for p in only] == ['Urban2', 'Dimetrodon']
    with pytest.raises(
            FileNotFoundError, match='no Middlebury sequence '
            'Venus'):
        ofp.middlebury_pairs(MIDDLEBURY_DIR, ['Venus'])


def test_middlebury_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='no Middlebury folder'):
        ofp.middlebury_pairs(str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='no Middlebury sequence in'):
        ofp.middlebury_pairs(str(tmp_path))
    seq = tmp_path / 'Seq'
    seq.mkdir()
    cv2.imwrite(str(seq / 'frame10.png'), np.zeros((4, 5, 3), np.uint8))
    mmcv.flowwrite(np.zeros((4, 5, 2), np.float32), str(seq / 'flow10.flo'))
    with pytest.raises(FileNotFoundError) as err:
        ofp.middlebury_pairs(str(tmp_path))
    assert 'Seq: missing frame' in str(err.value)
    assert str(seq / 'frame11.png') in str(err.value)


def test_size_mismatch_is_named(tmp_path):
    _write_pair(str(tmp_path), 'a', size=(6, 8))
    mmcv.flowwrite(
        np.zeros((6, 7, 2), np.float32), str(tmp_path / 'a_flow.flo'))
    with pytest.raises(ofp.FlowPairError) as err:
        ofp.flying_chairs_pairs(str(tmp_path))
    assert 'size mismatch' in str(err.value)
    assert 'a_flow.flo is 7x6' in str(err.value)
    assert 'a_img1.ppm is 8x6' in str(err.value)
    cv2.imwrite(str(tmp_path / 'a_img2.ppm'), np.zeros((5, 8, 3), np.uint8))
    with pytest.raises(ofp.FlowPairError, match='frames of different sizes'):
        ofp.flying_chairs_pairs(str(tmp_path))


def test_bad_flo_files_give_clear_errors(tmp_path):
    path = str(tmp_path / 'x.flo')
    header = np.int32([3, 2]).tobytes()
    values = np.zeros(12, np.float32).tobytes()
    cases = {
        'magic PIEH':
        b'XXXX' + header + values,  # bad magic
        'truncated':
        b'PIEH' + header + values[:-4],
        '68 bytes, but its header says 3x2 flow, 60':
        (b'PIEH' + header + values + b'\0' * 8),
        'bad .flo header, width -1':
        (b'PIEH' + np.int32([-1, 2]).tobytes() + values),
    }
    for message, content in cases.items():
        with open(path, 'wb') as f:
            f.write(content)
        with pytest.raises(ofp.FlowPairError) as err:
            ofp.read_flo(path)
        assert path in str(err.value) and message in str(err.value), message
    with pytest.raises(FileNotFoundError, match='missing flow file'):
        ofp.read_flo(str(tmp_path / 'none.flo'))
    # the Middlebury magic: float32 202021.25 is the bytes PIEH
    assert np.float32(202021.25).tobytes() == b'PIEH'
    with open(path, 'wb') as f:
        f.write(np.float32(202021.25).tobytes() + header + values)
    assert ofp.read_flo(path).shape == (2, 3, 2)


def test_unreadable_frame_is_named(tmp_path):
    _write_pair(str(tmp_path), 'a')
    (tmp_path / 'a_img2.ppm').write_bytes(b'not an image')
    with pytest.raises(ofp.FlowPairError, match='a_img2.ppm: not an image'):
        ofp.flying_chairs_pairs(str(tmp_path))


def test_flying_chairs_folder(tmp_path):
    flows = {
        '00002': _write_pair(str(tmp_path), '00002'),
        '00001': _write_pair(str(tmp_path), '00001', ext='.png'),
    }
    flows['00002'][0, 0] = (1e10, 0.0)  # unknown
    mmcv.flowwrite(flows['00002'], str(tmp_path / '00002_flow.flo'))
    pairs = ofp.flying_chairs_pairs(str(tmp_path))
    assert [p.name for p in pairs] == ['00001', '00002']
    for pair in pairs:
        np.testing.assert_array_equal(pair.flow, flows[pair.name])
        assert pair.frame0.shape == (6, 8, 3)
    assert pairs[1].valid.sum() == 6 * 8 - 1 and not pairs[1].valid[0, 0]
    assert len(ofp.flying_chairs_pairs(str(tmp_path), max_pairs=1)) == 1
    os.remove(tmp_path / '00002_img2.ppm')
    with pytest.raises(FileNotFoundError, match='00002: missing frame'):
        ofp.flying_chairs_pairs(str(tmp_path))
    os.remove(tmp_path / '00001_flow.flo')
    with pytest.raises(FileNotFoundError, match='00001: missing flow file'):
        ofp.flying_chairs_pairs(str(tmp_path))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no FlyingChairs pair'):
        ofp.flying_chairs_pairs(str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='no FlyingChairs folder'):
        ofp.flying_chairs_pairs(str(tmp_path / 'nowhere'))


def test_known_flow_mask():
    flow = np.zeros((2, 3, 2), np.float32)
    flow[0, 0, 0] = 1e10
    flow[0, 1, 1] = -2e9
    flow[1, 0, 0] = np.nan
    flow[1, 1] = 1e9  # the threshold itself is known
    np.testing.assert_array_equal(
        ofp.known_flow_mask(flow), [[False, False, True], [False, True, True]])


def test_downscaled_pair():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    flow = np.ones((5, 7, 2), np.float32) * (4.0, -2.0)
    flow[0, 0] = 1e10
    pair = ofp.FlowPair('p', frame, frame, flow, ofp.known_flow_mask(flow))
    small = pair.downscaled(2)
    assert small.shape == (2, 3) and small.frame0.shape == (2, 3, 3)
    assert small.valid.tolist() == [[False, True, True], [True, True, True]]
    np.testing.assert_allclose(small.flow[small.valid], [[2.0, -1.0]] * 5)
    assert not ofp.known_flow_mask(small.flow)[0, 0]
    assert small.frame0[1, 1, 0] == pytest.approx(
        frame[2:4, 2:4, 0].mean(), abs=0.5)
    assert pair.downscaled(1) is pair
    with pytest.raises(ValueError, match='factor'):
        pair.downscaled(0)


def test_read_pair_names_a_missing_flow(tmp_path):
    _write_pair(str(tmp_path), 'a')
    with pytest.raises(FileNotFoundError, match='b: missing flow file'):
        ofp.read_pair('b', str(tmp_path / 'a_img1.ppm'),
                      str(tmp_path / 'a_img2.ppm'), str(tmp_path / 'b.flo'))
