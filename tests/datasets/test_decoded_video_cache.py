# Copyright (c) tsdistill authors. All rights reserved.
import os.path as osp
import re

import numpy as np
import pytest
import torch
from _helpers.videos import motion_video_list
from mmaction.datasets.transforms import DecordDecode
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from tsdistill.datasets.transforms import (CachedDecordInit, CheckedDecordInit,
                                           DecodedVideo, decoded_video_cache)
from tsdistill.datasets.video_dataset import (CheckedVideoDataset,
                                              VideoDecodeError)

CLASSES = ('static', 'move_up', 'move_left')


def _pipeline(init: dict) -> list:
    """The demo's training pipeline (random offset and crop)."""
    return [
        init,
        dict(type='SampleFrames', clip_len=6, frame_interval=1, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 36)),
        dict(type='RandomCrop', size=32),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]


@pytest.fixture
def motion_list(tmp_path):
    init_default_scope('mmaction')
    return motion_video_list(tmp_path, CLASSES, 2, num_frames=10, size=40)


def _epochs(dataset, epochs=3, seed=0):
    """Every sample of ``epochs`` passes, numpy seeded as a worker is."""
    np.random.seed(seed)
    return [
        dataset[i]['inputs'] for _ in range(epochs)
        for i in range(len(dataset))
    ]


def _cache(dataset) -> CachedDecordInit:
    return dataset.pipeline.transforms[0]


def test_the_same_clips_as_decord_init_each_video_opened_once(
        motion_list, monkeypatch):
    ann, root = motion_list
    stock = CheckedVideoDataset(
        ann, _pipeline(dict(type='DecordInit')), data_prefix=dict(video=root))
    cached = CheckedVideoDataset(
        ann,
        _pipeline(dict(type='CachedDecordInit')),
        data_prefix=dict(video=root))
    expected = _epochs(stock)
    opened = []  # files opened by decord through CheckedDecordInit
    read = CheckedDecordInit._get_video_reader
    monkeypatch.setattr(CheckedDecordInit, '_get_video_reader',
                        lambda self, f: opened.append(f) or read(self, f))
    got = _epochs(cached)
    assert len(got) == 3 * len(cached)
    for a, b in zip(expected, got):
        assert torch.equal(a, b)
    # random offsets and crops: the clips differ between epochs
    assert not torch.equal(got[0], got[len(cached)])
    # decoded once, in the first epoch
    assert sorted(opened) == sorted(
        cached.get_data_info(i)['filename'] for i in range(len(cached)))
    cache = _cache(cached)
    assert len(cache._videos) == len(cached)
    assert all(v.frames.shape == (10, 40, 40, 3)
               for v in cache._videos.values())


def test_past_its_size_videos_are_decoded_per_clip(motion_list, monkeypatch):
    ann, root = motion_list
    stock = CheckedVideoDataset(
        ann, _pipeline(dict(type='DecordInit')), data_prefix=dict(video=root))
    video_mb = 10 * 40 * 40 * 3 / 2**20
    cached = CheckedVideoDataset(
        ann,
        _pipeline(dict(type='CachedDecordInit', max_megabytes=2.5 * video_mb)),
        data_prefix=dict(video=root))
    messages = []
    monkeypatch.setattr(
        decoded_video_cache,
        'print_log',
        lambda msg, logger=None: messages.append(msg))
    expected, got = _epochs(stock, 2), _epochs(cached, 2)
    assert all(torch.equal(a, b) for a, b in zip(expected, got))
    assert len(_cache(cached)._videos) == 2
    third = cached.get_data_info(2)['filename']
    assert len(messages) == 1
    assert third in messages[0] and '2 videos' in messages[0]


def test_decord_decode_efficient_mode_and_a_bad_index_named(motion_list):
    ann, root = motion_list
    filename = osp.join(root, 'move_up', 'move_up_000.avi')
    results = CachedDecordInit().transform(dict(filename=filename))
    video = results['video_reader']
    assert isinstance(video, DecodedVideo) and results['total_frames'] == 10
    inds = np.array([1, 4, 7])
    accurate = DecordDecode().transform(dict(results, frame_inds=inds))['imgs']
    results = CachedDecordInit().transform(dict(filename=filename))
    efficient = DecordDecode(mode='efficient').transform(
        dict(results, frame_inds=inds))['imgs']
    for a, b in zip(accurate, efficient):
        assert np.array_equal(a, b)
    with pytest.raises(IndexError, match=re.escape(filename) + '.*frame 10'):
        video.get_batch([2, 10])


def test_a_broken_video_is_named_through_a_worker(motion_list):
    ann, root = motion_list
    broken = osp.join(root, 'static', 'static_001.avi')
    with open(broken, 'wb') as f:
        f.write(b'RIFF' + bytes(200))
    dataset = CheckedVideoDataset(
        ann,
        _pipeline(dict(type='CachedDecordInit')),
        data_prefix=dict(video=root))
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=6, num_workers=1, collate_fn=pseudo_collate)
    with pytest.raises(VideoDecodeError, match=re.escape(broken)):
        next(iter(loader))
    skipping = CheckedVideoDataset(
        ann,
        _pipeline(dict(type='CachedDecordInit')),
        data_prefix=dict(video=root),
        skip_broken=True)
    assert skipping.prepare_data(1) is None
    assert list(skipping.skipped_videos()) == [broken]


def test_max_megabytes_must_be_positive():
    with pytest.raises(ValueError, match='max_megabytes'):
        CachedDecordInit(max_megabytes=0)
