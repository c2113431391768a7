# Copyright (c) tsdistill authors. All rights reserved.
"""tools/visualize_flow.py and tools/extract_flow.py on tiny videos."""
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
from _helpers.tools import REPO, load_tool

from tsdistill.benchmarks import flow_synthetic as fs
from tsdistill.data_tools.flow_extraction import (FlowSettingsError,
                                                  VideoReadError, dist_env,
                                                  extract_flow, format_report,
                                                  read_video, shard)
from tsdistill.data_tools.hmdb51_annotations import flow_frames, rgb_frames
from tsdistill.utils import read_flow_jpegs
from tsdistill.utils.flow_io import FLOW_TMPL, RGB_TMPL
from tsdistill.utils.rawframe_marker import DONE_MARKER, read_done_marker

VELOCITY = (1.0, -0.5)
#: mmaction2's own rawframe test data (see ../shared/data/README.md)
MMACTION2_FRAMES = os.environ.get(
    'TSDISTILL_MMACTION2_FRAMES',
    osp.join(REPO, '..', 'shared', 'data', 'mmaction2_frames'))


def tool(name):
    return load_tool(name).main


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
    assert 'RGB frames and flow extracted: 2 videos' in text
    # mmaction2's layout: 6 frames -> img_00001..6, x_/y_00001..5
    names = sorted(os.listdir(osp.join(out, 'a', 'good')))
    assert names == ['.flow_done.json'] + [
        RGB_TMPL.format(i) for i in range(1, 7)
    ] + [FLOW_TMPL.format(a, i) for a in 'xy' for i in range(1, 6)]
    marker = read_done_marker(osp.join(out, 'a', 'good'))
    assert (marker['task'], marker['num_frames'],
            marker['num_pairs']) == ('both', 6, 5)
    # the RGB frames are the decoded frames, in RGB order, JPEG-compressed
    frames = read_video(osp.join(root, 'a', 'good.avi'))
    for i, frame in enumerate(frames, 1):
        img = cv2.imread(osp.join(out, 'a', 'good', RGB_TMPL.format(i)))
        diff = np.abs(img[..., ::-1].astype(int) - frame).mean()
        assert diff < 3, (i, diff)
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
    open(osp.join(partial, 'x_00001.jpg'), 'wb').close()
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
    # the RGB frames do not depend on the flow settings: a --task rgb run
    # with another bound has nothing to do
    rgb = _snapshot(osp.join(out, 'a', 'good'), 'img_')
    assert tool('extract_flow.py')(args +
                                   ['--bound', '10', '--task', 'rgb']) == 0
    assert 'skipped (already complete): 2' in capsys.readouterr().out
    # --overwrite redoes the flow with the new settings, keeps the frames
    assert tool('extract_flow.py')(args +
                                   ['--bound', '10', '--overwrite']) == 0
    text = capsys.readouterr().out
    assert ('RGB frames and flow extracted: 2 videos (2 redone: other '
            'settings)') in text
    assert _snapshot(osp.join(out, 'a', 'good'), 'img_') == rgb
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


def test_m1_backend_is_not_a_flow_setting(video_list):
    """M1's backend chooses how it runs, not the flow: markers omit it."""
    root, ann, out = video_list
    m1 = dict(num_scales=1, num_warps=1, num_iters=2)
    extract_flow(ann, root, out, progress=False, flow_cfg=m1)
    marker = read_done_marker(osp.join(out, 'a', 'good'))
    assert 'backend' not in marker['settings']['flow_cfg']
    for backend in ('eager', 'fused', 'auto'):
        report = extract_flow(
            ann, root, out, progress=False, flow_cfg=dict(m1, backend=backend))
        assert sorted(report['skipped']) == ['a/good.avi', 'b/good2.avi']


def test_device_checked_before_any_video_is_read(video_list, monkeypatch,
                                                 capsys, tmp_path):
    import torch

    from tsdistill.data_tools import flow_extraction
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


