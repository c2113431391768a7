# Copyright (c) tsdistill authors. All rights reserved.
"""The data path on real HMDB51 clips and on generated clips like them.

Real: the two HMDB51 videos of ``../shared/data/hmdb51_clips`` (XviD /
DivX, 320x240, 30 fps, 243 and 82 frames; Kuehne et al., ICCV 2011, CC BY
4.0), copied with their original names. Generated: XviD ``.avi`` at
320x240 and 30 fps written by OpenCV, with HMDB51-like names (parentheses,
brackets, ``!``, ``+``, ``_-_``). Each runs through prepare_annotations,
the 25-frame pipeline of ``configs/_base_/datasets/hmdb51_video.py``, M1
and extract_flow.
"""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from _helpers.tools import REPO
from _helpers.videos import (HMDB51_LIKE_NAMES, real_clips, truncated_copy,
                             write_hmdb51_like_clip)
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tsdistill.data_tools import prepare_annotations
from tsdistill.data_tools.flow_extraction import (extract_flow,
                                                  read_done_marker, read_video)
from tsdistill.datasets import CheckedVideoDataset
from tsdistill.models.flow import TVL1OpticalFlow

HMDB51_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'hmdb51_video.py')
CHEAP_M1 = dict(num_scales=2, num_warps=1, num_iters=10)


@pytest.fixture(scope='module')
def hmdb(tmp_path_factory):
    """HMDB51 layout: two classes, each a real and a generated clip.

    Returns:
        dict: ``root``, ``videos``, ``splits``, ``ann`` and ``frames``
        (``{<class>/<video>: number of frames}``).
    """
    root = tmp_path_factory.mktemp('hmdb51_real')
    videos, splits = root / 'videos', root / 'testTrainMulti_7030_splits'
    clips = real_clips()
    layout = {
        # class: [(name, id, source)]; id 1 = train, 2 = test
        'climb': [(osp.basename(clips[0]), 1, clips[0]),
                  (HMDB51_LIKE_NAMES[0], 2, None)],
        'shoot_bow': [(osp.basename(clips[1]), 2, clips[1]),
                      (HMDB51_LIKE_NAMES[1], 1, None)],
    }
    frames = {}
    os.makedirs(splits)
    for seed, (name, entries) in enumerate(sorted(layout.items())):
        os.makedirs(videos / name)
        lines = []
        for video, split_id, source in entries:
            if source is None:
                write_hmdb51_like_clip(
                    str(videos / name / video), num_frames=30, seed=seed)
                frames[f'{name}/{video}'] = 30
            else:
                shutil.copy(source, videos / name / video)
                frames[f'{name}/{video}'] = 243 if 'Climb' in video else 82
            lines.append(f'{video} {split_id} \n')  # trailing blank: official
        (splits / f'{name}_test_split1.txt').write_text(''.join(lines))
    ann = root / 'annotations'
    summary = prepare_annotations(
        str(videos), str(splits), str(ann), splits=(1, ), strict=True)
    assert summary.issues == []
    return dict(
        root=str(root),
        videos=str(videos),
        splits=str(splits),
        ann=str(ann),
        frames=frames)


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_prepare_annotations(hmdb):
    train = _lines(osp.join(hmdb['ann'], 'hmdb51_train_split_1_videos.txt'))
    val = _lines(osp.join(hmdb['ann'], 'hmdb51_val_split_1_videos.txt'))
    assert [line.rsplit(' ', 1)[1] for line in train] == ['0', '1']
    # the names survive unchanged, parentheses, '!', '+' and '_-_' included
    assert sorted(line.rsplit(' ', 1)[0] for line in train + val) == \
        sorted(hmdb['frames'])
    for subset in ('train', 'val'):
        for line in _lines(
                osp.join(hmdb['ann'],
                         f'hmdb51_{subset}_split_1_rawframes.txt')):
            rel, num, _ = line.rsplit(' ', 2)
            # flow frames = video frames - 1, as decoded by decord
            assert int(num) == hmdb['frames'][rel + '.avi'] - 1


