# Copyright (c) tsdistill authors. All rights reserved.
"""tools/visualize_flow.py and tools/extract_flow.py on tiny videos."""
import json
import os
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest

from tsdistill.utils import flow_synthetic as fs
from tsdistill.utils import read_flow_jpegs
from tsdistill.utils.flow_extraction import (DONE_MARKER, FlowSettingsError,
                                             VideoReadError, extract_flow,
                                             read_done_marker, read_video)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VELOCITY = (1.0, -0.5)


def tool(name):
    return runpy.run_path(osp.join(REPO, 'tools', name))['main']


def write_video(path, num_frames=6, height=40, width=64, seed=0):
    """A smooth texture moving at VELOCITY px per frame, MJPG .avi.

    (decord 0.6 fails on 48-pixel-wide MJPG frames, row padding; 64 works.)
    """
    clip = fs.make_translation_clip(
        num_frames, height, width, velocity=VELOCITY, seed=seed)
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (width, height))
    for frame in clip:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture
def video_list(tmp_path):
    root = tmp_path / 'videos'
    write_video(str(root / 'a' / 'good.avi'))
    write_video(str(root / 'b' / 'good2.avi'), num_frames=4, seed=1)
    (root / 'b' / 'corrupt.avi').write_bytes(b'\x00garbage' * 64)
    ann = tmp_path / 'list.txt'
    ann.write_text('a/good.avi 0\nb/corrupt.avi 1\n\nb/good2.avi 1\n')
    return str(root), str(ann), str(tmp_path / 'flow')


def test_visualize_flow_writes_png(tmp_path, capsys):
    video = write_video(str(tmp_path / 'v.avi'), num_frames=5)
    out = str(tmp_path / 'out' / 'grid.png')
    tool('visualize_flow.py')(
        [video, out, '--num-frames', '3', '--short-side', '0', '--fast'])
    img = cv2.imread(out)
    assert img is not None
    # two rows of 40 px tiles, three 64 px columns, 4 px gaps
    assert img.shape == (2 * 40 + 3 * 4, 3 * (64 + 4) + 4, 3)
    assert 'wrote' in capsys.readouterr().out


def test_read_video_errors_name_the_file(tmp_path):
    bad = tmp_path / 'bad.avi'
    bad.write_bytes(b'nope' * 100)
    with pytest.raises(VideoReadError, match='bad.avi'):
        read_video(str(bad))
    with pytest.raises(VideoReadError, match='missing.avi: no such file'):
        read_video(str(tmp_path / 'missing.avi'))
    frames = read_video(write_video(str(tmp_path / 'ok.avi')), short_side=20)
    assert frames.shape == (6, 20, 32, 3) and frames.dtype == np.uint8


def test_extract_flow_writes_resumes_and_reports(video_list, capsys):
    root, ann, out = video_list
    args = [ann, '--data-root', root, '--out-root', out, '--no-progress']
    rc = tool('extract_flow.py')(args)
    text = capsys.readouterr().out
    assert rc == 1
    assert 'FAILED b/corrupt.avi' in text and 'failed: 1' in text
    names = sorted(os.listdir(osp.join(out, 'a', 'good')))
    assert names[:2] == ['.flow_done.json', 'flow_x_00001.jpg']
    assert len(names) == 1 + 2 * 5
    flows = read_flow_jpegs(osp.join(out, 'a', 'good'))
    assert flows.shape == (5, 40, 64, 2)
    # the texture moves by VELOCITY px per frame
    inner = flows[:, 6:-6, 6:-6]
    np.testing.assert_allclose(
        inner.reshape(-1, 2).mean(0), VELOCITY, atol=0.15)
    assert read_flow_jpegs(osp.join(out, 'b', 'good2')).shape[0] == 3
    assert not osp.exists(osp.join(out, 'b', 'corrupt'))

    # resumed: finished videos skipped, the corrupt one reported again
    marker = osp.join(out, 'a', 'good', DONE_MARKER)
    mtime = os.stat(marker).st_mtime_ns
    rc = tool('extract_flow.py')(args + ['--allow-failures'])
    text = capsys.readouterr().out
    assert rc == 0
    assert 'skipped (already complete): 2' in text
    assert 'FAILED b/corrupt.avi' in text
    assert os.stat(marker).st_mtime_ns == mtime


def test_extract_flow_redoes_an_unfinished_video(video_list):
    root, ann, out = video_list
    partial = osp.join(out, 'a', 'good')
    os.makedirs(partial)
    open(osp.join(partial, 'flow_x_00001.jpg'), 'wb').close()
    report = extract_flow(ann, root, out, progress=False)
    assert sorted(report['done']) == ['a/good.avi', 'b/good2.avi']
    assert list(report['failed']) == ['b/corrupt.avi']
    assert read_flow_jpegs(partial).shape[0] == 5


def test_extract_flow_opencv_worker_pool(video_list):
    root, ann, out = video_list
    report = extract_flow(
        ann, root, out, backend='opencv', num_workers=2, progress=False)
    assert sorted(report['done']) == ['a/good.avi', 'b/good2.avi']
    assert 'corrupt.avi' in report['failed']['b/corrupt.avi']
    flows = read_flow_jpegs(osp.join(out, 'a', 'good'))
    np.testing.assert_allclose(
        flows[:, 6:-6, 6:-6].reshape(-1, 2).mean(0), VELOCITY, atol=0.15)


FAST_M1 = ['--flow-cfg', '{"num_scales": 1, "num_warps": 1, "num_iters": 2}']