def _name_patterns(folder):
    """File names of a folder with the frame index replaced by '#'."""
    return {
        re.sub(r'\d{5}', '#', name)
        for name in os.listdir(folder) if name != DONE_MARKER
    }


def test_extracted_names_are_those_of_mmaction2s_samples(video_list):
    if not osp.isdir(MMACTION2_FRAMES):
        pytest.skip(f'no mmaction2 rawframe samples in {MMACTION2_FRAMES}')
    root, ann, out = video_list
    extract_flow(
        ann,
        root,
        out,
        progress=False,
        flow_cfg=dict(num_iters=1),
        task='both')
    samples = _name_patterns(MMACTION2_FRAMES)
    assert samples == {'img_#.jpg', 'x_#.jpg', 'y_#.jpg'}
    assert _name_patterns(osp.join(out, 'a', 'good')) == samples


def _no_flow_computed(monkeypatch):
    from tsdistill.data_tools import flow_extraction

    def fail(*args, **kwargs):
        raise AssertionError('flow was computed')

    monkeypatch.setattr(flow_extraction, 'compute_flow_module', fail)
    monkeypatch.setattr(flow_extraction, 'compute_flow_opencv', fail)


def test_a_flow_folder_gets_its_rgb_frames_and_keeps_its_flow(
        video_list, monkeypatch):
    root, ann, out = video_list
    cfg = dict(num_scales=1, num_warps=1, num_iters=2)
    good = osp.join(out, 'a', 'good')
    report = extract_flow(ann, root, out, progress=False, flow_cfg=cfg)
    assert report['task'] == 'flow' and len(report['done']) == 2
    assert _name_patterns(good) == {'x_#.jpg', 'y_#.jpg'}
    flow = _snapshot(good, ('x_', 'y_'))
    # done for 'flow' is not done for 'both': the frames are added, from
    # the same decoding, and the flow is not computed again
    with monkeypatch.context() as m:
        _no_flow_computed(m)
        report = extract_flow(
            ann, root, out, progress=False, flow_cfg=cfg, task='both')
    assert sorted(report['completed']) == sorted(
        report['done']) == ['a/good.avi', 'b/good2.avi']
    assert 'completed (the part another task left out added): 2' in \
        format_report(report)
    assert _snapshot(good, ('x_', 'y_')) == flow
    marker = read_done_marker(good)
    assert (marker['task'], marker['num_frames'],
            marker['num_pairs']) == ('both', 6, 5)
    assert rgb_frames(good) == (6, None) and flow_frames(good)[0] == 5
    # and then it is done
    report = extract_flow(
        ann, root, out, progress=False, flow_cfg=cfg, task='both')
    assert sorted(report['skipped']) == ['a/good.avi', 'b/good2.avi']
    # another size is another folder: refused for every task, or redone
    for task in ('rgb', 'flow', 'both'):
        with pytest.raises(FlowSettingsError, match='short_side: None -> 32'):
            extract_flow(
                ann,
                root,
                out,
                progress=False,
                flow_cfg=cfg,
                task=task,
                short_side=32)
    report = extract_flow(
        ann,
        root,
        out,
        progress=False,
        flow_cfg=cfg,
        task='rgb',
        short_side=32,
        overwrite=True)
    assert sorted(report['redone']) == ['a/good.avi', 'b/good2.avi']
    # every part at the new size, the flow too (it would not match)
    assert read_done_marker(good)['task'] == 'both'
    assert cv2.imread(osp.join(good, 'img_00001.jpg')).shape == (32, 51, 3)
    assert read_flow_jpegs(good).shape == (5, 32, 51, 2)