def test_a_name_with_real_spaces_is_a_malformed_line(hmdb, tmp_path):
    # (HMDB51's names have '_' for spaces; whitespace cannot be in a list)
    splits = tmp_path / 'splits'
    shutil.copytree(hmdb['splits'], splits)
    with open(splits / 'climb_test_split1.txt', 'a') as f:
        f.write('Rock Climbing - Dan.avi 1\n')
    summary = prepare_annotations(
        hmdb['videos'],
        str(splits),
        str(tmp_path / 'ann'),
        splits=(1, ),
        probe_videos=False)
    assert [(i.kind, i.line)
            for i in summary.issues] == [('malformed line', 3)]


def _dataset(hmdb, subset, pipeline):
    init_default_scope('mmaction')
    return CheckedVideoDataset(
        osp.join(hmdb['ann'], f'hmdb51_{subset}_split_1_videos.txt'),
        Config.fromfile(HMDB51_CFG)[pipeline],
        data_prefix=dict(video=hmdb['videos']),
        test_mode=subset == 'val')


def test_25_frame_pipelines(hmdb):
    for subset, pipeline in (('train', 'train_pipeline'), ('val',
                                                           'val_pipeline')):
        dataset = _dataset(hmdb, subset, pipeline)
        assert len(dataset) == 2
        for i in range(2):
            sample = dataset[i]
            assert sample['inputs'].shape == (1, 3, 25, 112, 112)
            assert sample['inputs'].dtype == torch.uint8
            assert sample['inputs'].float().std() > 5  # real content
    # the test view is deterministic
    val = _dataset(hmdb, 'val', 'val_pipeline')
    assert torch.equal(val[0]['inputs'], val[0]['inputs'])


def test_m1_on_the_clips(hmdb):
    module = TVL1OpticalFlow(**CHEAP_M1)
    for rel in hmdb['frames']:
        path = osp.join(hmdb['videos'], rel)
        assert read_video(path, indices=[0]).shape == (1, 240, 320, 3)
        # half size (120x160) keeps the test fast
        frames = read_video(path, short_side=120, indices=[10, 11, 12])
        clip = torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float()
        flow = module(clip)
        assert flow.shape == (1, 2, 2, 120, 160)
        assert torch.isfinite(flow).all()
        if rel.endswith(HMDB51_LIKE_NAMES):
            # the generated background moves 1 px (here 0.5) left and up
            median = flow[0, :, :, 10:-10, 50:-10].flatten(1).median(1)
            np.testing.assert_allclose(
                median.values.numpy(), [-0.5, -0.5], atol=0.1)
        else:
            assert flow.abs().mean() > 0.01  # real motion


def test_extract_flow_then_rawframe_lists(hmdb, tmp_path):
    ann = osp.join(hmdb['ann'], 'hmdb51_train_split_1_videos.txt')
    out = str(tmp_path / 'flow')
    report = extract_flow(
        ann,
        hmdb['videos'],
        out,
        flow_cfg=CHEAP_M1,
        short_side=32,
        progress=False)
    assert report['failed'] == {} and len(report['done']) == 2
    for video in report['done']:
        folder = osp.join(out, osp.splitext(video)[0])
        marker = read_done_marker(folder)
        assert marker['num_pairs'] == hmdb['frames'][video] - 1
        assert marker['settings']['short_side'] == 32
    summary = prepare_annotations(
        hmdb['videos'],
        hmdb['splits'],
        str(tmp_path / 'ann'),
        rawframes_root=out,
        splits=(1, ),
        probe_videos=False)
    # the val videos have no flow here: reported, not listed
    assert {i.kind for i in summary.issues} == {'missing flow', 'empty list'}
    assert _lines(tmp_path / 'ann' / 'hmdb51_train_split_1_rawframes.txt') \
        == _lines(osp.join(hmdb['ann'], 'hmdb51_train_split_1_rawframes.txt'))


def test_extract_flow_names_a_truncated_clip(hmdb, tmp_path):
    rel = next(r for r in hmdb['frames'] if 'Climb' in r)
    videos = tmp_path / 'videos'
    truncated_copy(osp.join(hmdb['videos'], rel), str(videos / rel), 'half')
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{rel} 0\n')
    report = extract_flow(
        str(ann), str(videos), str(tmp_path / 'flow'), progress=False)
    assert list(report['failed']) == [rel]
    assert 'truncated AVI' in report['failed'][rel]
    assert str(videos / rel) in report['failed'][rel]