def _marker(out, video='a/good'):
    with open(osp.join(out, video, DONE_MARKER)) as f:
        return json.load(f)


def test_resume_refuses_other_settings(video_list, capsys):
    root, ann, out = video_list
    args = [
        ann, '--data-root', root, '--out-root', out, '--no-progress',
        '--allow-failures'
    ] + FAST_M1
    assert tool('extract_flow.py')(args) == 0
    marker = _marker(out)
    assert marker['num_pairs'] == 5
    settings = marker['settings']
    assert settings['backend'] == 'module' and settings['bound'] == 20.0
    assert settings['short_side'] is None
    assert settings['flow_cfg']['num_iters'] == 2
    assert settings['flow_cfg']['tau'] == 0.25  # defaults filled in
    capsys.readouterr()
    first = read_flow_jpegs(osp.join(out, 'a', 'good'))
    mtime = os.stat(osp.join(out, 'a', 'good', DONE_MARKER)).st_mtime_ns
    # M1's defaults written out are the same settings
    same = [
        '--flow-cfg', '{"num_scales": 1, "num_warps": 1, '
        '"num_iters": 2, "tau": 0.25}'
    ]
    assert tool('extract_flow.py')(args + same) == 0
    assert 'skipped (already complete): 2' in capsys.readouterr().out
    other_m1 = [
        '--flow-cfg', '{"num_scales": 1, "num_warps": 1, '
        '"num_iters": 3}'
    ]
    for other, diff in ((['--bound', '10'], 'bound: 20.0 -> 10.0'),
                        (['--short-side', '32'], 'short_side: None -> 32'),
                        (['--backend', 'opencv'], "backend: 'module' -> "
                         "'opencv'"), (other_m1,
                                       'flow_cfg.num_iters: 2 -> 3')):
        assert tool('extract_flow.py')(args + other) == 2, other
        err = capsys.readouterr().err
        assert osp.join(out, 'a', 'good') in err, err
        assert osp.join(out, 'b', 'good2') in err
        assert diff in err and '--overwrite' in err
    # nothing was touched by the refused runs
    assert os.stat(osp.join(out, 'a', 'good',
                            DONE_MARKER)).st_mtime_ns == mtime
    np.testing.assert_array_equal(
        read_flow_jpegs(osp.join(out, 'a', 'good')), first)
    # --overwrite redoes them with the new settings
    assert tool('extract_flow.py')(args +
                                   ['--bound', '10', '--overwrite']) == 0
    text = capsys.readouterr().out
    assert 'flow extracted: 2 videos (2 redone: other settings)' in text
    assert _marker(out)['settings']['bound'] == 10.0
    second = read_flow_jpegs(osp.join(out, 'a', 'good'), bound=10.0)
    # the same flow on average, written with the other bound
    assert not np.array_equal(second, first)
    np.testing.assert_allclose(
        second.mean((0, 1, 2)), first.mean((0, 1, 2)), atol=0.05)
    # and a run with the new settings resumes
    report = extract_flow(
        ann,
        root,
        out,
        bound=10.0,
        progress=False,
        flow_cfg=dict(num_scales=1, num_warps=1, num_iters=2))
    assert sorted(report['skipped']) == ['a/good.avi', 'b/good2.avi']


def test_marker_without_settings_is_a_mismatch(video_list):
    root, ann, out = video_list
    extract_flow(ann, root, out, progress=False, flow_cfg=dict(num_iters=1))
    path = osp.join(out, 'a', 'good', DONE_MARKER)
    with open(path, 'w') as f:  # as written before settings were recorded
        json.dump(dict(num_pairs=5, backend='module', bound=20.0), f)
    with pytest.raises(FlowSettingsError, match='records no settings'):
        extract_flow(
            ann, root, out, progress=False, flow_cfg=dict(num_iters=1))
    assert read_done_marker(osp.join(out, 'b', 'good2'))['num_pairs'] == 3


def test_device_checked_before_any_video_is_read(video_list, monkeypatch,
                                                 capsys, tmp_path):
    import torch

    from tsdistill.utils import flow_extraction
    root, ann, out = video_list

    def no_decoding(*args, **kwargs):
        raise AssertionError('a video was decoded')

    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(flow_extraction, 'read_video', no_decoding)
    assert tool('extract_flow.py')(
        [ann, '--data-root', root, '--out-root', out, '--device', 'cuda']) \
        == 2
    assert 'CUDA is not available' in capsys.readouterr().err
    assert not osp.exists(out)
    video = write_video(str(tmp_path / 'v.avi'), num_frames=5)
    assert tool('visualize_flow.py')(
        [video, str(tmp_path / 'g.png'), '--device', 'cuda']) == 1
    assert 'CUDA is not available' in capsys.readouterr().err


def test_visualize_start_past_the_end(tmp_path, capsys):
    video = write_video(str(tmp_path / 'v.avi'), num_frames=5)
    out = str(tmp_path / 'grid.png')
    for start in ('4', '10'):
        assert tool('visualize_flow.py')(
            [video, out, '--start', start, '--fast']) == 1
        err = capsys.readouterr().err
        assert f'{video} has 5 frames' in err and f'--start {start}' in err
    assert not osp.exists(out)
    # a range running past the end: only real frames, fewer columns
    with pytest.warns(UserWarning, match='2 of 3 columns'):
        assert tool('visualize_flow.py')([
            video, out, '--start', '2', '--num-frames', '3', '--short-side',
            '0', '--fast'
        ]) == 0
    assert cv2.imread(out).shape == (2 * 40 + 3 * 4, 2 * (64 + 4) + 4, 3)