def test_rgb_first_then_flow_of_another_backend(video_list, monkeypatch):
    root, ann, out = video_list
    good = osp.join(out, 'a', 'good')
    with monkeypatch.context() as m:
        _no_flow_computed(m)
        report = extract_flow(ann, root, out, progress=False, task='rgb')
    assert 'RGB frames extracted: 2 videos' in format_report(report)
    assert _name_patterns(good) == {'img_#.jpg'}
    marker = read_done_marker(good)
    assert (marker['task'], marker['num_frames'],
            marker['num_pairs']) == ('rgb', 6, 0)
    assert flow_frames(good)[1][0] == 'missing flow'
    rgb = _snapshot(good, 'img_')
    report = extract_flow(
        ann, root, out, backend='opencv', progress=False, task='flow')
    assert sorted(report['completed']) == ['a/good.avi', 'b/good2.avi']
    assert _snapshot(good, 'img_') == rgb
    marker = read_done_marker(good)
    assert marker['task'] == 'both' and marker['num_pairs'] == 5
    assert marker['settings']['backend'] == 'opencv'
    assert flow_frames(good)[0] == 5 and rgb_frames(good)[0] == 6


def _snapshot(folder, prefix=''):
    """``{name: (sha1 of the bytes, mtime_ns)}`` of every file (or of those
    whose name starts with ``prefix``, a string or a tuple of them)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.startswith(prefix):
            continue
        path = osp.join(folder, name)
        with open(path, 'rb') as f:
            out[name] = (hashlib.sha1(f.read()).hexdigest(),
                         os.stat(path).st_mtime_ns)
    return out


@pytest.fixture
def five_videos(tmp_path):
    """Five tiny videos; the list names one of them twice."""
    root = tmp_path / 'videos'
    videos = [f'c{i % 2}/v_({i})_-_[x]!.avi' for i in range(5)]
    for i, rel in enumerate(videos):
        write_video(str(root / rel), num_frames=4, seed=i)
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{v} {i % 2}\n'
                           for i, v in enumerate(videos)) + f'{videos[2]} 0\n')
    return str(root), str(ann), str(tmp_path / 'flow'), videos


def _folder(out, video):
    return osp.join(out, osp.splitext(video)[0])


def _finished(out, videos):
    return {v for v in videos if read_done_marker(_folder(out, v))}


def test_two_ranks_shard_disjoint_and_complete(five_videos, monkeypatch,
                                               capsys):
    root, ann, out, videos = five_videos
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'SLURM_PROCID',
                 'SLURM_NTASKS', 'SLURM_LOCALID'):
        monkeypatch.delenv(name, raising=False)
    assert dist_env() == (0, 1, 0)
    # rank 0 by its arguments: only its own folders are written
    args = [ann, '--data-root', root, '--out-root', out, '--no-progress'
            ] + FAST_M1
    assert tool('extract_flow.py')(args +
                                   ['--rank', '0', '--world-size', '2']) == 0
    text = capsys.readouterr().out
    assert 'rank 0 of 2: RGB frames and flow extracted: 3 videos' in text
    rank0 = _finished(out, videos)
    assert rank0 == set(videos[0::2])
    assert not any(osp.exists(_folder(out, v)) for v in videos[1::2])
    # rank 1 from slurm's variables (torchrun's are read the same way)
    monkeypatch.setenv('SLURM_PROCID', '1')
    monkeypatch.setenv('SLURM_NTASKS', '2')
    assert dist_env() == (1, 2, 1)
    report = extract_flow(
        ann, root, out, progress=False, flow_cfg=dict(num_iters=1))
    assert (report['rank'], report['world_size']) == (1, 2)
    assert set(report['done']).isdisjoint(rank0)
    assert report['skipped'] == []  # rank 0's folders were not looked at
    assert rank0 | set(report['done']) == set(videos) == _finished(out, videos)
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '3')
    assert dist_env() == (0, 3, 0)  # torchrun's first (LOCAL_RANK: RANK)
    # the partition itself: disjoint, complete, duplicates written once
    listed = videos + [videos[2]]
    for world in (1, 2, 3, 7):
        shards = [shard(listed, r, world) for r in range(world)]
        flat = [v for s in shards for v in s]
        assert sorted(flat) == sorted(videos)
    with pytest.raises(ValueError, match='rank 2 of world size 2'):
        shard(videos, 2, 2)
    with pytest.raises(SystemExit):
        tool('extract_flow.py')(args + ['--rank', '2', '--world-size', '2'])


#: extract_flow in a child process (``task`` as argv[2]), killed while
#: ``writer`` (argv[1], write_flow_jpegs or write_rgb_jpegs of
#: flow_extraction) writes the third video, after half of its files
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from tsdistill.data_tools import flow_extraction
    writer, task, ann, root, out = sys.argv[1:]
    real = getattr(flow_extraction, writer)
    calls = []

    def write_then_die(out_dir, images, *args, **kwargs):
        calls.append(out_dir)
        if len(calls) == 3:  # the third video: half its files, then a kill
            real(out_dir, images[:len(images) // 2], *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(out_dir, images, *args, **kwargs)

    setattr(flow_extraction, writer, write_then_die)
    flow_extraction.extract_flow(ann, root, out, device='cpu',
                                 progress=False, task=task,
                                 flow_cfg=dict(num_iters=1))
""")


