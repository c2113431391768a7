# Copyright (c) tsdistill authors. All rights reserved.
"""Broken videos: named error by default, skipped and counted on request."""
import os.path as osp

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from tsdistill.datasets.synthetic_motion import generate_motion_dataset
from tsdistill.datasets.video_dataset import (BrokenVideoReportHook,
                                              CheckedVideoDataset,
                                              VideoDecodeError)

PIPELINE = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]


@pytest.fixture
def broken_list(tmp_path):
    init_default_scope('mmaction')
    root = str(tmp_path / 'data')
    generate_motion_dataset(
        root,
        videos_per_class=3,
        num_frames=6,
        size=32,
        classes=('static', 'move_up'))
    broken = osp.join(root, 'videos', 'static', 'static_001.avi')
    with open(broken, 'wb') as f:
        f.write(b'RIFF' + bytes(200))  # a corrupt .avi
    ann = tmp_path / 'list.txt'
    ann.write_text(''.join(f'{c}/{c}_{k:03d}.avi {i}\n'
                           for i, c in enumerate(('static', 'move_up'))
                           for k in range(3)))
    return str(ann), osp.join(root, 'videos'), broken


def _dataset(ann, root, **kwargs):
    return CheckedVideoDataset(
        ann, PIPELINE, data_prefix=dict(video=root), **kwargs)


def test_broken_video_error_names_the_file(broken_list):
    ann, root, broken = broken_list
    dataset = _dataset(ann, root)
    assert dataset[0]['inputs'].shape == (1, 3, 4, 32, 32)
    with pytest.raises(VideoDecodeError, match=broken):
        dataset[1]
    # test mode never skips, even when asked to
    test_set = _dataset(ann, root, skip_broken=True, test_mode=True)
    with pytest.raises(VideoDecodeError, match=broken):
        test_set[1]


class _Runner:
    """The attributes the hook reads from mmengine's Runner."""

    def __init__(self, loader):
        from mmengine.logging import MessageHub
        self.train_dataloader = loader
        self.epoch = 0
        self.message_hub = MessageHub.get_instance('test_broken_videos')


def test_skipped_and_counted_through_dataloader_workers(broken_list):
    ann, root, broken = broken_list
    dataset = _dataset(ann, root, skip_broken=True)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=2,
        num_workers=2,
        shuffle=False,
        collate_fn=pseudo_collate)
    hook = BrokenVideoReportHook()
    runner = _Runner(loader)
    hook.before_train_epoch(runner)
    # (the skip warnings are raised in the worker processes)
    batches = list(loader)
    # nothing lost silently: 6 samples out, the broken one replaced
    assert sum(len(b['inputs']) for b in batches) == 6
    assert dataset.broken_videos() == [broken]
    hook.after_train_epoch(runner)
    assert runner.message_hub.get_scalar('train/broken_videos').current() == 1
    hook.before_train_epoch(runner)
    assert dataset.broken_videos() == []