def _killed_run(writer, ann, root, out, task='flow'):
    proc = subprocess.run(
        [sys.executable, '-c', KILLED_RUN, writer, task, ann, root, out],
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode == -9, proc.stderr[-3000:]


def _extract(ann, root, out, task='flow'):
    """extract_flow as the killed run calls it (CPU, one TV-L1 iteration)."""
    return extract_flow(
        ann,
        root,
        out,
        device='cpu',
        progress=False,
        task=task,
        flow_cfg=dict(num_iters=1))


def _hashes(folder):
    return {n: h for n, (h, _) in _snapshot(folder).items()}


def test_kill_in_the_middle_then_resume(five_videos, tmp_path):
    root, ann, out, videos = five_videos
    _killed_run('write_flow_jpegs', ann, root, out)
    folders = [_folder(out, v) for v in videos]
    # two videos finished, the third half-written, the rest not started
    assert _finished(out, videos) == set(videos[:2])
    assert sorted(os.listdir(folders[2])) == ['x_00001.jpg', 'y_00001.jpg']
    assert not osp.exists(folders[3]) and not osp.exists(folders[4])
    # the half-written folder counts as done nowhere
    assert flow_frames(folders[2])[1][0] == 'incomplete flow'
    finished = [_snapshot(f) for f in folders[:2]]

    report = _extract(ann, root, out)
    assert report['skipped'] == videos[:2]
    assert report['done'] == videos[2:] and report['failed'] == {}
    # finished videos: not redone, byte-identical, not even touched
    assert [_snapshot(f) for f in folders[:2]] == finished
    # the killed one is complete now, as a run without a kill writes it
    clean = str(tmp_path / 'clean')
    _extract(ann, root, clean)
    for video, folder in zip(videos, folders):
        assert flow_frames(folder)[0] == 3
        assert _hashes(folder) == _hashes(_folder(clean, video)), video


def test_kill_while_writing_rgb_frames_then_resume(five_videos, tmp_path):
    root, ann, out, videos = five_videos
    _killed_run('write_rgb_jpegs', ann, root, out, task='both')
    folders = [_folder(out, v) for v in videos]
    assert _finished(out, videos) == set(videos[:2])
    # half the frames of the third video, no flow, no marker: not done
    assert sorted(os.listdir(folders[2])) == ['img_00001.jpg', 'img_00002.jpg']
    assert rgb_frames(folders[2])[1][0] == 'incomplete rgb frames'
    assert not osp.exists(folders[3])
    finished = [_snapshot(f) for f in folders[:2]]
    report = _extract(ann, root, out, task='both')
    assert report['skipped'] == videos[:2]
    assert report['done'] == videos[2:] and report['failed'] == {}
    assert [_snapshot(f) for f in folders[:2]] == finished
    clean = str(tmp_path / 'clean')
    _extract(ann, root, clean, task='both')
    for video, folder in zip(videos, folders):
        assert rgb_frames(folder) == (4, None)
        assert flow_frames(folder)[0] == 3
        assert _hashes(folder) == _hashes(_folder(clean, video)), video


def test_kill_while_adding_rgb_to_flow_keeps_the_flow(five_videos, tmp_path,
                                                      monkeypatch):
    root, ann, out, videos = five_videos
    _extract(ann, root, out)
    folders = [_folder(out, v) for v in videos]
    flows = [_snapshot(f, ('x_', 'y_')) for f in folders]
    marker = _snapshot(folders[2], DONE_MARKER)
    _killed_run('write_rgb_jpegs', ann, root, out, task='both')
    # two folders completed; the third still marked for its flow alone,
    # its marker and flow untouched, half its frames written
    markers = [read_done_marker(f) for f in folders]
    assert [m['task'] for m in markers] == ['both'] * 2 + ['flow'] * 3
    assert _snapshot(folders[2], DONE_MARKER) == marker
    assert _snapshot(folders[2], ('x_', 'y_')) == flows[2]
    assert sorted(
        n for n in os.listdir(folders[2])
        if n.startswith('img_')) == ['img_00001.jpg', 'img_00002.jpg']
    assert flow_frames(folders[2])[0] == 3
    num, (kind, message) = rgb_frames(folders[2])
    assert num is None and kind == 'incomplete rgb frames'
    assert 'lists flow only' in message and folders[2] in message
    # resumed: the frames are finished, no flow is computed again
    _no_flow_computed(monkeypatch)
    report = _extract(ann, root, out, task='both')
    assert report['skipped'] == videos[:2]
    assert report['completed'] == report['done'] == videos[2:]
    for folder, flow in zip(folders, flows):
        assert _snapshot(folder, ('x_', 'y_')) == flow
        assert read_done_marker(folder)['task'] == 'both'
    monkeypatch.undo()
    clean = str(tmp_path / 'clean')
    _extract(ann, root, clean, task='both')
    for video, folder in zip(videos, folders):
        assert _hashes(folder) == _hashes(_folder(clean, video)), video


def test_pairs_per_forward_default_to_the_device(tmp_path, monkeypatch):
    """8 pairs per M1 forward on the CPU unless given (64 on a GPU): on a
    2-core CPU 64 pairs per forward cost 3x as much per pair as 8."""
    from tsdistill.data_tools.flow_extraction import default_max_pairs
    from tsdistill.models.flow import TVL1OpticalFlow
    root = tmp_path / 'videos'
    write_video(str(root / 'a' / 'long.avi'), num_frames=20)  # 19 pairs
    ann = tmp_path / 'list.txt'
    ann.write_text('a/long.avi 0\n')
    windows = []
    forward = TVL1OpticalFlow.forward

    def counted(self, x):
        windows.append(x.shape[2] - 1)
        return forward(self, x)

    monkeypatch.setattr(TVL1OpticalFlow, 'forward', counted)
    kwargs = dict(
        flow_cfg=dict(num_scales=1, num_warps=1, num_iters=2),
        device='cpu',
        progress=False,
        rank=0,
        world_size=1)
    extract_flow(str(ann), str(root), str(tmp_path / 'cpu'), **kwargs)
    assert windows == [8, 8, 3]
    assert (default_max_pairs('cpu'), default_max_pairs('cuda:1')) == (8, 64)
    windows.clear()
    extract_flow(
        str(ann), str(root), str(tmp_path / 'given'), max_pairs=5, **kwargs)
    assert windows == [5, 5, 5, 4]


def test_a_marked_folder_that_lost_files_is_extracted_again(
        five_videos, tmp_path, capsys):
    """The re-run checks each marker against the files, as
    prepare_annotations does, instead of trusting it."""
    root, ann, out, videos = five_videos
    _extract(ann, root, out, task='both')
    folders = [_folder(out, v) for v in videos]
    os.remove(osp.join(folders[0], FLOW_TMPL.format('x', 3)))
    os.remove(osp.join(folders[1], RGB_TMPL.format(2)))
    untouched = [_snapshot(f) for f in folders[2:]]
    # prepare_annotations' view of the two folders
    assert flow_frames(
        folders[0])[1] == ('incomplete flow',
                           f'{folders[0]} holds 2 x_ and 3 y_ flow files, '
                           f'its {DONE_MARKER} says 3')
    assert rgb_frames(folders[1])[1] == (
        'incomplete rgb frames',
        f'{folders[1]} holds 3 img_ files, its {DONE_MARKER} says 4')

    report = _extract(ann, root, out, task='both')
    assert sorted(report['done']) == sorted(videos[:2])
    assert report['skipped'] == videos[2:]
    assert sorted(report['incomplete']) == sorted(videos[:2])
    assert report['incomplete'][videos[0]] == (
        f'{folders[0]} holds 2 x_ and 3 y_ flow files, its {DONE_MARKER} '
        'says 3: extracting the flow again')
    text = format_report(report)
    assert 'incomplete against their marker (files missing or added ' \
        'since): 2' in text
    assert f'  INCOMPLETE {videos[1]}: {folders[1]} holds 3 img_' in text
    assert [_snapshot(f) for f in folders[2:]] == untouched
    clean = str(tmp_path / 'clean')
    _extract(ann, root, clean, task='both')
    for video, folder in zip(videos, folders):
        assert flow_frames(folder)[0] == 3 and rgb_frames(folder)[0] == 4
        assert _hashes(folder) == _hashes(_folder(clean, video)), video
    # a further run has nothing to do
    assert _extract(ann, root, out, task='both')['skipped'] == videos


def test_a_lost_part_the_task_does_not_write_is_unmarked(
        five_videos, monkeypatch, capsys):
    root, ann, out, videos = five_videos
    _extract(ann, root, out, task='both')
    folder = _folder(out, videos[0])
    os.remove(osp.join(folder, FLOW_TMPL.format('y', 1)))
    frames = _snapshot(folder, 'img_')
    _no_flow_computed(monkeypatch)
    report = _extract(ann, root, out, task='rgb')
    assert report['skipped'] == videos and report['done'] == []
    assert 'taking the flow off its .flow_done.json (this run\'s task ' \
        'does not write it; run with --task both to extract it again)' in \
        report['incomplete'][videos[0]]
    # the marker no longer lists the flow; the RGB frames are kept
    assert read_done_marker(folder)['task'] == 'rgb'
    assert _snapshot(folder, 'img_') == frames
    assert rgb_frames(folder) == (4, None)
    kind, message = flow_frames(folder)[1]
    assert kind == 'incomplete flow' and 'lists RGB frames only' in message
    monkeypatch.undo()
    report = _extract(ann, root, out, task='both')
    assert report['completed'] == report['done'] == [videos[0]]
    assert flow_frames(folder)[0] == 3


def test_a_list_line_with_a_space_in_its_path_is_named(tmp_path, capsys):
    # 'jump' was taken for the video and reported as a missing file
    ann = tmp_path / 'list.txt'
    ann.write_text('wave/a.avi 0\njump rope/b.avi 1\nwave/c.avi 0 3\n')
    rc = tool('extract_flow.py')([
        str(ann), '--data-root',
        str(tmp_path), '--out-root',
        str(tmp_path / 'out'), '--device', 'cpu'
    ])
    assert rc == 2
    assert capsys.readouterr().err == (
        f"error: {ann}:2: expected \"<video> <label>\", got 'jump rope/b.avi "
        "1' (a path cannot hold whitespace: mmaction2's VideoDataset splits "
        'list lines on it)\n')
    assert not osp.exists(tmp_path / 'out')
